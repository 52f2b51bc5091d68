"""Lambda environments: cold starts, CreateFunction to Active, throttling under reserved concurrency, RSS.

Servers that cannot run functions without Docker (moto's server) are n/a. The 16 concurrent callers
are separate processes, one boto3 client each, started and warmed before the timed window, making
one attempt per call (a 429 is counted, not retried) and running niced below the server: threads
of one process share one GIL, and a client-bound bench measures itself (their CPU is in the note).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import queue
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

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


CALLERS = 16
RESERVED = 4
WARM_CALLS = 3  # per caller: loads the client's operation model and opens its connection
MAX_CALLS_PER_CALLER = 50_000
NICENESS = 10


def _caller_process(index: int, endpoint: str, name: str, ready: Any, go: Any, stop_at: Any, results: Any) -> None:
    """One caller, in its own process: warm up, report ready, call until told to stop, send back the samples.

    One attempt per call (make_client's default): a retried 429 would come back after up to a
    second of jittered backoff as a slow success; here it reaches this loop as a ClientError,
    counted once.
    """
    # Below the server in the scheduler's eyes: on a 2-core machine, 16 callers woken by their
    # answers would otherwise preempt the server (and the functions) in the middle of its work.
    os.nice(NICENESS)
    client = make_client("lambda", endpoint, timeout=60)
    for k in range(WARM_CALLS):
        try:
            invoke(client, name, -1 - k)
        except ClientError:  # throttled while 15 others warm up too: the client is warm all the same
            time.sleep(0.01)
    ready.put(index)
    if not go.wait(timeout=120):
        results.put({"index": index, "ok": [], "throttled": [], "other": 0, "first_error": "never started",
                     "cpu": 0.0})
        return
    ok: list[float] = []
    throttled: list[float] = []
    other = 0
    first_error = ""
    cpu_before = own_cpu_seconds()
    n = index * 1_000_000
    deadline = stop_at.value
    while time.monotonic() < deadline and n < index * 1_000_000 + MAX_CALLS_PER_CALLER:
        n += 1
        started = time.perf_counter()
        try:
            ok.append(invoke(client, name, n))
        except ClientError as error:
            if _throttled(error):
                throttled.append(time.perf_counter() - started)
            else:
                other += 1
                first_error = first_error or str(error)[:120]
        except Exception as error:  # noqa: BLE001 - counted, the first one shown
            other += 1
            first_error = first_error or f"{type(error).__name__}: {error}"[:120]
    results.put({"index": index, "ok": ok, "throttled": throttled, "other": other, "first_error": first_error,
                 "cpu": own_cpu_seconds() - cpu_before})


def _wait_ready(ready: Any, processes: list[Any], timeout: float) -> None:
    """Until every caller has warmed up; a caller that died fails the scenario now, not after the timeout."""
    waiting = len(processes)
    deadline = time.monotonic() + timeout
    while waiting:
        try:
            ready.get(timeout=0.2)
            waiting -= 1
        except queue.Empty:
            dead = [p.exitcode for p in processes if p.exitcode is not None]
            if dead:
                raise RuntimeError(f"{len(dead)} caller processes ended before the window, exit codes {dead}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{waiting} callers not warm after {timeout:.0f} s") from None


def _run_callers(endpoint: str, name: str, window_s: float) -> tuple[list[dict[str, Any]], float]:
    """Start CALLERS processes, wait until all are warm, open the window; (per-caller results, wall seconds)."""
    host = urlsplit(endpoint).hostname
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"the concurrency callers only talk to loopback, not {host}")
    # forkserver: children fork from a clean parent that has imported this module (and boto3) once,
    # not from the bench with its threads, and without 16 fresh interpreters importing boto3.
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload([__name__])
    ready, results = mp.Queue(), mp.Queue()
    go = mp.Event()
    stop_at = mp.Value("d", 0.0)
    processes = [mp.Process(target=_caller_process, args=(i, endpoint, name, ready, go, stop_at, results),
                            daemon=True) for i in range(CALLERS)]
    collected: list[dict[str, Any]] = []
    try:
        for process in processes:
            process.start()
        _wait_ready(ready, processes, timeout=90)
        stop_at.value = time.monotonic() + window_s
        started = time.perf_counter()
        go.set()
        for _ in processes:
            collected.append(results.get(timeout=window_s + 90))
        wall = time.perf_counter() - started
    finally:
        go.set()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    return collected, wall


def _concurrency(ctx: ScenarioContext) -> list[Row]:
    client = make_client("lambda", ctx.endpoint, timeout=60)
    name = "bench-reserved"
    create_function(client, name)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=RESERVED)
    for n in range(4):  # at least one warm environment before the callers start
        invoke(client, name, n)
    window = max(ctx.duration, 2.0)
    collected, wall = _run_callers(ctx.endpoint, name, window)
    ok = [s for r in collected for s in r["ok"]]
    throttled = [s for r in collected for s in r["throttled"]]
    other = sum(r["other"] for r in collected)
    first_error = next((r["first_error"] for r in collected if r["first_error"]), "")
    client_cpu = 100 * sum(r["cpu"] for r in collected) / wall
    total = len(ok) + len(throttled) + other
    note = f"{CALLERS} processes, {total} calls, callers' CPU {client_cpu:.0f}% of one core"
    if other:
        note += f"; {other} other errors, first: {first_error}"
    throttle_note = "AWS throttles the excess at once rather than queueing it; one attempt per call, no retries"
    if throttled:
        throttle_note += f"; a 429 answered in {p50_ms(throttled):.1f} ms p50, {percentile_ms(throttled, 0.99):.1f} ms p99"
    return [
        metric(CONCURRENCY, ctx, "successful invokes/s", len(ok) / wall, "/s", "higher", note),
        metric(CONCURRENCY, ctx, "p99 of successful calls", percentile_ms(ok, 0.99), "ms", "lower",
               f"p50 {p50_ms(ok) or 0:.1f} ms"),
        metric(CONCURRENCY, ctx, "share throttled (429)", 100 * len(throttled) / total if total else None, "%",
               "higher", throttle_note),
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
