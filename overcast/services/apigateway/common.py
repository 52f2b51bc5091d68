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


def status_response(parent: dict[str, Any], collection: str, status_code: str) -> dict[str, Any]:
    """A method's or an integration's response for one status code."""
    return errors.require((parent.get(collection) or {}).get(status_code), errors.response_not_found)


def delete_status_response(parent: dict[str, Any], collection: str, status_code: str) -> None:
    """Remove a method's or an integration's response; an emptied map goes too, as AWS leaves
    it out of its answers."""
    status_response(parent, collection, status_code)
    del parent[collection][status_code]
    if not parent[collection]:
        del parent[collection]


class ApiOps:
    store: ApiGatewayStore

    def api(self, ctx: RequestContext, api_id: str) -> dict[str, Any]:
        return errors.require(self.store.get("restapi", ctx.account_id, ctx.region, api_id),
                              lambda: errors.api_not_found(ctx.account_id, api_id))

    def api_of_method(self, ctx: RequestContext, api_id: str) -> dict[str, Any]:
        """The API, for operations on a method or below (methods, integrations, their responses,
        TestInvokeMethod): AWS looks the resource up by API and id together, so an unknown API
        answers "Invalid Resource identifier specified", not "Invalid API identifier"."""
        return errors.require(self.store.get("restapi", ctx.account_id, ctx.region, api_id),
                              errors.resource_not_found)

    async def save(self, ctx: RequestContext, doc: dict[str, Any]) -> None:
        await self.store.put("restapi", ctx.account_id, ctx.region, doc["api"]["id"], doc)

    def resource(self, doc: dict[str, Any], resource_id: str) -> dict[str, Any]:
        return errors.require(doc["resources"].get(resource_id), errors.resource_not_found)

    def method(self, doc: dict[str, Any], resource_id: str, http_method: str) -> dict[str, Any]:
        methods = self.resource(doc, resource_id).get("resourceMethods", {})
        return errors.require(methods.get(http_method.upper()), errors.method_not_found)

    def integration(self, doc: dict[str, Any], resource_id: str, http_method: str) -> dict[str, Any]:
        return errors.require(self.method(doc, resource_id, http_method).get("methodIntegration"),
                              errors.integration_not_found)
