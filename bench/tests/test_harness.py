"""Checks of the harness itself (run with `pytest bench/tests`): framing, capture, and a short end-to-end run.

None of these assert a timing: they check that requests are counted and answers recognised.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from bench.capture import Signer, sign_s3_unsigned_payload, to_wire
from bench.loadgen import _find_response_end, run_load
from bench.procstats import process_tree, tree_cpu_seconds, tree_rss_bytes
from bench.report import render
from bench.servers import SPECS, start


def test_content_length_response_is_framed_only_when_complete() -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    assert _find_response_end(bytearray(response[:-1])) is None
    assert _find_response_end(bytearray(response + b"HTTP/1.1")) == (len(response), 200, False, 5)


def test_chunked_response_counts_body_and_trailer() -> None:
    response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert _find_response_end(bytearray(response)) == (len(response), 200, False, 5)
    assert _find_response_end(bytearray(response[:-2])) is None


def test_interim_continue_and_close_are_recognised() -> None:
    assert _find_response_end(bytearray(b"HTTP/1.1 100 Continue\r\n\r\n")) == (25, 100, False, 0)
    closing = b"HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    assert _find_response_end(bytearray(closing)) == (len(closing), 503, True, 0)


def test_captured_put_carries_signature_body_and_no_expect() -> None:
    signer = Signer("s3", "http://127.0.0.1:9")
    wire = signer.sign(lambda c: c.put_object(Bucket="bucket-a", Key="k", Body=b"x" * 10))
    head, _, body = wire.partition(b"\r\n\r\n")
    assert head.startswith(b"PUT /bucket-a/k HTTP/1.1\r\n")
    assert b"Authorization: AWS4-HMAC-SHA256 Credential=test/" in head
    assert b"Content-Length: 10" in head
    assert b"expect" not in head.lower()
    assert body == b"x" * 10


def test_unsigned_payload_head_declares_length_and_no_body() -> None:
    head = sign_s3_unsigned_payload("PUT", "http://127.0.0.1:9", "/b/big", 1 << 28)
    assert head.endswith(b"\r\n\r\n")
    assert b"X-Amz-Content-SHA256: UNSIGNED-PAYLOAD" in head
    assert b"Content-Length: 268435456" in head


def test_to_wire_adds_host_when_missing() -> None:
    from botocore.awsrequest import AWSRequest

    prepared = AWSRequest(method="GET", url="http://127.0.0.1:9/x?y=1", headers={}).prepare()
    assert to_wire(prepared).startswith(b"GET /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n")


def _put(client: Any, key: str) -> Any:
    return client.put_object(Bucket="bucket-a", Key=key, Body=b"x" * 1024)


@pytest.fixture(scope="module")
def null_server():  # type: ignore[no-untyped-def]
    server = start(SPECS["null"], timeout=20)
    yield server
    server.stop()


def test_load_generator_counts_every_answer(null_server) -> None:  # type: ignore[no-untyped-def]
    signer = Signer("s3", null_server.endpoint)
    requests = [signer.sign(functools.partial(_put, key=f"k{i}")) for i in range(5)]
    result = run_load("127.0.0.1", null_server.port, requests, connections=4, duration=10, max_requests=400)
    assert (result.completed, result.errors) == (400, 0)
    assert len(result.latencies_ns) == 400


def test_short_body_counts_as_error(null_server) -> None:  # type: ignore[no-untyped-def]
    signer = Signer("s3", null_server.endpoint)
    request = signer.sign(lambda c: c.get_object(Bucket="bucket-a", Key="k"))
    result = run_load("127.0.0.1", null_server.port, [request], connections=2, duration=10, max_requests=10,
                      min_body=4096)
    assert (result.completed, result.errors) == (0, 10)
    assert "shorter than expected" in result.first_error


def test_server_tree_is_measurable(null_server) -> None:  # type: ignore[no-untyped-def]
    assert null_server.pid in process_tree(null_server.pid)
    assert tree_rss_bytes(null_server.pid) > 1 << 20
    assert tree_cpu_seconds(null_server.pid) >= 0


def test_report_shows_ratio_to_overcast_and_na() -> None:
    rows: list[dict[str, Any]] = [
        {"kind": "ops", "workload": "w", "title": "W", "mode": "boto3", "target": "overcast", "ops_s": 300.0,
         "cpu_ms_per_op": 0.5},
        {"kind": "ops", "workload": "w", "title": "W", "mode": "boto3", "target": "peer", "ops_s": 100.0,
         "cpu_ms_per_op": 2.0},
        {"kind": "ops", "workload": "w", "title": "W", "mode": "boto3", "target": "broken", "error": "boom"},
    ]
    table = render(rows)
    peer_line = next(line for line in table.splitlines() if " peer " in line)
    assert "3.00x" in peer_line and "0.25x" in peer_line
    broken_line = next(line for line in table.splitlines() if " broken " in line)
    assert "n/a" in broken_line and "boom" in broken_line


def test_paired_run_measures_both_sides_and_stops_on_failure(null_server) -> None:  # type: ignore[no-untyped-def]
    from bench.capture import make_client
    from bench.clientbench import run_paired
    from bench.workloads.s3 import WORKLOADS

    get = next(w for w in WORKLOADS if w.name == "s3-get-1k")
    client = make_client("s3", null_server.endpoint)
    ours, floor = run_paired(client, client, get, duration=0.4, max_calls=30, warmup_seconds=0.1, slices=2,
                             server_cpu=lambda: 0.0)
    assert ours.completed > 0 and floor.completed > 0
    assert (ours.errors, floor.errors) == (0, 0)

    broken = make_client("s3", "http://127.0.0.1:9")  # nothing listens on the discard port
    ours, floor = run_paired(broken, client, get, duration=0.4, max_calls=30, warmup_seconds=0.1, slices=2)
    assert ours.failed and ours.completed == 0 and ours.first_error
