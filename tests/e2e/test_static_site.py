"""The static-site example end to end: examples/static-site/publish.sh publishes it with the AWS
CLI, a plain HTTP client reads its pages, redirects and 404 page, and headless Chromium renders
it, running the site's JavaScript and applying its stylesheet, both fetched from the bucket."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.browser import chromium_binary, run_chromium
from tests.support.website import web_request, website_host

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "static-site"


_published: dict[int, str] = {}


@pytest.fixture
def site(server, aws_cli_env) -> str:
    """The example published (once per server) into a fresh bucket; returns the bucket name."""
    if server.port in _published:
        return _published[server.port]
    if shutil.which("aws") is None:
        pytest.skip("the AWS CLI is not installed")
    bucket = f"static-site-{uuid.uuid4().hex[:12]}"
    result = subprocess.run(["bash", str(EXAMPLE / "publish.sh"), bucket], env=aws_cli_env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"http://{bucket}.s3-website.localhost:{server.port}/" in result.stdout
    _published[server.port] = bucket
    return bucket


def fetch(server, bucket: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    response = web_request(server.port, website_host(bucket, server.port), path, method)
    return response.status, response.headers, response.body


def test_published_configuration(s3, site):
    website = s3.get_bucket_website(Bucket=site)
    assert website["IndexDocument"] == {"Suffix": "index.html"}
    assert website["ErrorDocument"] == {"Key": "error.html"}
    assert website["RoutingRules"][0]["Condition"] == {"KeyPrefixEquals": "blog/"}
    policy = json.loads(s3.get_bucket_policy(Bucket=site)["Policy"])
    assert policy["Statement"][0]["Resource"] == f"arn:aws:s3:::{site}/*"
    keys = {obj["Key"] for obj in s3.list_objects_v2(Bucket=site)["Contents"]}
    assert {"index.html", "docs/index.html", "error.html", "assets/app.js", "assets/site.css"} <= keys


def test_index_and_folder_index(server, site):
    status, headers, body = fetch(server, site, "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"Hello from an S3 website" in body
    status, _, body = fetch(server, site, "/docs/")
    assert status == 200
    assert b"The index document of the docs/ folder." in body


def test_folder_without_slash_redirects(server, site):
    status, headers, _ = fetch(server, site, "/docs")
    assert status == 302
    assert headers["location"] == "/docs/"


def test_routing_rule_redirect(server, site):
    status, headers, _ = fetch(server, site, "/blog/first-post.html")
    assert status == 301
    assert headers["location"] == f"http://{site}.s3-website.localhost:{server.port}/articles/first-post.html"
    status, _, body = fetch(server, site, "/articles/first-post.html")
    assert status == 200
    assert b"First post" in body


def test_custom_404_page(server, site):
    status, headers, body = fetch(server, site, "/no/such/page.html")
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert b"Sorry, there is nothing here." in body


def test_assets_keep_their_content_types(server, site):
    status, headers, body = fetch(server, site, "/assets/site.css")
    assert (status, headers["content-type"]) == (200, "text/css")
    assert b"rgb(20, 90, 160)" in body
    status, headers, _ = fetch(server, site, "/assets/app.js")
    assert status == 200
    assert "javascript" in headers["content-type"]


def test_path_form_serves_the_same_site(server, site):
    response = web_request(server.port, None, f"/_overcast/s3-website/{site}/docs/")
    assert response.status == 200
    assert b"The index document of the docs/ folder." in response.body


def test_site_renders_in_chromium(server, site, tmp_path):
    binary = chromium_binary()
    url = f"http://{site}.s3-website.localhost:{server.port}/"
    result = run_chromium(binary, tmp_path / "profile", "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    # Written by app.js, which only runs when the script was served from the bucket; and it
    # reports the stylesheet applied only when site.css was fetched and parsed.
    assert "Rendered by app.js; stylesheet applied." in dom, dom
    assert 'data-css="applied"' in dom
    assert "<li>page /docs/</li>" in dom

    screenshot = tmp_path / "home.png"
    result = run_chromium(binary, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=800,600", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_error_page_renders_in_chromium(server, site, tmp_path):
    binary = chromium_binary()
    result = run_chromium(binary, tmp_path / "profile", "--dump-dom",
                          f"http://{site}.s3-website.localhost:{server.port}/docs/nothing-here.html")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Sorry, there is nothing here." in result.stdout
