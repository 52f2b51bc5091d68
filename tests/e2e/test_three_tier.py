"""The three-tier example end to end: examples/three-tier/deploy.sh builds a guestbook with the
AWS CLI (DynamoDB table, Lambda function, API Gateway REST API, S3 website), then plain HTTP
clients sign and read it through the API, and headless Chromium loads the website, whose
JavaScript calls the API across origins (a CORS preflight, then a POST and a GET); what the
browser wrote is read back from DynamoDB."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from tests.support.browser import chromium_binary, run_chromium
from tests.support.website import WebResponse, web_request, website_host

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "three-tier"


@dataclass
class Guestbook:
    name: str
    api_host: str  # <api-id>.execute-api.localhost:<port>
    website_url: str

    @property
    def table(self) -> str:
        return f"{self.name}-entries"

    @property
    def bucket(self) -> str:
        return f"{self.name}-site"


_deployed: dict[int, Guestbook] = {}


@pytest.fixture
def guestbook(server, aws_cli_env) -> Guestbook:
    """The example deployed once per server under a fresh name."""
    if server.port in _deployed:
        return _deployed[server.port]
    if shutil.which("aws") is None:
        pytest.skip("the AWS CLI is not installed")
    name = f"gb-{uuid.uuid4().hex[:10]}"
    result = subprocess.run(["bash", str(EXAMPLE / "deploy.sh"), name], env=aws_cli_env, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    api = re.search(r"^API: http://([^/]+)/prod$", result.stdout, re.M)
    website = re.search(r"^Website: (\S+)$", result.stdout, re.M)
    assert api and website, result.stdout
    assert website.group(1) == f"http://{name}-site.s3-website.localhost:{server.port}/"
    _deployed[server.port] = Guestbook(name, api.group(1), website.group(1))
    return _deployed[server.port]


def call_api(server, book: Guestbook, method: str, path: str, body: str | None = None,
             headers: dict[str, str] | None = None) -> WebResponse:
    all_headers = {"Content-Type": "application/json", **(headers or {})} if body is not None else headers
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, "/prod" + path, body=body, headers={"Host": book.api_host, **(all_headers or {})})
        response = conn.getresponse()
        return WebResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def entries_in_table(server, book: Guestbook) -> list[dict]:
    dynamodb = boto3.resource("dynamodb", endpoint_url=server.endpoint_url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
    return dynamodb.Table(book.table).query(KeyConditionExpression=Key("book").eq("main"))["Items"]


def test_signing_through_the_api_lands_in_dynamodb(server, guestbook):
    message = f"hello {uuid.uuid4().hex[:6]}"
    signed = call_api(server, guestbook, "POST", "/entries", json.dumps({"name": "Ada", "message": message}))
    assert signed.status == 201, signed.text
    assert signed.headers["access-control-allow-origin"] == "*"
    assert json.loads(signed.body)["message"] == message
    listed = call_api(server, guestbook, "GET", "/entries")
    assert listed.status == 200
    assert {"name": "Ada", "message": message} in [
        {k: e[k] for k in ("name", "message")} for e in json.loads(listed.body)["entries"]]
    stored = [item for item in entries_in_table(server, guestbook) if item["message"] == message]
    assert len(stored) == 1 and stored[0]["name"] == "Ada"


def test_the_api_refuses_what_it_cannot_store(server, guestbook):
    before = len(entries_in_table(server, guestbook))
    not_json = call_api(server, guestbook, "POST", "/entries", "name=Ada")
    assert (not_json.status, json.loads(not_json.body)) == (400, {"message": "The body must be JSON."})
    no_message = call_api(server, guestbook, "POST", "/entries", json.dumps({"name": "Ada"}))
    assert (no_message.status, json.loads(no_message.body)) == (400, {"message": "Both name and message are required."})
    elsewhere = call_api(server, guestbook, "GET", "/nowhere")
    assert elsewhere.status == 404
    assert len(entries_in_table(server, guestbook)) == before


def test_the_browsers_preflight_is_answered(server, guestbook):
    origin = guestbook.website_url.rstrip("/")
    preflight = call_api(server, guestbook, "OPTIONS", "/entries",
                         headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                  "Access-Control-Request-Headers": "content-type"})
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "Content-Type"


def test_the_website_serves_the_page_and_where_the_api_is(server, guestbook):
    page = web_request(server.port, website_host(guestbook.bucket, server.port), "/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form id="sign">' in page.text
    config = web_request(server.port, website_host(guestbook.bucket, server.port), "/config.js")
    assert config.status == 200
    assert config.text == f'window.GUESTBOOK_API = "http://{guestbook.api_host}/prod";\n'


def test_the_browser_signs_and_lists_the_book(server, guestbook, tmp_path):
    binary = chromium_binary()
    message = f"from the browser {uuid.uuid4().hex[:6]}"
    url = guestbook.website_url + "?" + urllib.parse.urlencode({"name": "Grace", "message": message})
    # The page's fetches finish after the load event: a virtual time budget lets them land
    # before the DOM is dumped.
    result = run_chromium(binary, tmp_path / "profile", "--virtual-time-budget=20000", "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'data-state="loaded"' in dom, dom
    assert f"<li>Grace: {message}</li>" in dom
    # The browser's POST went through API Gateway and Lambda into the table.
    stored = [item for item in entries_in_table(server, guestbook) if item["message"] == message]
    assert [item["name"] for item in stored] == ["Grace"]
