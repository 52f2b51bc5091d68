"""What every group of API Gateway operations shares: finding an API and its parts, saving it,
and paging lists as AWS does (position/limit)."""

from __future__ import annotations

import time
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.store import ApiGatewayStore


def now() -> int:
    return int(time.time())


def page(items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """AWS's position/limit paging; position is an opaque token (the next item's index here)."""
    limit = params.get("limit") or 25  # AWS pages by 25 unless told otherwise
    start = int(params.get("position") or 0) if str(params.get("position") or "0").isdigit() else 0
    chunk = items[start:start + limit]
    out: dict[str, Any] = {"items": chunk}
    if start + limit < len(items):
        out["position"] = str(start + limit)
    return out


def compact(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop unset members, as AWS leaves them out of its answers."""
    return {k: v for k, v in doc.items() if v is not None}


class ApiOps:
    store: ApiGatewayStore

    def api(self, ctx: RequestContext, api_id: str) -> dict[str, Any]:
        doc = self.store.get("restapi", ctx.account_id, ctx.region, api_id)
        if doc is None:
            raise errors.api_not_found(ctx.account_id, api_id)
        return doc

    async def save(self, ctx: RequestContext, doc: dict[str, Any]) -> None:
        await self.store.put("restapi", ctx.account_id, ctx.region, doc["api"]["id"], doc)

    def resource(self, doc: dict[str, Any], resource_id: str) -> dict[str, Any]:
        resource = doc["resources"].get(resource_id)
        if resource is None:
            raise errors.resource_not_found()
        return resource

    def method(self, doc: dict[str, Any], resource_id: str, http_method: str) -> dict[str, Any]:
        method = self.resource(doc, resource_id).get("resourceMethods", {}).get(http_method.upper())
        if method is None:
            raise errors.method_not_found()
        return method

    def integration(self, doc: dict[str, Any], resource_id: str, http_method: str) -> dict[str, Any]:
        integration = self.method(doc, resource_id, http_method).get("methodIntegration")
        if integration is None:
            raise errors.integration_not_found()
        return integration
