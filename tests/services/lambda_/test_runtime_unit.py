"""The data plane without the HTTP server: zygote forks, the Runtime API and our bootstraps."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
import uuid

import pytest

from overcast.services.lambda_.runtime.invocation import Invocation
from overcast.services.lambda_.runtime.launcher import Launcher
from overcast.services.lambda_.runtime.pool import ExecutionPool, Throttled
from overcast.services.lambda_.runtime.spec import FunctionSpec

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


class ListSink:
    def __init__(self):
        self.events: list[tuple[str, str]] = []

    def write(self, spec, stream, events):
        self.events.extend((stream, message) for _, message in events)

    def time(self):
        return time.time()


def make_spec(code_dir: str, runtime: str = "python3.11", handler: str = "lambda_function.handler",
              revision: str = "r1", timeout: int = 3, memory: int = 128, env=()) -> FunctionSpec:
    return FunctionSpec("f", ARN, "$LATEST", runtime, handler, code_dir, memory, timeout, "us-east-1",
                        "000000000000", "http://localhost:4566", revision, environment=tuple(env))


def write_code(root, files: dict[str, str]) -> str:
    code = os.path.join(str(root), "code-" + uuid.uuid4().hex[:8])
    os.makedirs(code)
    for name, text in files.items():
        with open(os.path.join(code, name), "w") as f:
            f.write(text)
    return code


def invocation(payload=b"{}", timeout=3, client_context=None) -> Invocation:
    return Invocation(str(uuid.uuid4()), payload, ARN, timeout, client_context=client_context)


class PoolHarness:
    """Runs a test's coroutine with a fresh pool on one event loop, stopping the pool on it."""

    def __init__(self, work: str):
        self.work = work
        self.sink = ListSink()

    def run(self, make_coro):
        async def main():
            pool = ExecutionPool(Launcher(self.work), self.sink, self.work)
            try:
                return await make_coro(pool)
            finally:
                pool.stop()
                await pool.launcher.wait_closed()

        return asyncio.run(main())


@pytest.fixture
def harness(tmp_path):
    return PoolHarness(str(tmp_path / "work"))


PY_HANDLER = """
import os
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    print("event", event)
    return {"count": COUNT, "rid": context.aws_request_id, "name": context.function_name,
            "arn": context.invoked_function_arn, "mem": context.memory_limit_in_mb,
            "version": context.function_version, "group": context.log_group_name,
            "stream": context.log_stream_name, "remaining": context.get_remaining_time_in_millis(),
            "custom": context.client_context.custom if context.client_context else None,
            "env": dict(os.environ), "cwd": os.getcwd()}
"""


def test_python_invoke_warm_reuse_and_context(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": PY_HANDLER})
    spec = make_spec(code, env=[("GREETING", "hi")])

    async def go(pool):
        first = await pool.invoke(spec, invocation(b'{"a": 1}'))
        inv = invocation(client_context=json.dumps({"custom": {"k": "v"}}))
        second = await pool.invoke(spec, inv)
        return first, second, inv

    first, second, inv = harness.run(go)
    one, two = json.loads(first.payload), json.loads(second.payload)
    assert first.function_error is None
    assert (one["count"], two["count"]) == (1, 2)  # same warm environment
    assert first.init_duration_ms is not None and second.init_duration_ms is None
    assert two["rid"] == inv.request_id
    assert two["name"] == "f" and two["arn"] == ARN and two["mem"] == "128" and two["version"] == "$LATEST"
    assert two["group"] == "/aws/lambda/f" and "[$LATEST]" in two["stream"]
    assert 0 < two["remaining"] <= 3000
    assert two["custom"] == {"k": "v"}
    env = two["env"]
    assert env["GREETING"] == "hi" and env["AWS_ENDPOINT_URL"] == "http://localhost:4566"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "f" and env["_HANDLER"] == "lambda_function.handler"
    assert env["LAMBDA_TASK_ROOT"] == code and two["cwd"] == code
    assert "OVERCAST_DATA_DIR" not in env and "PYTEST_CURRENT_TEST" not in env
    assert "event {'a': 1}" in first.log_tail
    assert first.log_tail.startswith("INIT_START")
    assert "REPORT RequestId: " in second.log_tail and "Init Duration" not in second.log_tail
    lines = [m for _, m in harness.sink.events]
    assert any(m.startswith("START RequestId: " + inv.request_id) for m in lines)


def test_python_handler_error_shape(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "def handler(e, c):\n    raise ValueError('boom')\n"})
    result = harness.run(lambda pool: pool.invoke(make_spec(code), invocation()))
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "boom"
    assert any("raise ValueError('boom')" in frame for frame in doc["stackTrace"])
    assert "[ERROR] ValueError: boom" in result.log_tail


