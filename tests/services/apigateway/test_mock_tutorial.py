"""The classic mock-integration tutorial, run with the AWS CLI from examples/apigateway, then
called over HTTP at its invoke URL (both URL forms)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services.apigateway.conftest import call

SCRIPT = Path(__file__).resolve().parents[3] / "examples" / "apigateway" / "mock_tutorial.sh"
pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


@pytest.fixture(scope="module")
def tutorial(server, tmp_path_factory):
    import os

    env = dict(os.environ, AWS_ENDPOINT_URL=server.endpoint_url, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
    out = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip().splitlines()[-1]
    api_id = url.split("//", 1)[1].split(".", 1)[0]
    return api_id, url, out.stderr


def test_script_prints_invoke_url_and_test_invocations(tutorial, server):
    api_id, url, log = tutorial
    assert url == f"http://{api_id}.execute-api.localhost:{server.port}/test/mock"
    assert "test-invoke-method /mock?cloudService=AWS -> 200" in log
    assert "test-invoke-method /mock -> 400" in log
    assert "test-invoke-method /mock?cloudService=Azure -> 500" in log


@pytest.mark.parametrize("path_form", [False, True])
def test_each_status_with_its_body(tutorial, server, path_form):
    api_id = tutorial[0]
    ok = call(server, api_id, "test", "/mock?cloudService=AWS", path_form=path_form)
    assert ok.status == 200
    assert ok.headers["content-type"] == "application/json"
    assert ok.json() == {"cloudService": "AWS",
                         "message": "Welcome to serverless: AWS answered from a mock integration"}
    missing = call(server, api_id, "test", "/mock", path_form=path_form)
    assert missing.status == 400
    assert missing.json() == {"error": "Bad Request",
                              "message": "Choose a cloud service with the cloudService query string parameter"}
    other = call(server, api_id, "test", "/mock?cloudService=Azure", path_form=path_form)
    assert other.status == 500
    assert other.json() == {"error": "Internal Server Error", "message": "Azure is not supported here"}


def test_escaped_parameter_in_500_body(tutorial, server):
    # $util.escapeJavaScript escapes the quote, as Java's escapeJavaScript does.
    answer = call(server, tutorial[0], "test", "/mock?cloudService=it%27s")
    assert answer.status == 500
    assert answer.text.split('"message": ')[1].startswith('"it\\\'s is not supported here"')


def test_unknown_route_is_missing_authentication_token(tutorial, server):
    answer = call(server, tutorial[0], "test", "/nowhere")
    assert answer.status == 403
    assert answer.body == b'{"message":"Missing Authentication Token"}'
    assert answer.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    wrong_verb = call(server, tutorial[0], "test", "/mock", method="POST", body="{}")
    assert wrong_verb.status == 403
    assert json.loads(wrong_verb.body) == {"message": "Missing Authentication Token"}


def test_unknown_stage_is_forbidden(tutorial, server):
    answer = call(server, tutorial[0], "prod", "/mock")
    assert answer.status == 403
    assert answer.body == b'{"message":"Forbidden"}'


def test_test_invoke_method_reports_status_body_and_log(tutorial, apigw):
    api_id = tutorial[0]
    resource = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/mock")
    result = apigw.test_invoke_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET",
                                      pathWithQueryString="/mock?cloudService=AWS")
    assert result["status"] == 200
    assert json.loads(result["body"])["cloudService"] == "AWS"
    assert result["headers"]["Content-Type"] == "application/json"
    assert "Method completed with status: 200" in result["log"]
    failing = apigw.test_invoke_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET",
                                       pathWithQueryString="/mock?cloudService=GCP")
    assert failing["status"] == 500
    assert json.loads(failing["body"])["message"] == "GCP is not supported here"
