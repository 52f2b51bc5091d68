"""Where invoke URLs meet the server, before the AWS API chain sees them:

    http://<apiId>.execute-api.localhost:4566/<stage>/<path>
    http://localhost:4566/restapis/<apiId>/<stage>/_user_request_/<path>

Kept light (a Host check and a path-prefix check, nothing imported up front): the matcher runs
on every request the server gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.server.http import Request, Response
    from overcast.services.registry import ProviderRegistry

_PREFIX = "/restapis/"
_USER_REQUEST = "/_user_request_"


def invoke_target(request: Request) -> tuple[str, str, str] | None:
    """(api id, stage, path) for an invoke URL; None for anything else."""
    host = request.headers.get("host", "")
    marker = host.find(".execute-api.")
    if marker > 0:
        stage, _, rest = request.path.partition("/")[2].partition("/")
        return host[:marker], stage, "/" + rest
    path = request.path
    if path.startswith(_PREFIX) and _USER_REQUEST in path:
        api_and_stage, _, rest = path[len(_PREFIX):].partition(_USER_REQUEST)
        api_id, _, stage = api_and_stage.rstrip("/").partition("/")
        if rest and not rest.startswith("/"):
            return None
        return api_id, stage, rest or "/"
    return None


class ExecuteApiEndpoint:
    """Mounted by the server: `match` hands invoke requests to API Gateway's data plane."""

    def __init__(self, registry: ProviderRegistry):
        self.registry = registry

    def match(self, request: Request):
        target = invoke_target(request)
        if target is None:
            return None

        async def handler(req: Request) -> Response:
            provider = self.registry.get("apigateway")
            return await provider.gateway.handle(req, *target)

        return handler
