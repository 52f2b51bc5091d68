"""Checks of the scenario machinery: signing, raw exchanges, filling, parsing, n/a rows. No timing asserted."""

from __future__ import annotations

import datetime
import types
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bench.report import render
from bench.run import Options, run_scenario
from bench.scenarios import Scenario, ScenarioContext, failed_rows, metric, percentile_ms
from bench.scenarios.ddb_scale import BATCH, PARTITION, batch_items, partition_key, query_count
from bench.scenarios.fastsign import EMPTY_SHA256, EmptyPutSigner
from bench.scenarios.populate import populate
from bench.scenarios.rawhttp import RawConnection
from bench.scenarios.s3_scale import count_keys, list_key, website_host
from bench.servers import SPECS, start


def test_fast_signer_matches_botocore() -> None:
    request = AWSRequest(method="PUT", url="http://127.0.0.1:9/bucket-a/k/00000042%20x",
                         headers={"X-Amz-Content-SHA256": EMPTY_SHA256})
    S3SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)  # stamps the time itself
    when = datetime.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    wire = EmptyPutSigner("127.0.0.1:9", when).put("bucket-a", "k/00000042 x")
    expected = request.headers["Authorization"]
    assert f"Authorization: {expected}\r\n".encode() in wire
    assert wire.startswith(b"PUT /bucket-a/k/00000042%20x HTTP/1.1\r\n")
    assert wire.endswith(b"Content-Length: 0\r\n\r\n")


def test_keys_and_items_are_laid_out_for_positions() -> None:
    assert sorted([list_key(10), list_key(9), list_key(100)]) == [list_key(9), list_key(10), list_key(100)]
    items = batch_items(PARTITION - 1)
    assert len(items) == BATCH
    first, second = (i["PutRequest"]["Item"] for i in items[:2])
    assert (first["pk"]["S"], first["sk"]["N"]) == (partition_key(0), str(PARTITION - 1))
    assert (second["pk"]["S"], second["sk"]["N"]) == (partition_key(1), "0")


def test_response_parsers() -> None:
    assert count_keys(b"<ListBucketResult><Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents>") == 2
    assert query_count(b'{"Count": 100, "Items": []}') == 100
    assert query_count(b"{}") == -1
    assert percentile_ms([0.001, 0.002, 0.003, 0.100], 0.99) == pytest.approx(100)
    assert website_host("overcast", 5) == "bench-site.s3-website.localhost:5"
    assert website_host("ministack", 5) == "bench-site.s3-website.us-east-1.localhost:5"


@pytest.fixture(scope="module")
def null_server():  # type: ignore[no-untyped-def]
    server = start(SPECS["null"], timeout=20)
    yield server
    server.stop()


def test_raw_connection_reads_whole_responses(null_server) -> None:  # type: ignore[no-untyped-def]
    connection = RawConnection(null_server.port)
    request = EmptyPutSigner(f"127.0.0.1:{null_server.port}").put("bucket-a", "k")
    for _ in range(3):  # the same keep-alive connection each time
        response, seconds = connection.exchange(request)
        assert response.status == 200 and seconds > 0
    get = f"GET /bucket-a/k HTTP/1.1\r\nHost: 127.0.0.1:{null_server.port}\r\n\r\n".encode()
    response, _ = connection.exchange(get)
    assert len(response.body) == 1024  # the floor's GetObject answer
    connection.close()


def test_populate_counts_acknowledged_units_and_stops_at_max(null_server) -> None:  # type: ignore[no-untyped-def]
    signer = EmptyPutSigner(f"127.0.0.1:{null_server.port}")
    made: list[tuple[int, int]] = []

    def chunk(first: int, count: int) -> list[bytes]:
        made.append((first, count))
        return [signer.put("bucket-a", list_key(n)) for n in range(first, first + count)]

    filled = populate(null_server.port, chunk, units_per_request=1, max_units=250, seconds=20, connections=4,
                      chunk_requests=100)
    assert (filled.units, filled.requests_failed) == (250, 0)
    assert made == [(0, 100), (100, 100), (200, 50)]


def _scenario(run: Any, unsupported: dict[str, str] | None = None) -> Scenario:
    return Scenario("sc", "g", "s3", "Scenario", run, unsupported=unsupported or {},
                    metrics=(("speed", "/s", "higher"), ("latency", "ms", "lower")))


def _fake_server(name: str) -> Any:
    spec = types.SimpleNamespace(name=name, stateful=True, serves=lambda service: True)
    return types.SimpleNamespace(spec=spec, endpoint="http://127.0.0.1:9", port=9, pid=1)


def _options() -> Options:
    return Options(duration=0.1, warmup=0.1, connections=1, large_mib=1, start_repeats=1, settle=0.1,
                   keep_workdirs=False, quick=True)


def test_unsupported_and_failing_scenarios_become_na_rows() -> None:
    calls: list[str] = []

    def boom(ctx: ScenarioContext) -> list[dict[str, Any]]:
        calls.append(ctx.target)
        raise RuntimeError("no such operation")

    scenario = _scenario(boom, {"moto": "needs Docker"})
    skipped = run_scenario(_fake_server("moto"), scenario, _options())
    assert calls == [] and [r["error"] for r in skipped] == ["needs Docker", "needs Docker"]
    failed = run_scenario(_fake_server("peer"), scenario, _options())
    assert calls == ["peer"] and all("no such operation" in r["error"] for r in failed)
    assert [r["metric"] for r in failed] == ["speed", "latency"]


def test_metric_table_ratios_and_na() -> None:
    scenario = _scenario(lambda ctx: [])
    ctx = ScenarioContext("overcast", "", 0, 0, True, 1, 1.0, 1.0, 1, 0)
    rows = [metric(scenario, ctx, "latency", 1.0, "ms", "lower"),
            {**metric(scenario, ctx, "latency", 200.0, "ms", "lower"), "target": "slow"},
            *failed_rows(scenario, "broken", "boom")]
    table = render(rows)
    slow_line = next(line for line in table.splitlines() if " slow " in line)
    assert "0.005x" in slow_line
    broken = [line for line in table.splitlines() if " broken " in line]
    assert len(broken) == 2 and all("n/a" in line and "boom" in line for line in broken)
