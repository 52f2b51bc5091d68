"""The application: one object holding the runtime; the HTTP server hands it each request,
which it runs through the handler chain.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from overcast.clock import Clock
from overcast.config import Config
from overcast.protocol import sigv4
from overcast.scheduler import Scheduler
from overcast.server import chain
from overcast.server.context import RequestContext
from overcast.server.data_planes import DataPlanes
from overcast.server.http import Request, Response
from overcast.server.internal_routes import InternalRoutes
from overcast.services.base import ServiceRuntime
from overcast.services.internal import InternalClient
from overcast.services.registry import ProviderRegistry
from overcast.storage import open_storage

if TYPE_CHECKING:
    from overcast.server.http_server import HttpServer

log = logging.getLogger("overcast.server")
request_log = logging.getLogger("overcast.requests")

DataPlaneHandler = Callable[[Request], Awaitable[Response]]


class Overcast:
    def __init__(self, config: Config):
        self.config = config
        self.started_at = time.time()
        os.makedirs(config.data_dir, exist_ok=True)
        self._lock_data_dir()
        self.clock = Clock()
        self.scheduler = Scheduler(self.clock)
        db, blobs = open_storage(config.data_dir, fsync=config.fsync)
        self.internal = InternalClient(self)
        self.runtime = ServiceRuntime(
            config=config, db=db, blobs=blobs, clock=self.clock, scheduler=self.scheduler, internal=self.internal
        )
        self.registry = ProviderRegistry(self.runtime)
        self.internal_routes = InternalRoutes(self)
        # Website and execute-api hosts, S3's preflight and form uploads: answered before the
        # AWS API chain (server/data_planes.py).
        self.data_planes = DataPlanes(self)
        self._log_requests = logging.getLogger("overcast.requests").isEnabledFor(logging.INFO)
        self._shut_down = False
        # Requests' own writes run on the event loop's thread (see SqliteDatabase.write): a lone
        # request's commits there too, concurrent requests' share a commit made by a committer
        # thread. Background tasks' writes always go to the writer thread (they would hold the
        # loop for nobody's sake).
        self._http: HttpServer | None = None
        db.requests_in_hand = self._requests_in_hand

    def _lock_data_dir(self) -> None:
        """Two servers on one data directory would fight over it: the second one refuses."""
        import fcntl

        self._lock_file = open(os.path.join(self.config.data_dir, ".lock"), "w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SystemExit(f"overcast: another server is using {self.config.data_dir}") from None

    # -- chain hooks -------------------------------------------------------------------------

    def data_plane_for(self, request: Request) -> DataPlaneHandler | None:
        return self.data_planes.match(request)

    async def authenticate(self, ctx: RequestContext) -> str | None:
        """Check the request's signature; return the secret used, for chunk signatures.

        With --verify-signatures every signed request is checked. Without it, presigned URLs
        still are, as far as they can be: their expiry always (by Overcast's clock, which tests
        move), their signature when the key is one of the configured credentials.
        """
        auth = ctx.auth
        strict = self.config.verify_signatures
        if not strict and not auth.presigned:
            return None
        secret = self.config.credential_map.get(auth.access_key)
        protocol = ctx.service_model.protocol if ctx.service_model else None
        if secret is None:
            if strict:
                raise sigv4.unknown_key_error(ctx.service, auth.access_key, protocol)
            sigv4.check_presigned_expiry(auth, self.clock.time(), ctx.service)
            return None
        # Skew is judged by real time, so that moving Overcast's clock never breaks signing.
        await sigv4.verify_request(ctx.request, auth, secret, time.time(), service=ctx.service, protocol=protocol,
                                   presign_now=self.clock.time())
        return secret

    def refuse_anonymous(self, ctx: RequestContext) -> None:
        """With --verify-signatures, a request without credentials is refused, unless its
        operation is one that AWS serves unsigned (STS AssumeRoleWithWebIdentity, Cognito's
        user-facing calls, ...)."""
        operation = ctx.operation
        if operation is not None and (
            operation.raw.get("authtype") == "none" or "smithy.api#noAuth" in operation.raw.get("auth", ())
        ):
            return
        protocol = ctx.service_model.protocol if ctx.service_model else None
        raise sigv4.missing_auth_error(ctx.service, protocol)

    def _start_services_with_state(self) -> None:
        """Services that already hold state (from an earlier run) start at once rather than on
        their first request: their background work (queued async invokes, TTL sweeps, lifecycle
        rules, event delivery) must go on after a restart without waiting for a client."""
        from overcast.protocol.catalog import BY_NAME

        try:
            rows = self.runtime.db.fetchall("SELECT namespace FROM schema_versions")
        except Exception:  # a fresh data directory: nothing to resume
            return
        for (namespace,) in rows:
            if namespace in BY_NAME:
                try:
                    self.registry.get(namespace)
                except Exception:
                    log.exception("starting %s failed", namespace)

    # -- lifecycle ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stops every service and closes storage; a second call does nothing."""
        if self._shut_down:
            return
        self._shut_down = True
        self._stop_services()
        self._close_storage()

    async def stop(self) -> None:
        """The server's last step: like shutdown(), but the function log lines that stopping
        the Lambda environments hands over are stored before storage closes."""
        if self._shut_down:
            return
        self._shut_down = True
        self._stop_services()
        shipper = getattr(self.registry.loaded().get("lambda"), "log_shipper", None)
        if shipper is not None:
            try:
                await asyncio.wait_for(shipper.drain(), 5)
            except TimeoutError:
                log.warning("function logs still unsent at shutdown were dropped")
        self._close_storage()

    def _stop_services(self) -> None:
        self.registry.stop()  # Lambda environments flush their last log lines to the shipper here
        self.scheduler.stop()

    def _close_storage(self) -> None:
        self.runtime.db.close()  # checkpoints the WAL
        close_blobs = getattr(self.runtime.blobs, "close", None)
        if close_blobs is not None:
            close_blobs()

    # -- serving -------------------------------------------------------------------------------

    def started(self) -> None:
        """Called once the port is open."""
        self._start_services_with_state()

    def serving_with(self, http: HttpServer) -> None:
        self._http = http

    def _requests_in_hand(self) -> int:
        """How many requests the HTTP server has in hand, when asked from one of their tasks;
        0 from any other task."""
        serving = self._http.serving if self._http is not None else ()
        return len(serving) if asyncio.current_task() in serving else 0

    async def respond(self, request: Request) -> Response:
        """One request through the chain, and its line in the request log. Never raises."""
        started = time.perf_counter()
        response, ctx = await chain.handle(self, request)
        if self._log_requests:
            elapsed = (time.perf_counter() - started) * 1000
            if ctx is not None:
                request_log.info("%s %s %d %.1fms", ctx.service, ctx.operation_name or "-", response.status, elapsed)
            else:
                request_log.info("%s %s %d %.1fms", request.method, request.path, response.status, elapsed)
        return response
