"""An execution environment started ahead of any invocation, for provisioned concurrency.

Lambda initializes such an environment (runs the runtime and the handler's module) as soon as
the configuration is applied, so that an invocation finds it warm; the function sees
AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency in it (the Lambda developer guide's
"Defined runtime environment variables"). It is an ordinary Environment that also says when its
initialization ended: the first time the runtime asks for work, or when the runtime reports an
init error or exits first.
"""

from __future__ import annotations

import asyncio
import dataclasses

from overcast.services.lambda_.runtime.environment import Environment
from overcast.services.lambda_.runtime.launcher import Launcher
from overcast.services.lambda_.runtime.spec import FunctionSpec, LogSink

INITIALIZATION_TYPE = ("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
# On-demand initialization is cut off at 10 s; for provisioned concurrency the limit is 130 s or
# the function's timeout, whichever is higher (the Lambda developer guide, "Init phase").
PROVISIONED_INIT_TIMEOUT_S = 130.0


class InitFailed(Exception):
    """The runtime or the function's module could not be initialized."""


def provisioned_spec(spec: FunctionSpec) -> FunctionSpec:
    """The same function, revision and pool, with Lambda's variable saying how it was started
    (a function cannot set that variable itself: it is reserved, so there is no clash)."""
    variables = tuple(item for item in spec.environment if item[0] != INITIALIZATION_TYPE[0])
    return dataclasses.replace(spec, environment=(*variables, INITIALIZATION_TYPE))


class ProvisionedEnvironment(Environment):
    def __init__(self, spec: FunctionSpec, launcher: Launcher, sink: LogSink, work_root: str,
                 owner: tuple[str, ...]):
        super().__init__(provisioned_spec(spec), launcher, sink, work_root)
        self.owner = owner  # the configuration (function and qualifier) it was started for
        self._initialized: asyncio.Future[None] | None = None

    async def initialize(self) -> None:
        """Start the process and wait until the runtime has initialized and asks for work."""
        self._initialized = asyncio.get_running_loop().create_future()
        # Whoever stops waiting (a timeout, a cancelled configuration), an end that comes later
        # is not an unretrieved error.
        self._initialized.add_done_callback(lambda f: f.cancelled() or f.exception())
        await self.start()
        assert self.process is not None
        self.process.exited.add_done_callback(lambda _: self._init_ended(InitFailed("the runtime exited")))
        try:
            await asyncio.wait_for(asyncio.shield(self._initialized),
                                   max(PROVISIONED_INIT_TIMEOUT_S, float(self.spec.timeout_s)))
        except TimeoutError:
            raise InitFailed("initialization timed out") from None

    def _init_ended(self, failure: BaseException | None) -> None:
        if self._initialized is not None and not self._initialized.done():
            if failure is None:
                self._initialized.set_result(None)
            else:
                self._initialized.set_exception(failure)

    # -- Runtime API callbacks (Environment's, plus the end of initialization) ------------------

    def runtime_waiting(self) -> None:
        super().runtime_waiting()
        self._init_ended(None)

    def init_error(self, body: bytes, error_type: str | None) -> None:
        super().init_error(body, error_type)
        self._init_ended(InitFailed(error_type or "Runtime.Unknown"))

    @property
    def ready(self) -> bool:
        """Initialized: the runtime has asked for its first invocation."""
        done = self._initialized is not None and self._initialized.done()
        return done and not self._initialized.cancelled() and self._initialized.exception() is None  # type: ignore[union-attr]