def test_python_import_error(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "import no_such_module\n"})
    result = harness.run(lambda pool: pool.invoke(make_spec(code), invocation()))
    doc = json.loads(result.payload)
    assert doc["errorType"] == "Runtime.ImportModuleError"
    assert doc["errorMessage"] == "Unable to import module 'lambda_function': No module named 'no_such_module'"


def test_python_missing_handler(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "x = 1\n"})
    result = harness.run(lambda pool: pool.invoke(make_spec(code), invocation()))
    doc = json.loads(result.payload)
    assert doc["errorType"] == "Runtime.HandlerNotFound"
    assert doc["errorMessage"] == "Handler 'handler' missing on module 'lambda_function'"


def test_timeout_kills_environment(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "import time\nN = 0\ndef handler(e, c):\n"
                                 "    global N\n    N += 1\n    if e.get('sleep'):\n        time.sleep(30)\n    return N\n"})
    spec = make_spec(code, timeout=1)

    async def go(pool):
        slow = await pool.invoke(spec, invocation(b'{"sleep": true}', timeout=1))
        after = await pool.invoke(spec, invocation(timeout=1))
        return slow, after

    slow, after = harness.run(go)
    doc = json.loads(slow.payload)
    assert slow.function_error == "Unhandled" and slow.environment_lost
    assert doc["errorType"] == "Sandbox.Timedout"
    assert doc["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in slow.log_tail
    assert json.loads(after.payload) == 1  # a fresh environment


def test_out_of_memory(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "import time\ndef handler(e, c):\n"
                                 "    hog = []\n    while True:\n        hog.append(bytearray(8 * 1024 * 1024))\n"
                                 "        time.sleep(0.005)\n"})
    result = harness.run(lambda pool: pool.invoke(make_spec(code, memory=128, timeout=20), invocation(timeout=20)))
    doc = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert doc["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in doc["errorMessage"]


def test_process_exit_is_reported(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "import sys\ndef handler(e, c):\n    sys.exit(3)\n"})
    result = harness.run(lambda pool: pool.invoke(make_spec(code), invocation()))
    doc = json.loads(result.payload)
    assert doc["errorType"] == "Runtime.ExitError"
    assert doc["errorMessage"].endswith("Runtime exited with error: exit status 3")


def test_new_revision_retires_warm_environment(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "N = 0\ndef handler(e, c):\n    global N\n    N += 1\n    return N\n"})

    async def go(pool):
        a = await pool.invoke(make_spec(code, revision="r1"), invocation())
        b = await pool.invoke(make_spec(code, revision="r1"), invocation())
        c = await pool.invoke(make_spec(code, revision="r2"), invocation())
        return [json.loads(x.payload) for x in (a, b, c)]

    assert harness.run(go) == [1, 2, 1]


def test_concurrent_invokes_use_separate_environments_and_throttle(harness, tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "import os, time\ndef handler(e, c):\n"
                                 "    time.sleep(1.0)\n    return os.getpid()\n"})
    spec = make_spec(code)

    async def go(pool):
        calls = [pool.invoke(spec, invocation(), reserved=3) for _ in range(4)]
        return await asyncio.gather(*calls, return_exceptions=True)

    results = harness.run(go)
    throttled = [r for r in results if isinstance(r, Throttled)]
    pids = {json.loads(r.payload) for r in results if not isinstance(r, BaseException)}
    assert len(throttled) == 1 and throttled[0].reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert len(pids) == 3


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_async_and_callback_handlers(harness, tmp_path):
    code = write_code(tmp_path, {
        "index.mjs": "let n = 0;\nexport const handler = async (event, context) => {\n"
                     "  n += 1; console.log('hello', event.a);\n"
                     "  return {n, rid: context.awsRequestId, name: context.functionName,\n"
                     "          left: context.getRemainingTimeInMillis() > 0};\n};\n",
        "cb.js": "exports.handler = function (event, context, callback) {\n"
                 "  setTimeout(() => callback(null, {echo: event}), 5);\n};\n",
        "bad.js": "exports.handler = async () => { throw new TypeError('nope'); };\n",
    })

    async def go(pool):
        a = await pool.invoke(make_spec(code, "nodejs20.x", "index.handler"), invocation(b'{"a": 5}'))
        b = await pool.invoke(make_spec(code, "nodejs20.x", "index.handler"), invocation())
        c = await pool.invoke(make_spec(code, "nodejs20.x", "cb.handler", revision="cb"), invocation(b'{"x": 1}'))
        d = await pool.invoke(make_spec(code, "nodejs20.x", "bad.handler", revision="bad"), invocation())
        return a, b, c, d

    a, b, c, d = harness.run(go)
    assert json.loads(a.payload)["n"] == 1 and json.loads(b.payload)["n"] == 2
    assert json.loads(b.payload)["left"] is True and json.loads(b.payload)["name"] == "f"
    assert "\tINFO\thello 5" in a.log_tail
    assert json.loads(c.payload) == {"echo": {"x": 1}}
    err = json.loads(d.payload)
    assert d.function_error == "Unhandled"
    assert err["errorType"] == "TypeError" and err["errorMessage"] == "nope" and err["trace"][0] == "TypeError: nope"


