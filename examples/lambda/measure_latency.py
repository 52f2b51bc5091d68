"""Measure Lambda latencies on a fresh Overcast server (a script, not a test: numbers vary).

    python examples/lambda/measure_latency.py

Starts its own server on a free port with a temporary data directory and prints: CreateFunction
to Active, cold start (first invoke after create), warm invoke through one boto3 client, 16
concurrent callers against reserved concurrency 4, and memory per extra warm environment.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.server import ServerProcess  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/r"
SOURCE = "def handler(event, context):\n    return {'ok': True}\n"


def zipped() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("lambda_function.py", SOURCE)
    return buf.getvalue()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def environment_pids() -> list[int]:
    """Processes forked by a Python zygote: both run zygote.py, but only forks have a zygote parent."""
    forked_from: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"zygote.py" in f.read():
                    forked_from[int(entry)] = rss_kb(int(entry), "PPid")
        except OSError:
            continue
    return [pid for pid, parent in forked_from.items() if parent in forked_from]


def call_for(args: tuple[str, float]) -> tuple[list[float], int]:
    endpoint, seconds = args
    client = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
    latencies, throttled = [], 0
    try:  # the first call of a fresh client loads its models: not what is being measured
        client.invoke(FunctionName="conc")["Payload"].read()
    except client.exceptions.TooManyRequestsException:
        pass
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        t0 = time.perf_counter()
        try:
            client.invoke(FunctionName="conc")["Payload"].read()
            latencies.append((time.perf_counter() - t0) * 1000)
        except client.exceptions.TooManyRequestsException:
            throttled += 1
    return latencies, throttled


def main() -> None:
    data = Path(tempfile.mkdtemp()) / "data"
    server = ServerProcess(data)
    server.start()
    cfg = Config(retries={"max_attempts": 1}, max_pool_connections=32)
    lam = boto3.client("lambda", endpoint_url=server.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
    code = zipped()
    try:
        lam.list_functions()  # load the service once, as a running server would have
        time.sleep(1.0)  # let the Python zygote finish importing boto3
        creates, colds, inits = [], [], []
        for i in range(20):
            name = f"cold-{i}"
            t0 = time.perf_counter()
            lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                Handler="lambda_function.handler", Code={"ZipFile": code})
            while lam.get_function_configuration(FunctionName=name)["State"] != "Active":
                pass
            creates.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            out = lam.invoke(FunctionName=name, LogType="Tail")
            out["Payload"].read()
            colds.append((time.perf_counter() - t0) * 1000)
            import base64
            tail = base64.b64decode(out["LogResult"]).decode()
            match = re.search(r"Init Duration: ([\d.]+) ms", tail)
            if match:
                inits.append(float(match.group(1)))
        print(f"CreateFunction to Active: p50 {statistics.median(creates):.1f} ms")
        print(f"cold invoke (client-observed): p50 {statistics.median(colds):.1f} ms, "
              f"p90 {pct(colds, 0.9):.1f} ms; Init Duration p50 {statistics.median(inits):.1f} ms")

        node_colds = []
        node_zip = io.BytesIO()
        with zipfile.ZipFile(node_zip, "w") as archive:
            archive.writestr("index.mjs", "export const handler = async () => ({ok: true});\n")
        for i in range(10):
            lam.create_function(FunctionName=f"node-{i}", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                                Code={"ZipFile": node_zip.getvalue()})
            t0 = time.perf_counter()
            lam.invoke(FunctionName=f"node-{i}")["Payload"].read()
            node_colds.append((time.perf_counter() - t0) * 1000)
        node_warm = []
        for _ in range(200):
            t0 = time.perf_counter()
            lam.invoke(FunctionName="node-0")["Payload"].read()
            node_warm.append((time.perf_counter() - t0) * 1000)
        print(f"Node.js: cold invoke p50 {statistics.median(node_colds):.1f} ms, "
              f"warm p50 {statistics.median(node_warm):.2f} ms")

        warm = []
        for _ in range(50):
            lam.invoke(FunctionName="cold-0")["Payload"].read()
        for _ in range(1000):
            t0 = time.perf_counter()
            lam.invoke(FunctionName="cold-0")["Payload"].read()
            warm.append((time.perf_counter() - t0) * 1000)
        print(f"warm invoke, one boto3 client: p50 {statistics.median(warm):.2f} ms, p99 {pct(warm, 0.99):.2f} ms")

        lam.create_function(FunctionName="conc", Runtime="python3.11", Role=ROLE,
                            Handler="lambda_function.handler", Code={"ZipFile": code})
        lam.put_function_concurrency(FunctionName="conc", ReservedConcurrentExecutions=4)
        # Callers are processes, not threads: 16 boto3 clients in one interpreter measure the GIL.
        with multiprocessing.get_context("fork").Pool(16) as workers:
            outcomes = workers.map(call_for, [(server.endpoint_url, 5.0)] * 16)
        ok_latencies = [ms for latencies, _ in outcomes for ms in latencies]
        throttled = sum(t for _, t in outcomes)
        print(f"16 caller processes, reserved concurrency 4: {len(ok_latencies) / 5.0:.0f} invokes/s, "
              f"p50 {statistics.median(ok_latencies):.2f} ms, p99 {pct(ok_latencies, 0.99):.2f} ms, "
              f"{throttled} throttled (429)")

        server_pid = server.proc.pid
        before = rss_kb(server_pid)
        for i in range(20, 40):
            lam.create_function(FunctionName=f"mem-{i}", Runtime="python3.11", Role=ROLE,
                                Handler="lambda_function.handler", Code={"ZipFile": code})
            lam.invoke(FunctionName=f"mem-{i}")["Payload"].read()
        after = rss_kb(server_pid)
        envs = environment_pids()
        pss = [pss_kb(p) for p in envs]
        rss = [rss_kb(p) for p in envs]
        print(f"20 extra warm Python environments: server RSS +{(after - before) / 1024 / 20:.2f} MB each; "
              f"environment process PSS {statistics.median(pss) / 1024:.1f} MB, "
              f"RSS {statistics.median(rss) / 1024:.1f} MB (median, shared pages counted in RSS)")
        print(json.dumps({"create_p50_ms": statistics.median(creates), "cold_p50_ms": statistics.median(colds),
                          "warm_p50_ms": statistics.median(warm), "warm_p99_ms": pct(warm, 0.99)}))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
