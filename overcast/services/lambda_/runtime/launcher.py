"""Which program runs a runtime, and starting it: zygote forks for Python, exec for the rest.

A runtime runs on the matching interpreter when one is installed (python3.12 on Python 3.12);
otherwise on the closest one available, with one warning in the server log and one in the
function's log stream (returned by `interpreter_for`).
"""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

from overcast.services.lambda_.runtime.node_spares import NodeSpares
from overcast.services.lambda_.runtime.processes import (
    HERE,
    ProcessHandle,
    Zygote,
    minimal_process_env,
    spawn_exec,
)

log = logging.getLogger("overcast.lambda")

NODE_BOOTSTRAP = os.path.join(HERE, "bootstrap_node.js")
# Pure-Python packages that make `import boto3` work on interpreters that lack it.
SDK_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


class RuntimeUnavailable(Exception):
    pass


def _python_version_of(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=10, env=minimal_process_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, _, minor = out.stdout.strip().partition(".")
    try:
        return int(major), int(minor)
    except ValueError:
        return None


def _python_candidates(version: str) -> list[str]:
    name = f"python{version}"
    found = []
    which = shutil.which(name)
    # pyenv shims answer only for the selected version; the real binaries are next to them.
    if which and "/shims/" not in which:
        found.append(which)
    for pattern in (f"/usr/bin/{name}", f"/usr/local/bin/{name}",
                    os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/{name}"),
                    f"/opt/python*/bin/{name}"):
        found.extend(sorted(glob.glob(pattern)))
    return found


class Launcher:
    def __init__(self, work_root: str):
        self.work_root = work_root
        self._pythons: dict[str, tuple[str, str | None]] = {}
        self._zygotes: dict[str, Zygote] = {}
        self._node_spares: dict[str, NodeSpares] = {}
        self._sdk_path: str | None = None
        self._warned: set[str] = set()

    # -- interpreters -------------------------------------------------------------------------

    def interpreter_for(self, runtime: str) -> tuple[str, str | None]:
        """(program, warning or None) for a runtime."""
        if runtime.startswith("python"):
            return self._python_for(runtime)
        if runtime.startswith("nodejs"):
            node = shutil.which("node")
            if not node:
                raise RuntimeUnavailable(f"No Node.js installation found to run {runtime}.")
            return node, None
        return "", None

    def _python_for(self, runtime: str) -> tuple[str, str | None]:
        if runtime in self._pythons:
            return self._pythons[runtime]
        wanted = runtime[len("python"):]
        choice = self._find_python(wanted)
        if choice is not None:
            self._pythons[runtime] = (choice, None)
            return self._pythons[runtime]
        # The closest installed minor version, newer first on a tie (3.14 -> 3.13 before 3.15).
        minor = int(wanted.split(".")[1])
        for distance in range(1, 8):
            for candidate_minor in (minor - distance, minor + distance):
                if candidate_minor < 9:
                    continue
                found = self._find_python(f"3.{candidate_minor}")
                if found is not None:
                    warning = (f"Overcast: {runtime} is not installed on this machine; running this function "
                               f"with Python 3.{candidate_minor} instead.")
                    log.warning(warning)
                    self._pythons[runtime] = (found, warning)
                    return self._pythons[runtime]
        current = "{}.{}".format(*sys.version_info[:2])
        warning = (f"Overcast: {runtime} is not installed on this machine; running this function with "
                   f"Python {current} instead.")
        log.warning(warning)
        self._pythons[runtime] = (sys.executable, warning)
        return self._pythons[runtime]

    def _find_python(self, version: str) -> str | None:
        if version == "{}.{}".format(*sys.version_info[:2]):
            return sys.executable
        for candidate in _python_candidates(version):
            found = _python_version_of(candidate)
            if found is not None and "{}.{}".format(*found) == version and found >= (3, 9):
                return candidate
        return None

    def sdk_path(self) -> str:
        """A directory holding the server's boto3 (by symlink) for interpreters without one."""
        if self._sdk_path is None:
            path = os.path.join(self.work_root, "sdk")
            os.makedirs(path, exist_ok=True)
            for name in SDK_PACKAGES:
                spec = importlib.util.find_spec(name)
                if spec is None or spec.origin is None:
                    continue
                source = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
                target = os.path.join(path, os.path.basename(source))
                if not os.path.lexists(target):
                    os.symlink(source, target)
            self._sdk_path = path
        return self._sdk_path

    def zygote(self, interpreter: str) -> Zygote:
        zygote = self._zygotes.get(interpreter)
        if zygote is None:
            sdk = "" if interpreter == sys.executable else self.sdk_path()
            zygote = self._zygotes[interpreter] = Zygote(interpreter, sdk)
        return zygote

    def node_spares(self, node: str) -> NodeSpares:
        spares = self._node_spares.get(node)
        if spares is None:
            spares = self._node_spares[node] = NodeSpares(node, NODE_BOOTSTRAP)
        return spares

    def prewarm(self, runtime: str) -> None:
        """Start the runtime's zygote (or a Node spare) in the background so the first invoke
        only forks (or assigns)."""
        if runtime.startswith("nodejs"):
            try:
                node, _ = self.interpreter_for(runtime)
            except RuntimeUnavailable:
                return
            self.node_spares(node).ensure()
            return
        if not runtime.startswith("python"):
            return
        try:
            interpreter, _ = self.interpreter_for(runtime)
        except RuntimeUnavailable:
            return
        zygote = self.zygote(interpreter)
        if not zygote.alive:
            task = asyncio.get_running_loop().create_task(zygote.start())
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    # -- launching ----------------------------------------------------------------------------

    async def launch(self, runtime: str, code_dir: str, layer_dirs: Sequence[str], cwd: str,
                     env: dict[str, str], out_fd: int, file_size_limit: int | None) -> ProcessHandle:
        program, _ = self.interpreter_for(runtime)
        if runtime.startswith("python"):
            path = [code_dir]
            for layer in layer_dirs:
                path += [os.path.join(layer, "python"),
                         os.path.join(layer, "python", "lib", runtime, "site-packages")]
            return await self.zygote(program).spawn(cwd, env, out_fd, path, file_size_limit)
        if runtime.startswith("nodejs"):
            if NodeSpares.suits(env, file_size_limit):
                handle = await self.node_spares(program).take(cwd, env)
                if handle is not None:
                    return handle
            return await spawn_exec([program, NODE_BOOTSTRAP], cwd, env, out_fd, file_size_limit)
        bootstrap = self.find_bootstrap(code_dir, layer_dirs)
        if bootstrap is None:
            raise RuntimeUnavailable("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
        return await spawn_exec([bootstrap], cwd, env, out_fd, file_size_limit)

    @staticmethod
    def find_bootstrap(code_dir: str, layer_dirs: Sequence[str]) -> str | None:
        for base in (code_dir, *reversed(layer_dirs)):
            candidate = os.path.join(base, "bootstrap")
            if os.path.isfile(candidate):
                return candidate
        return None

    def warn_once(self, runtime: str) -> str | None:
        """The fallback warning for a runtime, the first time only (for the function's log)."""
        try:
            _, warning = self.interpreter_for(runtime)
        except RuntimeUnavailable:
            return None
        if warning and runtime not in self._warned:
            self._warned.add(runtime)
            return warning
        return None

    def stop(self) -> None:
        self._stopped = list(self._zygotes.values())
        for zygote in self._stopped:
            zygote.stop()
        self._zygotes.clear()
        self._stopped_spares = list(self._node_spares.values())
        for spares in self._stopped_spares:
            spares.stop()
        self._node_spares.clear()

    async def wait_closed(self) -> None:
        for zygote in getattr(self, "_stopped", []):
            await zygote.wait_closed()
        for spares in getattr(self, "_stopped_spares", []):
            await spares.wait_closed()
