"""The servers under test: how each one starts, and a fresh instance of it on a free loopback port.

Each start gets its own temporary working and data directory and a new process group, so a
server and anything it forks are stopped together and leave nothing behind.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.capture import Signer
from bench.procstats import process_tree, start_time

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServerSpec:
    name: str
    argv: Callable[[int, Path], list[str]]  # (port, data dir) -> command line
    env: Callable[[int, Path], dict[str, str]] = lambda port, data: {}
    needs_module: str | None = None  # importable module that must exist, else the target is skipped
    check: Callable[[], str | None] | None = None  # other prerequisites: returns why the target cannot run
    stateful: bool = True  # False for the do-nothing floor: no setup, no large objects
    probe_service: str = "s3"  # the first successful request: ListBuckets (s3) or ListTables (dynamodb)
    services: frozenset[str] | None = None  # AWS services it emulates; None for all that the workloads use
    in_default_run: bool = True  # False for diagnostic variants, run only when named in --targets

    def serves(self, service: str) -> bool:
        return self.services is None or service in self.services

    def missing(self) -> str | None:
        if self.needs_module and importlib.util.find_spec(self.needs_module) is None:
            return f"python module {self.needs_module!r} not installed (pip install -e '.[bench]')"
        return self.check() if self.check else None


def _python(*args: str) -> Callable[[int, Path], list[str]]:
    return lambda port, data: [sys.executable, *[a.format(port=port, data=data, host=HOST) for a in args]]


PEERS_DIR = Path(__file__).resolve().parent / ".peers"


def _dynalite_bin() -> str | None:
    local = PEERS_DIR / "node_modules" / ".bin" / "dynalite"
    return str(local) if local.exists() else shutil.which("dynalite")


def _dynalite_missing() -> str | None:
    if shutil.which("node") is None:
        return "node not installed (apt-get install nodejs npm)"
    if _dynalite_bin() is None:
        return "dynalite not installed (npm install --prefix bench/.peers dynalite@4)"
    return None


SPECS: dict[str, ServerSpec] = {
    "null": ServerSpec("null", _python("-m", "bench.nullserver", "--host", "{host}", "--port", "{port}"),
                       stateful=False),
    "overcast": ServerSpec(
        "overcast",
        _python("-m", "overcast.cli", "serve", "--host", "{host}", "--port", "{port}", "--data-dir", "{data}",
                "--log-level", "warning"),
        needs_module="overcast.cli",
    ),
    # Diagnostic: what durability costs. Not a peer, and not in the default run.
    "overcast-nofsync": ServerSpec(
        "overcast-nofsync",
        _python("-m", "overcast.cli", "serve", "--host", "{host}", "--port", "{port}", "--data-dir", "{data}",
                "--log-level", "warning", "--no-fsync"),
        needs_module="overcast.cli",
        in_default_run=False,
    ),
    "moto": ServerSpec("moto", _python("-m", "moto.server", "-H", "{host}", "-p", "{port}"), needs_module="moto.server"),
    "ministack": ServerSpec(
        "ministack",
        _python("-m", "ministack"),
        # MiniStack takes its port and bind address from the environment only; its defaults otherwise.
        env=lambda port, data: {
            "GATEWAY_PORT": str(port),
            "BIND_HOST": HOST,
            "LOG_LEVEL": "WARNING",
            "S3_DATA_DIR": str(data / "s3"),
            "STATE_DIR": str(data / "state"),
        },
        needs_module="ministack",
    ),
    # DynamoDB only, on LevelDB in its data directory (in memory without --path); tables ACTIVE at once, as
    # the other servers make them, rather than after its default 500 ms in CREATING.
    "dynalite": ServerSpec(
        "dynalite",
        lambda port, data: ["node", _dynalite_bin() or "dynalite", "--host", HOST, "--port", str(port),
                            "--path", str(data / "leveldb"), "--createTableMs", "0"],
        check=_dynalite_missing,
        services=frozenset({"dynamodb"}),
        probe_service="dynamodb",
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerFailed(RuntimeError):
    pass


@dataclass
class RunningServer:
    spec: ServerSpec
    port: int
    workdir: Path
    process: subprocess.Popen  # type: ignore[type-arg]
    start_ms: float | None = None
    start_note: str = ""  # why start_ms is missing, when the server answers but not successfully
    keep_workdir: bool = False
    _log: object = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, limit: int = 1500) -> str:
        try:
            return (self.workdir / "server.log").read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def stop(self) -> None:
        # Descendants may have left the process group (Lambda workers often do): note them while they are
        # still the leader's, so that they can be ended by id once the leader has had its chance to end them.
        descendants = [(pid, start_time(pid)) for pid in process_tree(self.process.pid) if pid != self.process.pid]
        if self.process.poll() is None:
            try:
                # Our own child leads its own process group, so this reaches only what it started.
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # stragglers the leader left behind
        except (ProcessLookupError, PermissionError):
            pass
        for pid, started in descendants:
            if started is None or start_time(pid) != started:
                continue  # gone, and the pid perhaps reused by a process that is not ours
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
        if not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _probe_request(spec: ServerSpec, endpoint: str) -> bytes:
    signer = Signer(spec.probe_service, endpoint)
    if spec.probe_service == "dynamodb":
        return signer.sign(lambda c: c.list_tables())
    return signer.sign(lambda c: c.list_buckets())


def _probe_once(port: int, request: bytes) -> int | None:
    """Status of one request on a fresh connection, or None if nothing answers yet."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as sock:
            sock.sendall(request)
            head = sock.recv(64)
    except OSError:
        return None
    if not head.startswith(b"HTTP/1."):
        return None
    return int(head[9:12])


def start(spec: ServerSpec, *, timeout: float = 30.0, keep_workdir: bool = False) -> RunningServer:
    """Start fresh and return once the first request succeeds; start_ms is spawn to that success."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix=f"overcast-bench-{spec.name}-"))
    data = workdir / "data"
    data.mkdir()
    endpoint = f"http://{HOST}:{port}"
    request = _probe_request(spec, endpoint)  # signed before the clock starts
    env = dict(os.environ)
    # Every server may cache its compiled bytecode, as on a user's machine: a workplace that sets
    # PYTHONDONTWRITEBYTECODE would otherwise make each start recompile every module it imports.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["TMPDIR"] = str(workdir)  # MiniStack writes its pid file there
    env.update(spec.env(port, data))
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed by RunningServer.stop
    started = time.perf_counter()
    process = subprocess.Popen(spec.argv(port, data), cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    server = RunningServer(spec, port, workdir, process, keep_workdir=keep_workdir, _log=log)
    deadline = started + timeout
    last_status: int | None = None
    first_answer: float | None = None
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise ServerFailed(f"{spec.name} exited with {process.returncode} before answering: {tail}")
        last_status = _probe_once(port, request)
        if last_status is not None and 200 <= last_status < 300:
            server.start_ms = (time.perf_counter() - started) * 1000
            return server
        if last_status is not None:
            # It answers, just not successfully: the other workloads may still run, so carry on without a start time.
            first_answer = first_answer or time.perf_counter()
            if time.perf_counter() - first_answer > 3:
                server.start_note = f"{spec.probe_service} probe answered HTTP {last_status}"
                return server
        time.sleep(0.003)
    tail = server.log_tail()
    server.stop()
    raise ServerFailed(f"{spec.name} gave no successful answer within {timeout:.0f} s "
                       f"(last status {last_status}): {tail}")
