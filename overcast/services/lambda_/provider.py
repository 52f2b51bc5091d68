"""AWS Lambda: the provider class the server builds on Lambda's first request.

Operations are grouped by concern in sibling modules and mixed together here; the data plane
(execution environments) lives under runtime/.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile

from overcast.services.base import ServiceRuntime
from overcast.services.lambda_ import code_download
from overcast.services.lambda_.aliases import AliasOps
from overcast.services.lambda_.async_invoke import AsyncInvokeOps
from overcast.services.lambda_.code import CodeCache, remove_tree
from overcast.services.lambda_.code_signing import CodeSigningOps
from overcast.services.lambda_.event_sources.control import EventSourceMappingOps
from overcast.services.lambda_.functions import FunctionOps
from overcast.services.lambda_.invoke import InvokeOps
from overcast.services.lambda_.layer_policies import LayerPolicyOps
from overcast.services.lambda_.layers import LayerOps
from overcast.services.lambda_.log_shipping import LogShipper
from overcast.services.lambda_.permissions import PolicyOps
from overcast.services.lambda_.provisioned import ProvisionedConcurrencyOps
from overcast.services.lambda_.recursion import RecursionOps
from overcast.services.lambda_.runtime.launcher import Launcher
from overcast.services.lambda_.runtime.pool import ExecutionPool
from overcast.services.lambda_.runtime_management import RuntimeManagementOps
from overcast.services.lambda_.settings import SettingsOps
from overcast.services.lambda_.store import LambdaStore
from overcast.services.lambda_.url_configs import UrlConfigOps
from overcast.services.lambda_.versions import VersionOps

WORK_PREFIX = "overcast-lambda-"


def sweep_stale_work_roots() -> None:
    """Remove unpacked code and /tmp directories left by servers that died without cleaning up."""
    base = tempfile.gettempdir()
    for entry in os.listdir(base):
        if not entry.startswith(WORK_PREFIX):
            continue
        pid = entry[len(WORK_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            root = os.path.join(base, entry)
            kill_processes_under(root)
            remove_tree(root)


def kill_processes_under(root: str) -> None:
    """End environments orphaned by a server that was killed: their working directory is under
    its work root (a custom runtime that ignores its lost Runtime API would otherwise live on)."""
    if not os.path.isdir("/proc"):
        return
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + os.sep):
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


class Provider(EventSourceMappingOps, AsyncInvokeOps, InvokeOps, VersionOps, AliasOps, PolicyOps, SettingsOps,
               ProvisionedConcurrencyOps, RuntimeManagementOps, RecursionOps, CodeSigningOps, LayerPolicyOps, LayerOps,
               UrlConfigOps, FunctionOps):
    service = "lambda"

    def __init__(self, runtime: ServiceRuntime):
        super().__init__(runtime)
        self.store = LambdaStore(self.db)
        # Outside the data directory on purpose: functions see these paths.
        sweep_stale_work_roots()
        self.work_root = tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-")
        self.codes = CodeCache(os.path.join(self.work_root, "code"), self.blobs)
        self.launcher = Launcher(self.work_root, node_sdk_root=self.config.lambda_node_sdk)
        self.log_shipper = LogShipper(runtime.internal, runtime.clock)
        self.account_concurrency = self.config.lambda_concurrency
        self.pool = ExecutionPool(self.launcher, self.log_shipper, self.work_root,
                                  account_limit=self.account_concurrency,
                                  idle_timeout_s=self.config.lambda_idle_timeout)
        self._specs = {}
        self._allocations = {}

    def start(self) -> None:
        self.store.load()
        code_download.register(self)
        self.runtime.health["lambda"] = {"functions": len(self.store.functions)}
        self.start_async_worker()
        self.start_event_sources()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        # Most functions are Python: have the zygote importing boto3 while the first
        # CreateFunction is still being answered.
        self.launcher.prewarm("python{}.{}".format(*sys.version_info[:2]))
        # Provisioned concurrency survives a restart: its environments start again.
        for record in list(self.store.functions.values()):
            if record.provisioned_concurrency:
                self.reconcile_provisioned(record)

    def stop(self) -> None:
        self.stop_event_sources()
        self.stop_async_worker()
        code_download.register(None)
        self.pool.stop()
        remove_tree(self.work_root)