def test_provided_runtime_runs_bootstrap(harness, tmp_path):
    code = write_code(tmp_path, {"bootstrap": (
        "#!/bin/sh\nset -e\n"
        "while true; do\n"
        "  HEADERS=$(mktemp)\n"
        "  EVENT=$(curl -sS -LD \"$HEADERS\" \"http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next\")\n"
        "  RID=$(grep -Fi Lambda-Runtime-Aws-Request-Id \"$HEADERS\" | tr -d '[:space:]' | cut -d: -f2)\n"
        "  echo \"got $EVENT\"\n"
        "  curl -sS -X POST \"http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$RID/response\" -d \"{\\\"echo\\\": $EVENT}\" >/dev/null\n"
        "done\n")})
    os.chmod(os.path.join(code, "bootstrap"), 0o755)
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    result = harness.run(lambda pool: pool.invoke(make_spec(code, "provided.al2023", "x"), invocation(b'{"k": 2}')))
    assert json.loads(result.payload) == {"echo": {"k": 2}}


def test_quick_invocations_stay_on_one_warm_environment(tmp_path):
    """An answer that arrives in the same loop turn as the pickup is a success, not an init failure
    (uvloop makes that common; the server runs on it)."""
    uvloop = pytest.importorskip("uvloop")
    code = write_code(tmp_path, {"lambda_function.py": "N = 0\ndef handler(e, c):\n    global N\n    N += 1\n"
                                 "    return N\n"})
    work = str(tmp_path / "work")

    async def main():
        pool = ExecutionPool(Launcher(work), ListSink(), work)
        try:
            results = [await pool.invoke(make_spec(code), invocation()) for _ in range(200)]
        finally:
            pool.stop()
            await pool.launcher.wait_closed()
        return results

    results = uvloop.run(main()) if hasattr(uvloop, "run") else asyncio.run(main())
    assert [r.function_error for r in results] == [None] * 200
    assert json.loads(results[-1].payload) == 200


