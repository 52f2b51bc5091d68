"""The Lambda examples of examples/apigateway, built with the AWS CLI and called over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services.apigateway.conftest import call

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "apigateway"
pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


def run_example(server, script: str) -> str:
    env = dict(os.environ, AWS_ENDPOINT_URL=server.endpoint_url, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
    out = subprocess.run(["bash", str(EXAMPLES / script)], env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip().splitlines()[-1]
    return url.split("//", 1)[1].split(".", 1)[0]


def test_lambda_proxy_example(server):
    api_id = run_example(server, "lambda_proxy.sh")
    listed = call(server, api_id, "prod", "/pets")
    assert listed.status == 200 and [p["name"] for p in listed.json()] == ["Mittens", "Rex"]
    assert call(server, api_id, "prod", "/pets/2").json() == {"id": "2", "name": "Rex", "kind": "dog"}
    missing = call(server, api_id, "prod", "/pets/9")
    assert missing.status == 404 and missing.json() == {"message": "no pet 9"}
    created = call(server, api_id, "prod", "/pets", "POST", '{"name": "Nemo"}', {"Content-Type": "application/json"})
    assert created.status == 201 and created.json() == {"name": "Nemo", "id": "3"}


def test_lambda_non_proxy_example(server):
    api_id = run_example(server, "lambda_non_proxy.sh")
    ok = call(server, api_id, "prod", "/pets/1")
    assert ok.status == 200 and ok.json() == {"pet": "Mittens", "kind": "cat", "link": "/pets/1"}
    missing = call(server, api_id, "prod", "/pets/9")
    assert missing.status == 404 and missing.json() == {"error": "NotFound: no pet 9"}
    assert call(server, api_id, "prod", "/pets").status == 403  # no method on /pets
