"""API keys."""

from __future__ import annotations

import secrets
import string
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import compact, now, page
from overcast.services.apigateway.patch import apply_patch
from overcast.services.apigateway.store import ApiGatewayStore, new_id

_KEY_ALPHABET = string.ascii_letters + string.digits
KEY_PATCH = {"name": "str", "description": "str", "enabled": "bool", "customerId": "str",
             "stageKeys": ("list", "str")}


def key_view(key: dict[str, Any], include_value: bool) -> dict[str, Any]:
    return key if include_value else {k: v for k, v in key.items() if k != "value"}


class ApiKeyOps:
    store: ApiGatewayStore

    def api_key(self, ctx: RequestContext, key_id: str) -> dict[str, Any]:
        return errors.require(self.store.get("apikey", ctx.account_id, ctx.region, key_id),
                              "Invalid API Key identifier specified")

    async def create_api_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        value = params.get("value") or "".join(secrets.choice(_KEY_ALPHABET) for _ in range(40))
        if len(value) < 20:
            raise errors.BadRequest("API Key value should be at least 20 characters")
        for other in self.store.list("apikey", ctx.account_id, ctx.region):
            if other["value"] == value:
                raise errors.Conflict("API Key already exists")
        created = now()
        key = compact({"id": new_id(10), "value": value, "name": params.get("name"),
                       "customerId": params.get("customerId"), "description": params.get("description"),
                       "enabled": bool(params.get("enabled", False)), "createdDate": created,
                       "lastUpdatedDate": created, "stageKeys": [f"{s['restApiId']}/{s['stageName']}"
                                                                  for s in params.get("stageKeys") or []],
                       "tags": params.get("tags") or None})
        await self.store.put("apikey", ctx.account_id, ctx.region, key["id"], key)
        return key

    def get_api_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return key_view(self.api_key(ctx, params["apiKey"]), bool(params.get("includeValue")))

    def get_api_keys(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        keys = sorted(self.store.list("apikey", ctx.account_id, ctx.region), key=lambda k: k["createdDate"])
        if params.get("nameQuery"):
            keys = [k for k in keys if (k.get("name") or "").startswith(params["nameQuery"])]
        if params.get("customerId"):
            keys = [k for k in keys if k.get("customerId") == params["customerId"]]
        include = bool(params.get("includeValues"))
        return page([key_view(k, include) for k in keys], params)

    async def update_api_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = dict(self.api_key(ctx, params["apiKey"]))
        apply_patch(key, params.get("patchOperations"), KEY_PATCH)
        key["lastUpdatedDate"] = now()
        await self.store.put("apikey", ctx.account_id, ctx.region, key["id"], key)
        # UpdateApiKey answers tags even when there are none (LocalStack's AWS-validated
        # test_api_key_required_for_methods, update-api-key-disabled: "tags": {}).
        return {**key_view(key, False), "tags": key.get("tags") or {}}

    async def delete_api_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self.api_key(ctx, params["apiKey"])
        await self.store.delete("apikey", ctx.account_id, ctx.region, key["id"])
        for plan in self.store.list("usageplan", ctx.account_id, ctx.region):
            if key["id"] in plan.get("_keys", {}):
                del plan["_keys"][key["id"]]
                await self.store.put("usageplan", ctx.account_id, ctx.region, plan["id"], plan)
        return {}

    async def import_api_keys(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        body = params.get("body") or b""
        text = body.decode() if isinstance(body, bytes) else body
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise errors.BadRequest("Invalid API keys file")
        header = [h.strip().lower() for h in lines[0].split(",")]
        ids = []
        for line in lines[1:]:
            row = dict(zip(header, (c.strip() for c in line.split(",")), strict=False))
            key = await self.create_api_key(ctx, {"name": row.get("name"), "value": row.get("key"),
                                                  "description": row.get("description"),
                                                  "enabled": row.get("enabled", "true").lower() == "true"})
            ids.append(key["id"])
        return {"ids": ids, "warnings": []}
