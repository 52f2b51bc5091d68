"""The server frame: CLI, health, the clock, routing, and the not-implemented answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess, free_port


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _post(url: str, payload) -> tuple[int, dict]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_help_explains_every_flag():
    out = subprocess.run([sys.executable, "-m", "overcast.cli", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for flag, env in [("--host", "OVERCAST_HOST"), ("--port", "OVERCAST_PORT"), ("--data-dir", "OVERCAST_DATA_DIR"),
                      ("--region", "OVERCAST_REGION"), ("--account", "OVERCAST_ACCOUNT"),
                      ("--log-level", "OVERCAST_LOG_LEVEL")]:
        assert flag in out and env in out
    top = subprocess.run([sys.executable, "-m", "overcast.cli", "--help"], capture_output=True, text=True, check=True)
    assert "serve" in top.stdout


def test_health_reports_version_uptime_data_dir_and_services(server):
    status, body = _get(server.endpoint_url + "/_overcast/health")
    assert status == 200
    assert body["version"]
    assert body["uptime_seconds"] >= 0
    assert body["data_dir"] == str(server.data_dir)
    assert body["services"]["s3"]["state"] in ("available", "running")
    assert "dynamodb" in body["services"] and "cloudwatch" in body["services"]


def test_unknown_internal_route_is_404(server):
    status, body = _get(server.endpoint_url + "/_overcast/nothing-here")
    assert status == 404 and body["error"] == "NotFound"


def test_clock_advance_set_reset(server):
    url = server.endpoint_url + "/_overcast/clock"
    _, before = _get(url)
    status, moved = _post(url, {"advance": 3600})
    assert status == 200
    assert moved["offset"] == pytest.approx(before["offset"] + 3600, abs=1)
    assert moved["now"] >= before["now"] + 3599
    status, fixed = _post(url, {"set": 2000000000})
    assert status == 200 and abs(fixed["now"] - 2000000000) < 5
    assert _get(url)[1]["iso"].startswith("2033-05-18")
    status, reset = _post(url, {"reset": True})
    assert status == 200 and reset["offset"] == 0
    assert abs(reset["now"] - time.time()) < 5


@pytest.mark.parametrize("payload", [{"advance": "soon"}, {"advance": -5}, {"bogus": 1}, [1, 2], b"{not json"])
def test_clock_rejects_bad_requests_and_stays_put(server, payload):
    url = server.endpoint_url + "/_overcast/clock"
    _, before = _get(url)
    status, body = _post(url, payload)
    assert status == 400 and body["error"] == "BadRequest" and body["message"]
    assert _get(url)[1]["offset"] == pytest.approx(before["offset"], abs=0.01)


def test_operation_without_provider_answers_not_implemented(client_factory):
    sqs = client_factory("sqs")
    with pytest.raises(ClientError) as info:
        sqs.list_queues()
    err = info.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert err["Error"]["Code"] == "NotImplemented"
    assert "sqs:ListQueues" in err["Error"]["Message"]


def test_start_prints_where_it_listens_and_stops_on_sigterm(tmp_path):
    port = free_port()
    data = tmp_path / "d"
    proc = subprocess.Popen([sys.executable, "-m", "overcast.cli", "serve", "--port", str(port), "--data-dir", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert f"127.0.0.1:{port}" in line and str(data) in line
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_overcast/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_environment_variables_configure_the_server(tmp_path):
    port = free_port()
    proc = ServerProcess(tmp_path / "ignored", port=port,
                         env={"OVERCAST_REGION": "eu-west-1", "OVERCAST_ACCOUNT": "123456789012"})
    proc.start()
    try:
        health = proc.health()
        assert health["region"] == "eu-west-1" and health["account"] == "123456789012"
    finally:
        proc.stop()


def test_binds_to_loopback_by_default():
    from overcast.config import Config

    assert Config().host == "127.0.0.1" and Config().port == 4566
    assert os.path.basename(Config().data_dir) == "overcast"


def test_second_server_on_the_same_data_dir_refuses_to_start(server):
    proc = subprocess.run([sys.executable, "-m", "overcast.cli", "serve", "--port", str(free_port()),
                           "--data-dir", str(server.data_dir)], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "another server is using" in proc.stderr
