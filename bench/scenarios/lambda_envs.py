"""Lambda environments: cold starts, CreateFunction to Active, throttling under reserved concurrency, RSS.

Servers that cannot run functions without Docker (moto's server) are n/a. The 16 concurrent callers
are threads of this process, one boto3 client each: on a 2-core machine, processes would take the
second core from the server; the row's note gives this process's CPU % so a client-bound result
shows (one core is about 500 boto3 calls/s here).
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from bench.capture import make_client
from bench.procstats import own_cpu_seconds, process_tree, tree_pss_bytes, tree_rss_bytes
from bench.scenarios import Row, Scenario, ScenarioContext, metric, p50_ms, percentile_ms

ROLE = "arn:aws:iam::000000000000:role/bench-lambda"
# `sleep` holds an environment busy, so that a concurrent call needs another one.
HANDLER_SOURCE = (
    "import time\n"
    "def handler(event, context):\n"
    "    if event.get('sleep'):\n"
    "        time.sleep(event['sleep'])\n"
    "    return {'ok': True, 'n': event.get('n')}\n"
)
NO_DOCKER = "moto's server runs functions only in Docker"
MIB = 1024 * 1024


def function_zip(source: str = HANDLER_SOURCE) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


def wait_active(client: Any, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get_function(FunctionName=name)["Configuration"].get("State", "Active")
        if state == "Active":
            return
        if state == "Failed":
            raise RuntimeError(f"function {name} Failed")
        time.sleep(0.005)
    raise RuntimeError(f"function {name} not Active after {timeout:.0f} s")


def create_function(client: Any, name: str, source: str = HANDLER_SOURCE) -> float:
    """Create and wait until Active: seconds from sending CreateFunction to the first Active GetFunction."""
    started = time.perf_counter()
    client.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="handler.handler",
                           Code={"ZipFile": function_zip(source)}, Timeout=30, MemorySize=128)
    wait_active(client, name)
    return time.perf_counter() - started


def invoke(client: Any, name: str, n: int, sleep: float = 0.0) -> float:
    event: dict[str, Any] = {"n": n}
    if sleep:
        event["sleep"] = sleep
    started = time.perf_counter()
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    payload = response["Payload"].read()
    elapsed = time.perf_counter() - started
    if response.get("FunctionError"):
        raise AssertionError(f"function error: {payload[:200]!r}")
    if json.loads(payload).get("n") != n:
        raise AssertionError(f"unexpected payload {payload[:200]!r}")
    return elapsed


def _cold_starts(ctx: ScenarioContext) -> list[Row]:
    client = make_client("lambda", ctx.endpoint, timeout=60)
    repeats = 3 if ctx.quick else 8
    to_active: list[float] = []
    first: list[float] = []
    concurrent: list[float] = []
    budget = time.monotonic() + (40 if ctx.quick else 120)
    for r in range(repeats):
        if time.monotonic() > budget:
            break
        name = f"bench-cold-{r}"
        to_active.append(create_function(client, name))
        first.append(invoke(client, name, 1))
        # Hold the one warm environment busy; the next call must start a second environment.
        holder_client = make_client("lambda", ctx.endpoint, timeout=60)
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(invoke, holder_client, name, 2, 2.0)
            time.sleep(0.2)
            concurrent.append(invoke(client, name, 3))
            held.result()
    note = f"{len(to_active)} functions"
    return [
        metric(COLD, ctx, "CreateFunction to Active, p50", p50_ms(to_active), "ms", "lower", note),
        metric(COLD, ctx, "first invoke after create (cold), p50", p50_ms(first), "ms", "lower", note),
        metric(COLD, ctx, "new concurrent environment (cold), p50", p50_ms(concurrent), "ms", "lower",
               note + "; 2nd call while the 1st environment sleeps 2 s"),
    ]


def _throttled(error: ClientError) -> bool:
    return (error.response.get("Error", {}).get("Code") == "TooManyRequestsException"
            or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 429)


def _concurrency(ctx: ScenarioContext) -> list[Row]:
    client = make_client("lambda", ctx.endpoint, timeout=60)
    name = "bench-reserved"
    create_function(client, name)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=4)
    callers = 16
    clients = [make_client("lambda", ctx.endpoint, timeout=60) for _ in range(callers)]
    for n in range(4):  # warm: at least one environment, more if the server starts them on demand
        invoke(client, name, n)
    lock = threading.Lock()
    ok: list[float] = []
    counts = {"throttled": 0, "other": 0}
    first_error = [""]
    stop_at = time.monotonic() + max(ctx.duration, 2.0)

    def caller(index: int) -> None:
        n = index * 1_000_000
        while time.monotonic() < stop_at and n < index * 1_000_000 + 50_000:
            n += 1
            try:
                elapsed = invoke(clients[index], name, n)
            except ClientError as error:
                with lock:
                    counts["throttled" if _throttled(error) else "other"] += 1
                    first_error[0] = first_error[0] or str(error)[:120]
                continue
            except Exception as error:  # noqa: BLE001 - counted, the first one shown
                with lock:
                    counts["other"] += 1
                    first_error[0] = first_error[0] or f"{type(error).__name__}: {error}"[:120]
                continue
            with lock:
                ok.append(elapsed)

    cpu_before = own_cpu_seconds()
    started = time.perf_counter()
    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(ctx.duration, 2.0) + 90)
    wall = time.perf_counter() - started
    client_cpu = 100 * (own_cpu_seconds() - cpu_before) / wall
    total = len(ok) + counts["throttled"] + counts["other"]
    note = f"16 threads, {total} calls, client CPU {client_cpu:.0f}%"
    if counts["other"]:
        note += f"; {counts['other']} other errors, first: {first_error[0]}"
    return [
        metric(CONCURRENCY, ctx, "successful invokes/s", len(ok) / wall, "/s", "higher", note),
        metric(CONCURRENCY, ctx, "p99 of successful calls", percentile_ms(ok, 0.99), "ms", "lower"),
        metric(CONCURRENCY, ctx, "share throttled (429)", 100 * counts["throttled"] / total if total else None, "%",
               "higher", "AWS throttles the excess at once rather than queueing it"),
    ]


def _rss_per_environment(ctx: ScenarioContext) -> list[Row]:
    client = make_client("lambda", ctx.endpoint, timeout=60)
    name = "bench-rss"
    create_function(client, name)
    invoke(client, name, 0)
    time.sleep(0.5)
    one = tree_rss_bytes(ctx.pid)
    one_pss = tree_pss_bytes(ctx.pid)
    one_procs = len(process_tree(ctx.pid))
    environments = 5
    clients = [make_client("lambda", ctx.endpoint, timeout=60) for _ in range(environments)]
    # All five calls overlap for most of their 1.5 s, so each needs its own environment.
    with ThreadPoolExecutor(environments) as pool:
        for future in [pool.submit(invoke, clients[i], name, 10 + i, 1.5) for i in range(environments)]:
            future.result()
    time.sleep(0.5)
    many = tree_rss_bytes(ctx.pid)
    many_pss = tree_pss_bytes(ctx.pid)
    many_procs = len(process_tree(ctx.pid))
    per_env = (many - one) / (environments - 1) / MIB
    note = (f"tree RSS {one / MIB:.0f} MB with 1 warm, {many / MIB:.0f} MB with {environments}; "
            f"processes {one_procs} -> {many_procs}")
    per_env_pss = (many_pss - one_pss) / (environments - 1) / MIB
    return [metric(RSS, ctx, "server RSS per extra warm environment", per_env, "MB", "lower", note),
            metric(RSS, ctx, "server PSS per extra warm environment", per_env_pss, "MB", "lower",
                   "proportional set size: pages shared copy-on-write with a parent counted once")]


COLD = Scenario("lambda-cold", "lambda-envs", "lambda", "Lambda cold start and CreateFunction", _cold_starts,
                unsupported={"moto": NO_DOCKER},
                metrics=(("CreateFunction to Active, p50", "ms", "lower"),
                         ("first invoke after create (cold), p50", "ms", "lower"),
                         ("new concurrent environment (cold), p50", "ms", "lower")))
CONCURRENCY = Scenario("lambda-reserved-4", "lambda-envs", "lambda",
                       "Lambda 16 callers, reserved concurrency 4", _concurrency, unsupported={"moto": NO_DOCKER},
                       metrics=(("successful invokes/s", "/s", "higher"), ("p99 of successful calls", "ms", "lower"),
                                ("share throttled (429)", "%", "higher")))
RSS = Scenario("lambda-env-rss", "lambda-envs", "lambda", "Lambda RSS per warm Python environment",
               _rss_per_environment, unsupported={"moto": NO_DOCKER},
               metrics=(("server RSS per extra warm environment", "MB", "lower"),
                        ("server PSS per extra warm environment", "MB", "lower")))
SCENARIOS = [COLD, CONCURRENCY, RSS]
