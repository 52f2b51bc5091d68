"""Lambda workloads: a trivial Python handler invoked warm, synchronously."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

from bench.workloads import Workload

FUNCTION = "bench-echo"
HANDLER_SOURCE = "def handler(event, context):\n    return {'ok': True, 'n': event.get('n')}\n"
ROLE = "arn:aws:iam::000000000000:role/bench-lambda"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER_SOURCE)
    return buffer.getvalue()


def _setup(client: Any) -> None:
    try:
        client.create_function(FunctionName=FUNCTION, Runtime="python3.12", Role=ROLE, Handler="handler.handler",
                               Code={"ZipFile": _zip()}, Timeout=10, MemorySize=128)
    except client.exceptions.ResourceConflictException:
        pass
    deadline = time.monotonic() + 30  # bounded: some emulators build an environment first
    while time.monotonic() < deadline:
        state = client.get_function(FunctionName=FUNCTION)["Configuration"].get("State", "Active")
        if state == "Active":
            break
        if state == "Failed":
            raise RuntimeError("function creation failed")
        time.sleep(0.05)
    else:
        raise RuntimeError("function not Active after 30 s")
    _invoke(client, 0)  # the cold start, outside the measurement


def _invoke(client: Any, i: int) -> Any:
    response = client.invoke(FunctionName=FUNCTION, Payload=json.dumps({"n": i}).encode())
    if response.get("FunctionError"):
        raise AssertionError(f"function error: {response['Payload'].read()[:200]!r}")
    payload = json.loads(response["Payload"].read())
    if payload.get("n") != i:
        raise AssertionError(f"unexpected payload {payload!r}")
    return payload


WORKLOADS = [
    Workload("lambda-invoke-warm", "Lambda Invoke warm (trivial Python)", "lambda", "lambda", _setup, _invoke,
             distinct_requests=100, in_quick=False),
]