def test_idle_environments_are_reaped(tmp_path):
    code = write_code(tmp_path, {"lambda_function.py": "def handler(e, c):\n    return 1\n"})
    work = str(tmp_path / "work")

    async def main():
        pool = ExecutionPool(Launcher(work), ListSink(), work, idle_timeout_s=0.2)
        try:
            await pool.invoke(make_spec(code), invocation())
            env = pool.environments("000000000000", "us-east-1", "f")[0]
            assert env.alive
            await asyncio.sleep(0.6)
            return env.alive, pool.environments("000000000000", "us-east-1", "f")
        finally:
            pool.stop()
            await pool.launcher.wait_closed()

    alive, remaining = asyncio.run(main())
    assert alive is False and remaining == []


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_spare_becomes_the_function(tmp_path):
    code = write_code(tmp_path, {"index.js": "exports.handler = async () => ({env: process.env, cwd: process.cwd(),"
                                             " pid: process.pid});\n"})
    work = str(tmp_path / "work")

    async def main():
        launcher = Launcher(work)
        pool = ExecutionPool(launcher, ListSink(), work)
        try:
            launcher.prewarm("nodejs20.x")
            spares = launcher.node_spares(launcher.interpreter_for("nodejs20.x")[0])
            for _ in range(200):
                if spares._spare is not None:
                    break
                await asyncio.sleep(0.01)
            spare_pid = spares._spare.handle.pid
            result = await pool.invoke(make_spec(code, "nodejs20.x", "index.handler", env=[("MINE", "1")]),
                                       invocation())
            return spare_pid, json.loads(result.payload)
        finally:
            pool.stop()
            await launcher.wait_closed()

    spare_pid, body = asyncio.run(main())
    assert body["pid"] == spare_pid  # the waiting spare, not a new process
    assert body["cwd"] == code
    assert body["env"]["MINE"] == "1" and body["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "f"
    assert "OVERCAST_SPARE" not in body["env"]


def _max_memory_used(tail: str) -> int:
    report = next(line for line in tail.splitlines() if line.startswith("REPORT "))
    return int(report.split("Max Memory Used: ")[1].split(" MB")[0])


HOG_PY = ("def handler(event, context):\n"
          "    hog = bytearray(event['mb'] * 1024 * 1024)\n"
          "    hog[::4096] = b'x' * len(hog[::4096])\n"
          "    return len(hog)\n")
HOG_NODE = "exports.handler = async (event) => Buffer.alloc(event.mb * 1024 * 1024, 1).length;\n"


@pytest.mark.parametrize("runtime", ["python3.11", "nodejs20.x"])
def test_report_max_memory_used_is_the_peak(harness, tmp_path, runtime):
    """The REPORT line's Max Memory Used is the environment's peak, allocations freed again included."""
    if runtime.startswith("node") and shutil.which("node") is None:
        pytest.skip("node is not installed")
    code = write_code(tmp_path, {"lambda_function.py": HOG_PY, "index.js": HOG_NODE})
    handler = "lambda_function.handler" if runtime.startswith("python") else "index.handler"
    # Generous time limits: filling 200 MB on a loaded 2-core machine (the suite runs in
    # parallel) can take longer than the default 3 s, which would fail the call, not the check.
    spec = make_spec(code, runtime, handler, memory=1024, timeout=30)
    # The process that starts environments (here, this one) is bigger than the small call's
    # peak: the figure must be the function's own, not one inherited from its starter.
    ballast = b"\x01" * (300 << 20)

    async def go(pool):
        small = await pool.invoke(spec, invocation(b'{"mb": 1}', timeout=30))
        large = await pool.invoke(spec, invocation(b'{"mb": 200}', timeout=30))
        return small, large

    small, large = harness.run(go)
    del ballast
    assert small.function_error is None and large.function_error is None
    assert 0 < _max_memory_used(small.log_tail) < 200 <= _max_memory_used(large.log_tail) < 1024
    assert large.max_memory_mb == _max_memory_used(large.log_tail)


PRINTS_PY = ("import sys\n"
             "def handler(event, context):\n"
             "    for i in range(event['lines']):\n"
             "        print('line', i, 'x' * 100)\n"
             "    sys.stdout.write('no newline at the end')\n"
             "    return event['lines']\n")
PRINTS_NODE = ("exports.handler = async (event) => {\n"
               "  for (let i = 0; i < event.lines; i++) {\n"
               "    if (i % 2) console.log(`line ${i}`, 'x'.repeat(100));\n"
               "    else process.stdout.write(`line ${i} ${'x'.repeat(100)}\\n`);\n"
               "  }\n"
               "  process.stdout.write('no newline at the end');\n"
               "  return event.lines;\n};\n")


@pytest.mark.parametrize("runtime", ["python3.11", "nodejs20.x"])
def test_all_output_is_in_its_invocations_log(harness, tmp_path, runtime):
    """Every line printed before the answer (far more than a pipe holds; Node's console and
    process.stdout mixed), and a last one without a newline, is logged between the invocation's
    START and END."""
    if runtime.startswith("node") and shutil.which("node") is None:
        pytest.skip("node is not installed")
    code = write_code(tmp_path, {"lambda_function.py": PRINTS_PY, "index.js": PRINTS_NODE})
    handler = "lambda_function.handler" if runtime.startswith("python") else "index.handler"
    spec = make_spec(code, runtime, handler)

    async def go(pool):
        return [await pool.invoke(spec, invocation(b'{"lines": %d}' % n)) for n in (3000, 1)]

    big, small = harness.run(go)
    assert big.function_error is None and small.function_error is None
    lines = [m for _, m in harness.sink.events]
    ends = [i for i, m in enumerate(lines) if m.startswith("END RequestId: ")]
    first = lines[:ends[0]]
    # console.log's lines start with a timestamp
    assert sum(re.search(r"\bline \d+ x", m) is not None for m in first) == 3000
    assert first[-1] == "no newline at the end"
    assert lines[ends[0] + 2:ends[1]][-2:] == ["line 0 " + "x" * 100, "no newline at the end"]
    assert small.log_tail.split("\n")[-4] == "no newline at the end"
