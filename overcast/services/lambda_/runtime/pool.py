"""Execution environments by function: warm reuse, concurrency limits, retirement and reaping.

Concurrent invocations each get their own environment. Reserved concurrency and the account
limit are checked before anything starts, so excess synchronous callers get a 429 at once
instead of queueing.

Provisioned concurrency: environments started ahead for a configuration (an alias or a
version) are held apart from the idle ones, never reaped, and taken first by any invocation of
their version while one is free; when all are busy, invocations run on demand, within what
reserved concurrency leaves over the provisioned environments.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

from overcast.services.lambda_.runtime.environment import Environment
from overcast.services.lambda_.runtime.invocation import Invocation, InvokeResult
from overcast.services.lambda_.runtime.launcher import Launcher
from overcast.services.lambda_.runtime.provisioned_env import ProvisionedEnvironment
from overcast.services.lambda_.runtime.spec import FunctionSpec, LogSink

log = logging.getLogger("overcast.lambda")


class Throttled(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ExecutionPool:
    def __init__(self, launcher: Launcher, sink: LogSink, work_root: str, *,
                 account_limit: int = 1000, idle_timeout_s: float = 600.0):
        self.launcher = launcher
        self.sink = sink
        self.work_root = work_root
        self.account_limit = account_limit
        self.idle_timeout_s = idle_timeout_s
        self._idle: dict[tuple, list[Environment]] = defaultdict(list)
        self._revisions: dict[tuple, str] = {}
        self._busy: dict[tuple, int] = defaultdict(int)
        self._total_busy = 0
        self._all: set[Environment] = set()
        self._reaper: asyncio.Task | None = None
        # Provisioned environments by the configuration they serve, and the free ones by version.
        self._provisioned: dict[tuple, list[ProvisionedEnvironment]] = defaultdict(list)
        self._provisioned_free: dict[tuple, list[ProvisionedEnvironment]] = defaultdict(list)
        self._busy_provisioned: dict[tuple, int] = defaultdict(int)
        # Environments are started for provisioned concurrency a few at a time (each is a process
        # initializing its function: hundreds at once would starve the server).
        self._starting = asyncio.Semaphore(4)
        self._replacing: set[asyncio.Task] = set()

    # -- invoking -----------------------------------------------------------------------------

    def busy(self, account_id: str, region: str, function_name: str) -> int:
        return self._busy.get((account_id, region, function_name), 0)

    def check_capacity(self, key: tuple[str, str, str], reserved: int | None = None,
                       version: str | None = None) -> None:
        """Raise Throttled when an invocation of the function (its concurrency_key) would be.

        `reserved` is what reserved concurrency leaves to on-demand environments (the function's
        reserved concurrency less its provisioned concurrency); an invocation of a `version`
        with a free provisioned environment is not throttled."""
        if version is not None and self._free_provisioned((*key, version)):
            return
        on_demand_busy = self._busy.get(key, 0) - self._busy_provisioned.get(key, 0)
        if reserved is not None and on_demand_busy >= reserved:
            raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        if self._total_busy >= self.account_limit:
            raise Throttled("ConcurrentInvocationLimitExceeded")

    async def invoke(self, spec: FunctionSpec, inv: Invocation, reserved: int | None = None) -> InvokeResult:
        key = spec.concurrency_key
        env: Environment | None = self._take_provisioned(spec)
        if env is None:
            self.check_capacity(key, reserved)
        provisioned = env is not None
        self._busy[key] += 1
        self._total_busy += 1
        if provisioned:
            self._busy_provisioned[key] += 1
        try:
            if env is None:
                self._note_revision(spec)
                env = self._take_idle(spec)
            if env is None:
                env = await self._create(spec)
            try:
                result = await env.invoke(inv)
            except BaseException:
                env.close()
                raise
            self._give_back(env)
            return result
        finally:
            self._busy[key] -= 1
            self._total_busy -= 1
            if provisioned:
                self._busy_provisioned[key] -= 1

    def _note_revision(self, spec: FunctionSpec) -> None:
        if self._revisions.get(spec.pool_key) != spec.revision:
            self._revisions[spec.pool_key] = spec.revision
            self._drop_idle(spec.pool_key, keep_revision=spec.revision)

    def _take_idle(self, spec: FunctionSpec) -> Environment | None:
        idle = self._idle.get(spec.pool_key)
        while idle:
            env = idle.pop()  # the most recently used is the warmest
            if env.alive and env.spec.revision == spec.revision:
                return env
            self._discard(env)
        return None

    async def _create(self, spec: FunctionSpec) -> Environment:
        env = Environment(spec, self.launcher, self.sink, self.work_root)
        self._all.add(env)
        try:
            await env.start()
        except BaseException:
            self._discard(env)
            raise
        self._ensure_reaper()
        return env

    def _give_back(self, env: Environment) -> None:
        if isinstance(env, ProvisionedEnvironment):
            self._give_back_provisioned(env)
        elif env.alive and self._revisions.get(env.spec.pool_key) == env.spec.revision:
            self._idle[env.spec.pool_key].append(env)
        else:
            self._discard(env)

    def _discard(self, env: Environment) -> None:
        env.close()
        self._all.discard(env)

    # -- provisioned concurrency --------------------------------------------------------------

    def _free_provisioned(self, pool_key: tuple) -> bool:
        return any(env.alive for env in self._provisioned_free.get(pool_key, ()))

    def _take_provisioned(self, spec: FunctionSpec) -> ProvisionedEnvironment | None:
        free = self._provisioned_free.get(spec.pool_key)
        while free:
            env = free.pop()
            if env.alive and env.spec.revision == spec.revision:
                return env
            self._lose_provisioned(env)
        return None

    def _give_back_provisioned(self, env: ProvisionedEnvironment) -> None:
        if env.alive and env in self._provisioned.get(env.owner, []):
            self._provisioned_free[env.spec.pool_key].append(env)
        else:
            self._lose_provisioned(env)

    def _lose_provisioned(self, env: ProvisionedEnvironment) -> None:
        """Stop an environment that is no longer wanted or usable; one its configuration still
        holds (it crashed, timed out, ran out of memory) is replaced, as Lambda replaces it."""
        self._drop_provisioned(env)
        held = self._provisioned.get(env.owner, [])
        if env in held:
            held.remove(env)
            task = asyncio.get_running_loop().create_task(
                self._start_provisioned(env.owner, env.spec, replacing=True))
            self._replacing.add(task)  # held until done: the loop keeps only a weak reference
            task.add_done_callback(self._replacing.discard)

    def _drop_provisioned(self, env: ProvisionedEnvironment) -> None:
        free = self._provisioned_free.get(env.spec.pool_key, [])
        if env in free:
            free.remove(env)
        self._discard(env)

    async def _start_provisioned(self, owner: tuple, spec: FunctionSpec, replacing: bool = False) -> None:
        env = ProvisionedEnvironment(spec, self.launcher, self.sink, self.work_root, owner)
        held = self._provisioned[owner]
        held.append(env)
        self._all.add(env)
        try:
            async with self._starting:
                await env.initialize()
        except BaseException:
            if env in held:
                held.remove(env)
            self._discard(env)
            if not replacing:
                raise
            log.warning("could not replace a provisioned environment of %s", spec.function_name)
            return
        if env in held:
            self._provisioned_free[env.spec.pool_key].append(env)
            self._ensure_reaper()
        else:  # released while it started
            self._discard(env)

    async def provision(self, owner: tuple, spec: FunctionSpec, count: int) -> None:
        """Hold `count` initialized environments of `spec` for a configuration (`owner`):
        those of another version or revision stop (the alias moved), extra ones stop, missing
        ones start. Raises InitFailed when one cannot be initialized."""
        held = self._provisioned[owner]
        stale = [env for env in held
                 if env.spec.pool_key != spec.pool_key or env.spec.revision != spec.revision]
        surplus = len(held) - len(stale) - count
        if surplus > 0:  # free ones first; busy ones stop when their invocation ends
            keep = [env for env in held if env not in stale]
            stale += sorted(keep, key=lambda env: env.state == "busy")[:surplus]
        for env in stale:
            held.remove(env)
            if env.state != "busy":
                self._drop_provisioned(env)
        missing = count - len(held)
        results = await asyncio.gather(*(self._start_provisioned(owner, spec) for _ in range(missing)),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def provisioned_ready(self, owner: tuple) -> int:
        """How many of a configuration's environments are initialized (busy ones included)."""
        return sum(1 for env in self._provisioned.get(owner, ()) if env.ready and env.alive)

    def unprovision(self, owner: tuple) -> None:
        """Stop a configuration's environments: free ones now, busy ones when they finish."""
        for env in self._provisioned.pop(owner, []):
            if env.state != "busy":
                self._drop_provisioned(env)

    # -- retirement ---------------------------------------------------------------------------

    def _drop_idle(self, pool_key: tuple, keep_revision: str | None = None) -> None:
        idle = self._idle.get(pool_key, [])
        keep = [e for e in idle if keep_revision is not None and e.spec.revision == keep_revision]
        for env in idle:
            if env not in keep:
                self._discard(env)
        self._idle[pool_key] = keep

    def retire(self, account_id: str, region: str, function_name: str, version: str | None = None,
               keep_revision: str | None = None) -> None:
        """Retire a function's environments (all versions, or one); busy ones finish first."""
        for pool_key in list(self._idle):
            if pool_key[:3] == (account_id, region, function_name) and version in (None, pool_key[3]):
                self._drop_idle(pool_key, keep_revision)
                if keep_revision is None:
                    self._revisions.pop(pool_key, None)
                else:
                    self._revisions[pool_key] = keep_revision

    def environments(self, account_id: str, region: str, function_name: str) -> list[Environment]:
        return [e for e in self._all if e.spec.concurrency_key == (account_id, region, function_name)]

    def reap(self) -> int:
        cutoff = time.monotonic() - self.idle_timeout_s
        reaped = 0
        for idle in list(self._idle.values()):
            for env in [e for e in idle if e.last_used < cutoff or not e.alive]:
                idle.remove(env)
                self._discard(env)
                reaped += 1
        return reaped

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(self.idle_timeout_s / 2, 30.0))
        while self._all:
            await asyncio.sleep(interval)
            self.reap()

    def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for env in list(self._all):
            env.close()
        self._all.clear()
        self._idle.clear()
        self._provisioned.clear()
        self._provisioned_free.clear()
        self.launcher.stop()
