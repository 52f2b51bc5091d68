"""Starting execution-environment processes: forked from a Python zygote, or exec'd (node, bootstrap).

Either way the caller gets a ProcessHandle: the pid (a session leader, so killing its group
takes the function's own children with it), a future that resolves with how it ended, and
memory readings from /proc.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import resource
import signal
import socket
import sys
from collections.abc import Sequence

from overcast.services.lambda_.runtime import opt_mount

log = logging.getLogger("overcast.lambda.processes")

HERE = os.path.dirname(os.path.abspath(__file__))
ZYGOTE_SCRIPT = os.path.join(HERE, "zygote.py")


class ProcessHandle:
    def __init__(self, pid: int, exited: asyncio.Future[str]):
        self.pid = pid
        # Resolves with Lambda's wording of the end: "exit status 1", "signal: killed".
        self.exited = exited
        self.watcher: asyncio.Task | None = None
        # Set when the process came with its own output pipe (a Node spare): read this instead.
        self.output_fd: int | None = None

    def kill(self) -> None:
        for target in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                target()
                return
            except (ProcessLookupError, PermissionError):
                continue

    def rss_mb(self) -> float:
        """Resident memory now, from /proc (0 when the process is gone)."""
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as f:
                pages = int(f.read().split()[1])
            return pages * resource.getpagesize() / (1024 * 1024)
        except (OSError, ValueError, IndexError):
            return 0.0

    def peak_rss_mb(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmHWM:"):
                        return int(int(line.split()[1]) / 1024 + 0.5)
        except (OSError, ValueError):
            pass
        return 0


# Lambda's supervisor words an end as Go does ("signal: " + syscall.Signal.String(), in AWS's
# runtime interface emulator, supervisor model ProcessTermination.String): these are Go's names
# for Linux's signals.
_GO_SIGNAL_NAMES = {
    1: "hangup", 2: "interrupt", 3: "quit", 4: "illegal instruction", 5: "trace/breakpoint trap",
    6: "aborted", 7: "bus error", 8: "floating point exception", 9: "killed", 10: "user defined signal 1",
    11: "segmentation fault", 12: "user defined signal 2", 13: "broken pipe", 14: "alarm clock",
    15: "terminated", 16: "stack fault", 17: "child exited", 18: "continued", 19: "stopped (signal)",
    20: "stopped", 21: "stopped (tty input)", 22: "stopped (tty output)", 23: "urgent I/O condition",
    24: "CPU time limit exceeded", 25: "file size limit exceeded", 26: "virtual timer expired",
    27: "profiling timer expired", 28: "window changed", 29: "I/O possible", 30: "power failure",
    31: "bad system call",
}


def describe_status(status: int | None = None, sig: int | None = None) -> str:
    if sig is not None:
        return f"signal: {_GO_SIGNAL_NAMES.get(sig, f'signal {sig}')}"
    return f"exit status {status}"


def minimal_process_env() -> dict[str, str]:
    """What a helper process (zygote) may see of the server's environment: nothing but PATH."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class Zygote:
    """One pre-imported Python parent per interpreter."""

    def __init__(self, interpreter: str, sdk_path: str = ""):
        self.interpreter = interpreter
        self.sdk_path = sdk_path
        self.info: dict = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._ready: asyncio.Future | None = None
        self._spawning: dict[str, asyncio.Future[int]] = {}
        self._exits: dict[int, asyncio.Future[str]] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task | None = None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> None:
        if self._ready is not None:
            await asyncio.shield(self._ready)
            return
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                self.interpreter, ZYGOTE_SCRIPT, str(theirs.fileno()), self.sdk_path,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                pass_fds=[theirs.fileno()], env=minimal_process_env(), cwd="/",
                start_new_session=True, limit=1 << 20)
        except BaseException as e:
            self._ready.set_exception(e)
            self._ready = None
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours
        self._reader = asyncio.create_task(self._read_events())
        await asyncio.shield(self._ready)

    async def _read_events(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            while True:
                line = await self._proc.stdout.readline()
                if not line:
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if "exited" in event:
                    exited = self._exits.pop(event["exited"], None)
                    if exited is not None and not exited.done():
                        exited.set_result(describe_status(event.get("status"), event.get("signal")))
                elif "spawned" in event:
                    spawned = self._spawning.pop(event["spawned"], None)
                    if spawned is not None and not spawned.done():
                        spawned.set_result(event["pid"])
                elif event.get("ready"):
                    self.info = event
                    if self._ready is not None and not self._ready.done():
                        self._ready.set_result(True)
        finally:
            self._fail_all()

    def _fail_all(self) -> None:
        error = RuntimeError("zygote exited")
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error)
        for fut in self._spawning.values():
            if not fut.done():
                fut.set_exception(error)
        for exit_status in self._exits.values():
            # The environment's parent is gone, so its status is unknowable; it has been killed.
            if not exit_status.done():
                exit_status.set_result("signal: killed")
        self._spawning.clear()
        self._exits.clear()
        self._ready = None

    async def spawn(self, cwd: str, env: dict[str, str], out_fd: int, path_prepend: Sequence[str],
                    file_size_limit: int | None, opt_source: str | None = None) -> ProcessHandle:
        if self._proc is not None and self._proc.returncode is not None:
            self._proc = None
            self._ready = None
        await self.start()
        assert self._sock is not None
        loop = asyncio.get_running_loop()
        spawn_id = str(next(self._ids))
        pid_future: asyncio.Future[int] = loop.create_future()
        self._spawning[spawn_id] = pid_future
        message = json.dumps({"id": spawn_id, "cwd": cwd, "env": env, "path_prepend": list(path_prepend),
                              "file_size_limit": file_size_limit, "opt_source": opt_source}).encode()
        socket.send_fds(self._sock, [message], [out_fd])
        pid = await pid_future
        exited: asyncio.Future[str] = loop.create_future()
        self._exits[pid] = exited
        return ProcessHandle(pid, exited)

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.alive:
            assert self._proc is not None
            try:
                self._proc.kill()
            except ProcessLookupError:
                pass
        if self._reader is not None:
            self._reader.cancel()

    async def wait_closed(self) -> None:
        if self._proc is not None:
            try:
                await asyncio.wait_for(self._proc.wait(), 2.0)
            except TimeoutError:
                pass


def prepare_child(file_size_limit: int | None, opt_source: str | None) -> None:
    """In the forked child before exec: its file-size limit and its own /opt."""
    if file_size_limit:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    if opt_source is not None:
        reason = opt_mount.enter(opt_source)
        if reason is not None:  # the probe said yes; say on the function's output why not now
            os.write(2, f"Overcast: could not mount the layers at /opt: {reason}\n".encode())


async def spawn_exec(argv: Sequence[str], cwd: str, env: dict[str, str], out_fd: int,
                     file_size_limit: int | None, opt_source: str | None = None) -> ProcessHandle:
    """Run a runtime that cannot be forked from a warm parent (node, a provided bootstrap)."""
    needed = file_size_limit or opt_source is not None
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out_fd, stderr=out_fd,
        start_new_session=True,
        preexec_fn=(lambda: prepare_child(file_size_limit, opt_source)) if needed else None)
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[str] = loop.create_future()

    async def wait() -> None:
        code = await proc.wait()
        if not exited.done():
            exited.set_result(describe_status(sig=-code) if code < 0 else describe_status(code))

    handle = ProcessHandle(proc.pid, exited)
    handle.watcher = asyncio.create_task(wait())  # held: an unreferenced task may be collected
    return handle


def current_interpreter() -> str:
    return sys.executable
