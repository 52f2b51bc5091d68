"""The ASGI application: one object holding the runtime, turning ASGI into the handler chain.

Kept framework-free on purpose: every request pays for the path it takes, and this path is a
dict build, the chain, and the ASGI send calls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.clock import Clock
from overcast.config import Config
from overcast.protocol import sigv4
from overcast.scheduler import Scheduler
from overcast.server import chain
from overcast.server.context import RequestContext
from overcast.server.data_planes import DataPlanes
from overcast.server.http import Receive, Request, RequestBody, Response, Send
from overcast.server.internal_routes import InternalRoutes
from overcast.services.base import ServiceRuntime
from overcast.services.internal import InternalClient
from overcast.services.registry import ProviderRegistry
from overcast.storage import open_storage

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
        self.registry.stop()
        self.scheduler.stop()
        self.runtime.db.close()  # checkpoints the WAL
        close_blobs = getattr(self.runtime.blobs, "close", None)
        if close_blobs is not None:
            close_blobs()

    # -- ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
                # Right after the port opens, not before: start-up stays fast.
                asyncio.get_running_loop().call_later(0.05, self._start_services_with_state)
            elif message["type"] == "lifespan.shutdown":
                try:
                    self.shutdown()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        if "?" in path:  # some servers leave the query in raw_path
            path = path.split("?", 1)[0]
        request = Request(
            method=scope["method"],
            path=path,
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=RequestBody(receive),
            scheme=scope.get("scheme", "http"),
            client=scope.get("client"),
        )
        response, ctx = await chain.handle(self, request)
        if not request.body.fully_read and (headers.get("content-length", "0") != "0"
                                            or "transfer-encoding" in headers):
            # Answered before the body was read (an error, usually): the unread bytes would be
            # taken for the next request on this keep-alive connection, so close it instead.
            response.headers.append(("connection", "close"))
        await self._send(scope, send, response)
        if self._log_requests:
            elapsed = (time.perf_counter() - started) * 1000
            if ctx is not None:
                request_log.info("%s %s %d %.1fms", ctx.service, ctx.operation_name or "-", response.status, elapsed)
            else:
                request_log.info("%s %s %d %.1fms", request.method, request.path, response.status, elapsed)

    async def _send(self, scope: dict[str, Any], send: Send, response: Response) -> None:
        body = response.body
        head_only = scope["method"] == "HEAD"
        raw_headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers]
        if isinstance(body, (bytes, bytearray)):
            if not any(k == b"content-length" for k, _ in raw_headers):
                raw_headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
            await send({"type": "http.response.body", "body": b"" if head_only else bytes(body)})
            return
        await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
        if head_only:
            await send({"type": "http.response.body", "body": b""})
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()
            return
        async for chunk in body:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
