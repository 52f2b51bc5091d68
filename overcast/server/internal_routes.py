"""Everything under /_overcast/: what is not an AWS API (health, the clock, internals).

Services that need a data-plane URL of their own (a code download link, say) register a
prefix here rather than inventing a host.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from overcast import __version__
from overcast.server.http import Request, Response

if TYPE_CHECKING:
    from overcast.server.app import Overcast

Handler = Callable[[Request], Awaitable[Response]]


def json_response(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, indent=None, sort_keys=True).encode()
    return Response(status=status, headers=[("Content-Type", "application/json")], body=body)


class InternalRoutes:
    def __init__(self, app: Overcast):
        self.app = app
        self.prefixes: dict[str, Handler] = {}

    def register(self, prefix: str, handler: Handler) -> None:
        """Serve every request whose path starts with /_overcast/<prefix>/ with `handler`."""
        self.prefixes[f"/_overcast/{prefix.strip('/')}/"] = handler

    async def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == "/_overcast/health":
            return self.health()
        if path == "/_overcast/clock":
            return await self.clock(request)
        for prefix, handler in self.prefixes.items():
            if request.path.startswith(prefix):
                return await handler(request)
        return json_response({"error": "NotFound", "message": f"No Overcast route for {request.path}"}, 404)

    def health(self) -> Response:
        app = self.app
        return json_response(
            {
                "status": "ok",
                "version": __version__,
                "uptime_seconds": round(time.time() - app.started_at, 3),
                "data_dir": app.config.data_dir,
                "region": app.config.region,
                "account": app.config.account,
                "services": app.registry.describe(),
                "storage": app.runtime.db.stats(),
            }
        )

    async def clock(self, request: Request) -> Response:
        clock = self.app.clock
        if request.method == "GET":
            return json_response(clock.describe())
        if request.method != "POST":
            return json_response({"error": "MethodNotAllowed", "message": "GET or POST"}, 405)
        try:
            body = json.loads(await request.body.read(limit=65536) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("a JSON object is expected")
            if body.get("reset"):
                clock.reset()
            elif "set" in body:
                clock.set(float(body["set"]))
            elif "advance" in body:
                seconds = float(body["advance"])
                if seconds < 0:
                    raise ValueError("advance must not be negative; use set to go back")
                clock.advance(seconds)
            else:
                raise ValueError('expected {"advance": seconds}, {"set": epoch_seconds} or {"reset": true}')
        except (ValueError, TypeError) as exc:
            return json_response({"error": "BadRequest", "message": str(exc)}, 400)
        # Let whatever became due run before answering, so a test can check its effect at once.
        await asyncio.get_running_loop().run_in_executor(None, self.app.scheduler.run_due)
        return json_response(clock.describe())

