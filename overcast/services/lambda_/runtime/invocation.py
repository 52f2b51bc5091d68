"""One invocation as it travels from Invoke to an execution environment and back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    invoked_function_arn: str
    timeout_s: float
    client_context: str | None = None  # JSON text (already base64-decoded)
    cognito_identity: str | None = None
    trace_id: str = ""
    deadline_ms: int = 0  # set when the runtime picks the invocation up
    # Resolved with (status, payload, error_type or None); status is "ok", "init_error",
    # "timeout" or "exited" (see Environment.invoke).
    outcome: asyncio.Future | None = None


@dataclass
class InvokeResult:
    payload: bytes
    # "Unhandled" when the function failed (the X-Amz-Function-Error header).
    function_error: str | None
    log_tail: str  # the invocation's log lines, newest last
    duration_ms: float = 0.0
    init_duration_ms: float | None = None
    max_memory_mb: int = 0
    # True when the environment had to be discarded (timeout, crash, out of memory).
    environment_lost: bool = False
