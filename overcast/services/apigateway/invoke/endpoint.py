"""Where invoke URLs meet the server, before the AWS API chain sees them:

    http://<apiId>.execute-api.localhost:4566/<stage>/<path>
    http://localhost:4566/restapis/<apiId>/<stage>/_user_request_/<path>

Kept light (a Host check and a path-prefix check, nothing imported up front): the matcher runs
on every request the server gets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.server.http import Request, Response
    from overcast.services.apigateway.provider import Provider
    from overcast.services.registry import ProviderRegistry

# Custom domain names (lower case) that have base path mappings; filled from the database on the
# first request that could be for one, then kept current by the DomainName operations.
CUSTOM_HOSTS: set[str] = set()
_hosts_loaded = False

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
        self._built: Provider | None = None

    def match(self, request: Request) -> Callable[[Request], Awaitable[Response]] | None:
        target = invoke_target(request)
        if target is None:
            if _hosts_loaded and not CUSTOM_HOSTS:
                return None  # no custom domain names: nothing else can be an invoke
            if self._custom_domain(request.host_name.lower()):
                return self._serve_custom_domain
            return None

        async def handler(req: Request) -> Response:
            return await self._provider().gateway.handle(req, *target)

        return handler

    def _provider(self) -> Provider:
        if self._built is not None:
            return self._built
        # Imported here, not up front: the matcher must stay cheap for every other service.
        from overcast.services.apigateway.provider import Provider

        provider = self.registry.get("apigateway")
        if not isinstance(provider, Provider):
            raise RuntimeError("the registry has no API Gateway provider")
        self._built = provider
        return provider

    def _custom_domain(self, host: str) -> bool:
        global _hosts_loaded
        if not _hosts_loaded:
            _hosts_loaded = True
            try:
                rows = self.registry.runtime.db.fetchall("SELECT id FROM apigateway_docs WHERE kind = 'domain'")
            except Exception:  # noqa: BLE001 - no API Gateway tables yet: no custom domains
                rows = []
            CUSTOM_HOSTS.update(row[0] for row in rows)
        return host in CUSTOM_HOSTS

    async def _serve_custom_domain(self, request: Request) -> Response:
        from overcast.server.http import Response

        provider = self._provider()
        domain = provider.store.find_domain(request.host_name.lower()) or {}
        mappings = domain.get("_mappings") or {}
        first, _, rest = request.path.lstrip("/").partition("/")
        mapping = mappings.get(first)
        path = "/" + rest if mapping is not None else request.path
        if mapping is None:
            mapping = mappings.get("(none)")
        if mapping is None:
            return Response(403, [("Content-Type", "application/json")], b'{"message":"Forbidden"}')
        stage = mapping.get("stage")
        if not stage:
            stage, _, rest = path.lstrip("/").partition("/")
            path = "/" + rest
        return await provider.gateway.handle(request, mapping["restApiId"], stage, path)
