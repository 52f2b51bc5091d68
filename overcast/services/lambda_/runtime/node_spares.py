"""A started, not yet assigned Node.js process kept in reserve, so a cold start skips node's boot.

Node cannot fork like the Python zygote, so the next best thing: one spare `node bootstrap_node.js`
waits (clean environment, cwd /) for its assignment - the function's environment variables and
working directory - as one JSON line on stdin, then loads the handler like any environment. Its
output pipe was made when it started, so the environment adopts that pipe's read end.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable

from overcast.services.lambda_.runtime.processes import (
    ProcessHandle,
    describe_status,
    minimal_process_env,
    prepare_child,
)

# Spares run with the default ephemeral storage limit; other sizes start a fresh process.
SPARE_FILE_SIZE_LIMIT = 512 * 1024 * 1024


class NodeSpare:
    def __init__(self, proc: asyncio.subprocess.Process, handle: ProcessHandle, read_fd: int,
                 opt_source: str | None):
        self.proc = proc
        self.handle = handle
        self.read_fd = read_fd
        self.opt_source = opt_source  # what it sees at /opt (None: the machine's own)


class NodeSpares:
    def __init__(self, node: str, bootstrap: str, opt_source: Callable[[], str | None] = lambda: None,
                 import_hooks: Callable[[], bool] = lambda: False):
        self.node = node
        self.bootstrap = bootstrap
        self.opt_source = opt_source
        # Whether a spare starts bootstrap_node.js's import hooks while it waits (when the AWS SDK is
        # installed, so that ES module functions' cold starts do not wait for the hooks' thread).
        self.import_hooks = import_hooks
        self._spare: NodeSpare | None = None
        self._starting: asyncio.Task | None = None
        self._stopped = False
        self._procs: set[asyncio.subprocess.Process] = set()

    @staticmethod
    def suits(env: dict[str, str], file_size_limit: int | None) -> bool:
        # NODE_OPTIONS only acts when node starts, and a spare has started already.
        return "NODE_OPTIONS" not in env and file_size_limit == SPARE_FILE_SIZE_LIMIT

    def ensure(self) -> None:
        """Have a spare starting or waiting."""
        if self._stopped or self._spare is not None or (self._starting and not self._starting.done()):
            return
        self._starting = asyncio.get_running_loop().create_task(self._start())
        self._starting.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        opt_source = self.opt_source()

        env = dict(minimal_process_env(), OVERCAST_SPARE="1")
        if self.import_hooks():
            env["OVERCAST_SPARE_IMPORT_HOOKS"] = "1"
        try:
            proc = await asyncio.create_subprocess_exec(
                self.node, self.bootstrap, stdin=asyncio.subprocess.PIPE, stdout=write_fd, stderr=write_fd,
                env=env, cwd="/", start_new_session=True,
                preexec_fn=lambda: prepare_child(SPARE_FILE_SIZE_LIMIT, opt_source))
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self._procs.add(proc)
        loop = asyncio.get_running_loop()
        exited: asyncio.Future[str] = loop.create_future()
        handle = ProcessHandle(proc.pid, exited)

        async def wait() -> None:
            code = await proc.wait()
            self._procs.discard(proc)
            if not exited.done():
                exited.set_result(describe_status(sig=-code) if code < 0 else describe_status(code))

        handle.watcher = asyncio.create_task(wait())
        spare = NodeSpare(proc, handle, read_fd, opt_source)
        if self._stopped:
            self._discard(spare)
            return
        self._spare = spare

    async def take(self, cwd: str, env: dict[str, str], opt_source: str | None = None) -> ProcessHandle | None:
        """Assign the spare (if one is ready and sees the /opt the environment needs: a function
        with layers starts afresh) to an environment; start the next one."""
        if self._spare is not None and self._spare.opt_source != opt_source:
            if self._spare.opt_source != self.opt_source():  # started before /opt was probed
                self._discard(self._spare)
                self._spare = None
                self.ensure()
            return None
        spare, self._spare = self._spare, None
        self.ensure()
        if spare is None or spare.handle.exited.done() or spare.proc.stdin is None:
            if spare is not None:
                self._discard(spare)
            return None
        try:
            spare.proc.stdin.write((json.dumps({"cwd": cwd, "env": env}) + "\n").encode())
            await spare.proc.stdin.drain()
            spare.proc.stdin.close()
        except (ConnectionError, OSError):
            self._discard(spare)
            return None
        spare.handle.output_fd = spare.read_fd
        return spare.handle

    @staticmethod
    def _discard(spare: NodeSpare) -> None:
        spare.handle.kill()
        try:
            os.close(spare.read_fd)
        except OSError:
            pass

    def stop(self) -> None:
        self._stopped = True
        if self._starting is not None:
            self._starting.cancel()
        if self._spare is not None:
            self._discard(self._spare)
            self._spare = None

    async def wait_closed(self) -> None:
        """Let killed spares' transports close on this loop (after stop and environments' close)."""
        for proc in list(self._procs):
            try:
                await asyncio.wait_for(proc.wait(), 2.0)
            except TimeoutError:
                pass
