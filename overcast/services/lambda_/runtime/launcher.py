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

from overcast.services.lambda_.runtime import java_runtime, opt_mount
from overcast.services.lambda_.runtime.layer_merge import merge_layers
from overcast.services.lambda_.runtime.node_sdk import NodeSdk
from overcast.services.lambda_.runtime.node_spares import NodeSpares
from overcast.services.lambda_.runtime.processes import (
    HERE,
    ProcessHandle,
    Zygote,
    minimal_process_env,
    spawn_exec,
)

log = logging.getLogger("overcast.lambda")
OPT = opt_mount.OPT

NODE_BOOTSTRAP = os.path.join(HERE, "bootstrap_node.js")
OPT_MOUNT_SCRIPT = os.path.join(HERE, "opt_mount.py")
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
    def __init__(self, work_root: str, opt_target: str = OPT, node_sdk_root: str | None = None):
        self.work_root = work_root
        self.opt_target = opt_target  # only ever /opt but in the tests of the fallback
        # The AWS SDK for JavaScript v3 that Node.js functions find as on AWS (None: none).
        self.node_sdk = NodeSdk(node_sdk_root)
        self._pythons: dict[str, tuple[str, str | None]] = {}
        self._jdks: dict[str, tuple[java_runtime.Jdk, str | None]] = {}
        self._java_clients: dict[str, asyncio.Future[str]] = {}
        self._zygotes: dict[str, Zygote] = {}
        self._node_spares: dict[str, NodeSpares] = {}
        self._sdk_path: str | None = None
        self._warned: set[str] = set()
        # Whether environments can see their layers at a literal /opt: "" yes, else why not.
        self._opt_error: str | None = None
        self._opt_probe: asyncio.Task | None = None
        self._opt_dirs: dict[tuple[str, ...], str] = {}
        self._opt_warned: set[tuple[str, str, str]] = set()

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
        if runtime.startswith("java"):
            jdk, warning = self._jdk_for(runtime)
            return jdk.java, warning
        return "", None

    def _jdk_for(self, runtime: str) -> tuple[java_runtime.Jdk, str | None]:
        if runtime not in self._jdks:
            try:
                self._jdks[runtime] = java_runtime.find_jdk(runtime)
            except java_runtime.JavaUnavailable as e:
                raise RuntimeUnavailable(str(e)) from None
        return self._jdks[runtime]

    async def java_client(self, jdk: java_runtime.Jdk) -> str:
        """Our Java runtime client's classes for a JDK, compiled (once, off the loop) if need be."""
        compiled = self._java_clients.get(jdk.java)
        if compiled is None or (compiled.done() and compiled.exception() is not None):
            roots = [java_runtime.default_cache_root(), os.path.join(self.work_root, "java-runtime")]
            compiled = self._java_clients[jdk.java] = asyncio.ensure_future(
                asyncio.to_thread(java_runtime.compile_client, jdk, roots))
        try:
            return await asyncio.shield(compiled)
        except java_runtime.JavaUnavailable as e:
            raise RuntimeUnavailable(str(e)) from None

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
            # A spare is started before its function is known: it gets the empty /opt of a
            # function without layers (when /opt can be mounted at all).
            spares = self._node_spares[node] = NodeSpares(
                node, NODE_BOOTSTRAP, lambda: self._opt_dirs.get(()) if self._opt_error == "" else None,
                lambda: self.node_sdk.modules() is not None)
        return spares

    # -- /opt ---------------------------------------------------------------------------------

    async def opt_mount_error(self) -> str:
        """"" when an environment can have its own /opt on this machine, else the reason."""
        if self._opt_error is None:
            if self._opt_probe is None:
                self._opt_probe = asyncio.get_running_loop().create_task(self._probe_opt())
            try:
                await asyncio.shield(self._opt_probe)
            except Exception as e:  # an unexpected failure means no /opt, not no environment
                self._opt_error = self._opt_error or f"could not probe: {e!r}"
        return self._opt_error or ""

    async def _probe_opt(self) -> None:
        # In a throwaway process: the namespaces must never be the server's own.
        try:
            empty = await asyncio.to_thread(self._merged, ())
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-S", OPT_MOUNT_SCRIPT, empty, self.opt_target,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=minimal_process_env(), cwd="/")
            out, _ = await asyncio.wait_for(proc.communicate(), 10)
            answer = out.decode(errors="replace").strip().splitlines() or ["no answer"]
            self._opt_error = "" if answer[-1] == "ok" else answer[-1]
        except (OSError, TimeoutError) as e:
            self._opt_error = f"could not probe: {e}"
        if self._opt_error:
            log.warning("Lambda layers will not be mounted at /opt: %s", self._opt_error)

    def _merged(self, layer_dirs: tuple[str, ...]) -> str:
        merged = self._opt_dirs.get(layer_dirs)
        if merged is None:
            merged = self._opt_dirs[layer_dirs] = merge_layers(os.path.join(self.work_root, "opt"), layer_dirs)
        return merged

    async def opt_source(self, layer_dirs: Sequence[str]) -> str | None:
        """The directory an environment mounts on /opt (its layers merged; empty without
        layers), or None when /opt cannot be mounted here."""
        if await self.opt_mount_error():
            return None
        key = tuple(layer_dirs)
        merged = self._opt_dirs.get(key)
        return merged if merged is not None else await asyncio.to_thread(self._merged, key)

    def opt_warning_once(self, function_key: tuple[str, str, str], layer_dirs: Sequence[str]) -> str | None:
        """The fallback warning for a function with layers, the first time only."""
        if not self._opt_error or not layer_dirs or function_key in self._opt_warned:
            return None
        self._opt_warned.add(function_key)
        warning = (f"Overcast: layers cannot be mounted at /opt on this machine ({self._opt_error}); "
                   f"this function finds them through PYTHONPATH/NODE_PATH/PATH/LD_LIBRARY_PATH only, "
                   f"and reading /opt/<file> directly will fail.")
        log.warning("function %s: %s", function_key[2], warning)
        return warning

    def prewarm(self, runtime: str) -> None:
        """Start the runtime's zygote (or a Node spare) in the background so the first invoke
        only forks (or assigns)."""
        if self._opt_probe is None:
            # Whether /opt can be mounted is learned once, before the first environment needs it.
            self._opt_probe = asyncio.get_running_loop().create_task(self._probe_opt())
            self._opt_probe.add_done_callback(lambda t: t.cancelled() or t.exception())
        if runtime.startswith("nodejs"):
            try:
                node, _ = self.interpreter_for(runtime)
            except RuntimeUnavailable:
                return
            spares = self.node_spares(node)

            async def probe_then_start_spare() -> None:
                await self.opt_source(())
                spares.ensure()

            task = asyncio.get_running_loop().create_task(probe_then_start_spare())
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            return
        if runtime.startswith("java"):
            try:
                jdk, _ = self._jdk_for(runtime)
            except RuntimeUnavailable:
                return
            compiling = asyncio.ensure_future(self.java_client(jdk))
            compiling.add_done_callback(lambda t: t.cancelled() or t.exception())
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
                     env: dict[str, str], out_fd: int, file_size_limit: int | None,
                     opt_source: str | None = None) -> ProcessHandle:
        """Start an environment's process; with `opt_source`, it sees that directory at /opt
        and its layers are found there."""
        program, _ = self.interpreter_for(runtime)
        if runtime.startswith("python"):
            path = [code_dir]
            for layer in ((OPT,) if opt_source is not None else layer_dirs):
                path += [os.path.join(layer, "python"),
                         os.path.join(layer, "python", "lib", runtime, "site-packages")]
            return await self.zygote(program).spawn(cwd, env, out_fd, path, file_size_limit, opt_source)
        if runtime.startswith("nodejs"):
            if NodeSpares.suits(env, file_size_limit):
                handle = await self.node_spares(program).take(cwd, env, opt_source)
                if handle is not None:
                    return handle
            return await spawn_exec([program, NODE_BOOTSTRAP], cwd, env, out_fd, file_size_limit, opt_source)
        if runtime.startswith("java"):
            jdk, _ = self._jdk_for(runtime)
            classes = await self.java_client(jdk)
            layer_roots = [OPT] if opt_source is not None else list(reversed(layer_dirs))
            argv = java_runtime.jvm_argv(runtime, jdk, classes, env, layer_roots)
            return await spawn_exec(argv, cwd, env, out_fd, file_size_limit, opt_source)
        bootstrap = self.find_bootstrap(code_dir, layer_dirs)
        if bootstrap is None:
            raise RuntimeUnavailable("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]")
        if opt_source is not None and not bootstrap.startswith(code_dir + os.sep):
            bootstrap = os.path.join(OPT, "bootstrap")  # as Lambda runs it, inside the mount
        return await spawn_exec([bootstrap], cwd, env, out_fd, file_size_limit, opt_source)

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
        if self._opt_probe is not None and not self._opt_probe.done():
            self._opt_probe.cancel()
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
