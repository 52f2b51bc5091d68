"""examples/apigateway/measure_mock.py: the URL it prints is the MOCK API, in either form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services.apigateway.conftest import call

SCRIPT = Path(__file__).resolve().parents[3] / "examples" / "apigateway" / "measure_mock.py"


def run_script(server, form: str) -> str:
    out = subprocess.run([sys.executable, str(SCRIPT), "--endpoint", server.endpoint_url, "--form", form],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("form", ["path", "host"])
def test_prints_a_working_invoke_url(server, form):
    url = run_script(server, form)
    if form == "path":
        prefix = f"http://127.0.0.1:{server.port}/restapis/"
        assert url.startswith(prefix) and url.endswith("/bench/_user_request_/ping")
        api_id = url[len(prefix):].split("/", 1)[0]
    else:
        assert url.endswith(f".execute-api.localhost:{server.port}/bench/ping")
        api_id = url.split("//", 1)[1].split(".", 1)[0]
    answer = call(server, api_id, "bench", "/ping", path_form=form == "path")
    assert answer.status == 200
    body = json.loads(answer.body)
    assert body["message"] == "pong" and body["stage"] == "bench" and body["path"] == "/ping"
    assert body["requestId"] == answer.headers["x-amzn-requestid"]
