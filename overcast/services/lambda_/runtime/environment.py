"""One execution environment: a process, its Runtime API endpoint, its output and its log stream.

An environment runs one invocation at a time. It is created cold (INIT_START, the runtime
imports the handler, then asks for work), serves invocations while warm, and is discarded after
a timeout, a crash, running out of memory, or when its function's code or configuration
changes.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import json
import logging
import math
import os
import shutil
import time
import uuid

from overcast.services.lambda_.runtime.api_server import RuntimeApiServer
from overcast.services.lambda_.runtime.ephemeral import (
    QUICK_WALK_ENTRIES,
    TmpUsage,
    exhausted_message,
    limit_writes,
    measure,
    unchanged_empty_dir,
)
from overcast.services.lambda_.runtime.invocation import Invocation, InvokeResult
from overcast.services.lambda_.runtime.launcher import Launcher
from overcast.services.lambda_.runtime.output import OutputReader, unread_bytes
from overcast.services.lambda_.runtime.processes import ProcessHandle
from overcast.services.lambda_.runtime.spec import FunctionSpec, LogSink

log = logging.getLogger("overcast.lambda")

INIT_TIMEOUT_S = 10.0
TAIL_BYTES = 4096
# How long lines wait to go to CloudWatch Logs together. Each batch is one PutLogEvents and one
# write transaction, whatever its size: a busy environment's batches get larger, not more
# frequent (0.25 s instead of 0.05 s saved ~12% of the server's CPU per warm invoke with four
# busy environments), and AWS delivers function logs seconds late, not within 0.25 s.
LOG_BATCH_S = 0.25
# How often memory is sampled while an invocation runs, growing up to the maximum.
_POLL_FIRST_S, _POLL_MAX_S = 0.02, 0.1
# How long, at most, a custom runtime's output after its answer still counts as the invocation's
# when the runtime does not come back to /next first (the moment it has nothing more to print).
_CUSTOM_RUNTIME_LINGER_S = 0.002


def _now_ms() -> int:
    """The wall clock, which deadlines are measured on (the function's own process reads it)."""
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def session_token(spec: FunctionSpec) -> str:
    """An opaque token, the same for every environment of the function (what it is made of is
    of no use to anyone: it only has to be there)."""
    seed = f"{spec.function_name}:{spec.region}:{spec.access_key}".encode()
    return "OVERCAST" + base64.b64encode(hashlib.sha256(seed).digest() * 4).decode()


def build_environment(spec: FunctionSpec, api_address: str, stream: str, tmp_dir: str,
                      opt_mounted: bool = False, node_sdk_modules: str | None = None) -> dict[str, str]:
    """The variables a function sees: Lambda's, its own, credentials, and the way back to Overcast.

    With `opt_mounted`, the layers are at /opt and the paths name /opt as on Lambda; otherwise
    they name each unpacked layer, the last one first (it overrides the others).
    `node_sdk_modules` is the installed AWS SDK for JavaScript v3 (node_sdk.py), if any."""
    layer_roots = ["/opt"] if opt_mounted else list(reversed(spec.layer_dirs))
    layer_bins = [os.path.join(d, "bin") for d in layer_roots]
    layer_libs = [os.path.join(d, "lib") for d in layer_roots]
    env = {
        "PATH": ":".join([*layer_bins, "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": tmp_dir,  # keeps SDKs away from the server user's ~/.aws
        "TMPDIR": tmp_dir,
        "LAMBDA_TASK_ROOT": spec.code_dir,
        "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.abspath(__file__)),
        "_HANDLER": spec.handler,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_ACCESS_KEY_ID": spec.access_key,
        "AWS_ACCESS_KEY": spec.access_key,  # Lambda sets both names (its reserved variables)
        "AWS_SECRET_ACCESS_KEY": spec.secret_key,
        # Lambda hands functions temporary credentials, so code (and libraries that sign
        # requests themselves) expect a session token beside the keys. Overcast does not check
        # tokens (a signature is checked against the key's secret alone), so an opaque one serves.
        "AWS_SESSION_TOKEN": session_token(spec),
        "AWS_ENDPOINT_URL": spec.endpoint_url,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
    # As on Lambda (…:$LAMBDA_TASK_ROOT:$LAMBDA_TASK_ROOT/lib:/opt/lib): native libraries shipped
    # in the zip, at its root or under lib/, load without the function setting anything.
    env["LD_LIBRARY_PATH"] = ":".join([spec.code_dir, os.path.join(spec.code_dir, "lib"), *layer_libs])
    if spec.family == "node":
        modules = [os.path.join(d, "nodejs", "node_modules") for d in layer_roots]
        # After the layers, where AWS has /var/runtime/node_modules (the SDK's place).
        runtime_modules = [node_sdk_modules] if node_sdk_modules else []
        env["NODE_PATH"] = ":".join([*modules, *runtime_modules, os.path.join(spec.code_dir, "node_modules")])
    env.update(dict(spec.environment))
    return env


class Environment:
    def __init__(self, spec: FunctionSpec, launcher: Launcher, sink: LogSink, work_root: str):
        self.spec = spec
        self.launcher = launcher
        self.sink = sink
        self.id = uuid.uuid4().hex
        version = spec.version
        self.stream_name = time.strftime("%Y/%m/%d/", time.gmtime(sink.time())) + f"[{version}]{self.id}"
        self.tmp_dir = os.path.join(work_root, "env", self.id, "tmp")
        self.state = "new"  # new -> idle <-> busy -> dead
        self.process: ProcessHandle | None = None
        self.api = RuntimeApiServer(self)
        self.last_used = time.monotonic()
        self._current: Invocation | None = None
        self._started = 0.0  # perf_counter() when the runtime picked the current invocation up
        self._watch_handle: asyncio.TimerHandle | None = None
        self._watch_task: asyncio.Task | None = None
        self._polls_this = 0
        self._peak_kib = 0  # peak memory as our bootstraps report it with their answer
        self._spawn_started = 0.0
        self._init_duration_ms: float | None = None
        self._init_failure: tuple[bytes, str] | None = None
        # Only the last 4 KB are ever returned (LogType=Tail): one line is at least a byte.
        self._lines: collections.deque[str] = collections.deque(maxlen=TAIL_BYTES)
        self._events: list[tuple[int, str]] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._output: OutputReader | None = None
        self._output_fd = -1
        self._reader_done: asyncio.Future | None = None
        self._reader_task: asyncio.Task | None = None
        self._oom = False
        self._served = 0
        # /next calls so far, and how many there had been when the current invocation went out:
        # more since means the runtime is done with it (see _custom_runtime_done).
        self._next_calls = 0
        self._next_calls_at_delivery = 0
        self._back_on_next: asyncio.Future[None] | None = None
        self._tmp_capacity = spec.ephemeral_mb * 1024 * 1024
        self._tmp_usage = TmpUsage(0, 0)
        self._tmp_empty_mtime = 0  # /tmp's mtime when it was last found empty (see unchanged_empty_dir)
        self._tmp_exhausted = False
        self._polls = 0

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        os.makedirs(self.tmp_dir, exist_ok=True)
        await self.api.start()
        opt_source = await self.launcher.opt_source(self.spec.layer_dirs)
        env = build_environment(self.spec, self.api.address, self.stream_name, self.tmp_dir,
                                opt_mounted=opt_source is not None,
                                node_sdk_modules=self.launcher.node_sdk.modules() if self.spec.family == "node" else None)
        read_fd, write_fd = os.pipe()
        self._reader_done = loop.create_future()
        self._spawn_started = time.perf_counter()
        self._emit(f"INIT_START Runtime Version: {self.spec.runtime.replace('.x', '')}.overcast\t"
                   f"Runtime Version ARN: arn:aws:lambda:{self.spec.region}::runtime:overcast-{self.spec.runtime}")
        warning = self.launcher.warn_once(self.spec.runtime)
        if warning:
            self._emit(warning)
        opt_warning = self.launcher.opt_warning_once(self.spec.concurrency_key, self.spec.layer_dirs)
        if opt_warning:
            self._emit(opt_warning)
        try:
            self.process = await self.launcher.launch(
                self.spec.runtime, self.spec.code_dir, self.spec.layer_dirs, self.spec.code_dir, env, write_fd,
                self.spec.ephemeral_mb * 1024 * 1024, opt_source)
        except BaseException:
            os.close(read_fd)
            self.close()
            raise
        finally:
            os.close(write_fd)
        if self.process.output_fd is not None:
            os.close(read_fd)
            read_fd = self.process.output_fd
        self.process.exited.add_done_callback(self._on_exit)
        # Held so the task (and with it the pipe) is not garbage-collected mid-read.
        self._reader_task = asyncio.create_task(self._read_output(read_fd))
        self.state = "idle"

    def close(self) -> None:
        if self.state == "dead":
            return
        self.state = "dead"
        if self.process is not None:
            self.process.kill()
        self.api.close()
        self._flush()
        env_dir = os.path.dirname(self.tmp_dir)
        try:
            # A function may leave a large /tmp behind; removing it must not stall the loop.
            asyncio.get_running_loop().run_in_executor(None, shutil.rmtree, env_dir, True)
        except RuntimeError:
            shutil.rmtree(env_dir, ignore_errors=True)

    @property
    def alive(self) -> bool:
        return self.state != "dead" and not (self.process is not None and self.process.exited.done())

    # -- output -------------------------------------------------------------------------------

    async def _read_output(self, fd: int) -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._output = output = OutputReader(self._on_line, done)
        self._output_fd = fd
        transport, _ = await loop.connect_read_pipe(lambda: output, os.fdopen(fd, "rb", 0))
        try:
            await done
        finally:
            transport.close()
            if self._reader_done is not None and not self._reader_done.done():
                self._reader_done.set_result(None)

    def _on_line(self, raw: bytes) -> None:
        self._emit(raw.decode("utf-8", "replace").rstrip("\n"))

    async def _custom_runtime_done(self, process: ProcessHandle) -> None:
        """A custom runtime may print after it answers (its own bootstrap, buffered output): that
        is this invocation's until the runtime asks for the next event, which it does at once
        when it has nothing left to do. Wait for that /next (or a short while), then read the
        pipe empty as for our own bootstraps."""
        if self._next_calls == self._next_calls_at_delivery:
            back = self._back_on_next = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait({back}, timeout=_CUSTOM_RUNTIME_LINGER_S)
            finally:
                self._back_on_next = None
        await self._read_pipe_empty(process)

    async def _read_pipe_empty(self, process: ProcessHandle) -> None:
        """Our bootstraps flush stdout and stderr before they answer, so everything the invocation
        printed is in the pipe by now: read on until the pipe is empty (usually it already is),
        then hand on a last line printed without a newline, so it is this invocation's."""
        deadline = time.perf_counter() + 1.0
        spins = 0
        while (unread_bytes(self._output_fd) and not process.exited.done()
               and time.perf_counter() < deadline):
            await asyncio.sleep(0 if spins < 4 else 0.001)  # the loop reads the pipe meanwhile
            spins += 1
        if self._output is not None:
            self._output.flush_partial()

    def _emit(self, message: str) -> None:
        self._lines.append(message)
        self._events.append((int(self.sink.time() * 1000), message))  # Overcast's clock, as Logs reads it
        if self._flush_handle is None:
            try:
                self._flush_handle = asyncio.get_running_loop().call_later(LOG_BATCH_S, self._flush)
            except RuntimeError:
                self._flush()

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._events:
            events, self._events = self._events, []
            try:
                self.sink.write(self.spec, self.stream_name, events)
            except Exception:
                log.exception("could not deliver function logs")

    # -- Runtime API --------------------------------------------------------------------------

    def runtime_waiting(self) -> None:
        if self._init_duration_ms is None:
            self._init_duration_ms = (time.perf_counter() - self._spawn_started) * 1000
        self._next_calls += 1
        back = self._back_on_next
        if back is not None and not back.done():
            back.set_result(None)

    def invocation_delivered(self, inv: Invocation) -> None:
        self._next_calls_at_delivery = self._next_calls
        inv.deadline_ms = _now_ms() + int(inv.timeout_s * 1000)
        if inv is self._current:
            self._started = time.perf_counter()
            self._arm(self._started + min(_POLL_FIRST_S, inv.timeout_s))

    def _resolve(self, request_id: str | None, result: tuple) -> bool:
        inv = self._current
        if inv is None or inv.outcome is None or (request_id is not None and inv.request_id != request_id):
            return False
        if not inv.outcome.done():
            phase = result[2]
            if phase == "invoke" and not self._started:
                status = "init_error"  # answered before it was ever handed out
            else:
                status = "ok" if phase == "invoke" else "init_error"
            inv.outcome.set_result((status, result[0], result[1]))
        return True

    def peak_memory_reported(self, kib: int) -> None:
        self._peak_kib = kib

    def invocation_response(self, request_id: str, body: bytes) -> bool:
        return self._resolve(request_id, (body, None, "invoke"))

    def invocation_error(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        return self._resolve(request_id, (body, error_type or "Unhandled", "invoke"))

    def response_too_large(self, request_id: str, size: int) -> bool:
        body = json.dumps({"errorMessage": "Response payload size exceeded maximum allowed payload size "
                                           "(6291556 bytes).", "errorType": "Function.ResponseSizeTooLarge"})
        return self._resolve(request_id, (body.encode(), "Function.ResponseSizeTooLarge", "invoke"))

    def init_error(self, body: bytes, error_type: str | None) -> None:
        failure = (body, error_type or "Runtime.Unknown")
        if not self._resolve(None, (*failure, "init")):
            self._init_failure = failure

    # -- invoking -----------------------------------------------------------------------------

    async def invoke(self, inv: Invocation) -> InvokeResult:
        """Run one invocation. Its outcome is one future, resolved by the Runtime API (the
        answer), the process's end, or the watch timer (timeout, memory, /tmp); an invocation
        that ends within the first poll interval costs no more than that future and one timer."""
        loop = asyncio.get_running_loop()
        process = self.process
        assert process is not None
        self.state = "busy"
        # The runtime may already be waiting on /next (init done) when the first invoke arrives.
        cold = self._served == 0
        self._served += 1
        if not cold:
            self._lines.clear()
        inv.outcome = outcome = loop.create_future()
        self._current = inv
        self._started = 0.0
        self._polls_this = 0
        self._peak_kib = 0
        self._emit(f"START RequestId: {inv.request_id} Version: {self.spec.version}")
        if process.exited.done():
            outcome.set_result(("exited", b"", None))
        elif self._init_failure is not None:
            outcome.set_result(("init_error", *self._init_failure))
        else:
            self.api.deliver(inv)  # calls invocation_delivered now when the runtime waits on /next
            if not self._started:
                # Until the runtime asks for work it is still initialising (a cold start).
                self._arm(time.perf_counter() + max(INIT_TIMEOUT_S, inv.timeout_s))
        try:
            status, payload, error_type = await outcome
        finally:
            self._disarm()
        started = self._started
        if status == "timeout" and not started:
            started = time.perf_counter() - inv.timeout_s
        ended = time.perf_counter()
        if status == "ok" and await self._tmp_overfilled():
            process.kill()  # written past /tmp's size through several files: see ephemeral.py
            status = "exited"
        if status == "ok" and self.spec.family in ("python", "node"):
            await self._read_pipe_empty(process)
        elif status != "ok" and self._reader_done is not None:
            if status == "timeout":
                process.kill()  # so its output ends now and the wait below is short
            await asyncio.wait({self._reader_done}, timeout=0.2)
        elif status == "ok":
            await self._custom_runtime_done(process)
        duration_ms = (ended - started) * 1000 if started else 0.0
        result = self._finish(inv, status, payload, error_type, duration_ms, cold)
        self._current = None
        self.last_used = time.monotonic()
        if result.environment_lost:
            self.close()
        else:
            self.state = "idle"
        return result

    def _on_exit(self, _exited: asyncio.Future) -> None:
        inv = self._current
        if inv is not None and inv.outcome is not None and not inv.outcome.done():
            inv.outcome.set_result(("exited", b"", None))

    def _arm(self, when: float) -> None:
        """Wake _watch at `when`, a time.perf_counter() reading."""
        if self._watch_handle is not None:
            self._watch_handle.cancel()
        self._watch_handle = asyncio.get_running_loop().call_later(max(when - time.perf_counter(), 0.0),
                                                                   self._watch)

    def _disarm(self) -> None:
        if self._watch_handle is not None:
            self._watch_handle.cancel()
            self._watch_handle = None
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None

    def _watch(self) -> None:
        """The invocation runs on: check its deadline, memory and /tmp, then sleep again."""
        self._watch_handle = None
        inv = self._current
        if inv is None or inv.outcome is None or inv.outcome.done() or self.process is None:
            return
        now = time.perf_counter()
        if not self._started:  # never picked up within the init timeout
            inv.outcome.set_result(("timeout", b"", None))
            return
        deadline = self._started + inv.timeout_s
        if now >= deadline:
            inv.outcome.set_result(("timeout", b"", None))
            return
        self._polls_this += 1
        poll = min(_POLL_FIRST_S * 2 ** self._polls_this, _POLL_MAX_S)
        if self.process.rss_mb() > self.spec.memory_mb:
            self._oom = True
            self.process.kill()  # the process's end resolves the outcome
        elif self._watch_task is None or self._watch_task.done():
            self._watch_task = asyncio.get_running_loop().create_task(self._watch_tmp())
        self._arm(min(now + poll, deadline))

    async def _watch_tmp(self) -> None:
        if await self._tmp_overfilled(during=True) and self.process is not None:
            self.process.kill()

    async def _tmp_overfilled(self, during: bool = False) -> bool:
        """Measure /tmp; when it is past its size, say so (the caller stops the environment), else
        lower the process's file-size limit to the space left for its next writes."""
        self._polls += 1
        large = self._tmp_usage.entries > QUICK_WALK_ENTRIES
        if during and large and self._polls % 10:
            return False  # a big tree is walked on every tenth poll only
        mtime = unchanged_empty_dir(self.tmp_dir, self._tmp_empty_mtime)
        if mtime is None:
            return False
        usage = await asyncio.to_thread(measure, self.tmp_dir) if large else measure(self.tmp_dir)
        self._tmp_empty_mtime = mtime if usage.entries == 0 else 0
        if usage.allocated > self._tmp_capacity:
            self._tmp_exhausted = True
            self._tmp_usage = usage
            return True
        if usage.allocated != self._tmp_usage.allocated:
            assert self.process is not None
            limit_writes(self.process.pid, usage, self._tmp_capacity)
        self._tmp_usage = usage
        return False

    def _finish(self, inv: Invocation, status: str, payload: bytes, error_type: str | None,
                duration_ms: float, cold: bool) -> InvokeResult:
        rid = inv.request_id
        lost = status != "ok"
        function_error: str | None = None
        report_status = ""
        if self._peak_kib:
            max_memory = int(self._peak_kib / 1024 + 0.5)
        else:
            max_memory = self.process.peak_rss_mb() if self.process else 0
        if status == "ok":
            function_error = "Unhandled" if error_type else None
        elif status == "init_error":
            function_error = "Unhandled"
            report_status = "error"
        elif status == "timeout":
            if self.process is not None:
                self.process.kill()
            seconds = inv.timeout_s
            self._emit(f"{_iso(int(self.sink.time() * 1000))} {rid} Task timed out after {seconds:.2f} seconds")
            payload = json.dumps({"errorType": "Sandbox.Timedout",
                                  "errorMessage": f"RequestId: {rid} Error: Task timed out after {seconds:.2f} seconds"}
                                 ).encode()
            function_error = "Unhandled"
            report_status = "timeout"
        else:  # the process ended without answering
            how = self.process.exited.result() if self.process and self.process.exited.done() else "signal: killed"
            kind = "Runtime.OutOfMemory" if self._oom else "Runtime.ExitError"
            # AWS's wording (its runtime interface emulator, rapid): a clean exit gives no reason.
            if how == "exit status 0":
                message = f"RequestId: {rid} Error: Runtime exited without providing a reason"
            else:
                message = f"RequestId: {rid} Error: Runtime exited with error: {how}"
            if self._tmp_exhausted and not self._oom:
                message = f"RequestId: {rid} Error: {exhausted_message(self._tmp_usage, self.spec.ephemeral_mb)}"
            self._emit(message)
            self._emit(kind)
            payload = json.dumps({"errorType": kind, "errorMessage": message}).encode()
            function_error = "Unhandled"
            # A crash's REPORT names its error type too (the Lambda execution environment guide,
            # "Status: error Error Type: Runtime.ExitError").
            report_status = f"error\tError Type: {kind}"
            if self._oom:
                max_memory = self.spec.memory_mb
        if function_error and self.spec.family == "node":
            hint = self.launcher.node_sdk.hint_once(self.spec.concurrency_key, payload)
            if hint:
                self._emit(hint)
        self._emit(f"END RequestId: {rid}")
        report = (f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\t"
                  f"Billed Duration: {max(1, math.ceil(duration_ms))} ms\tMemory Size: {self.spec.memory_mb} MB\t"
                  f"Max Memory Used: {max_memory} MB\t")
        init_ms = self._init_duration_ms if cold else None
        if init_ms is not None:
            report += f"Init Duration: {init_ms:.2f} ms\t"
        if report_status:
            report += f"Status: {report_status}\t"
        self._emit(report)
        # No flush here: the 50 ms timer batches busy environments' lines into fewer writes.
        return InvokeResult(payload=payload, function_error=function_error, log_tail="\n".join(self._lines) + "\n",
                            duration_ms=duration_ms, init_duration_ms=init_ms, max_memory_mb=max_memory,
                            environment_lost=lost)
