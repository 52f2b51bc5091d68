"""Tags on REST APIs, stages, API keys and usage plans, addressed by ARN."""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.store import ApiGatewayStore


class TagOps:
    store: ApiGatewayStore

    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        """(kind, id, stored doc, the record that carries the tags) for an API Gateway ARN."""
        path = arn.split(":", 5)[-1] if arn.startswith("arn:") else ""
        parts = path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "restapis":
            doc = self.store.get("restapi", ctx.account_id, ctx.region, parts[1])
            if doc is not None:
                if len(parts) == 2:
                    return "restapi", parts[1], doc, doc["api"]
                if len(parts) == 4 and parts[2] == "stages" and parts[3] in doc["stages"]:
                    return "restapi", parts[1], doc, doc["stages"][parts[3]]
        kinds = {"apikeys": "apikey", "usageplans": "usageplan", "clientcertificates": "clientcertificate",
                 "vpclinks": "vpclink"}
        if len(parts) == 2 and parts[0] in kinds:
            kind = kinds[parts[0]]
            doc = self.store.get(kind, ctx.account_id, ctx.region, parts[1])
            if doc is not None:
                return kind, parts[1], doc, doc
        raise errors.NotFound("Invalid resource ARN specified")

    def get_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": self._tagged(ctx, params["resourceArn"])[3].get("tags") or {}}

    async def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kind, doc_id, doc, record = self._tagged(ctx, params["resourceArn"])
        record.setdefault("tags", {}).update(params.get("tags") or {})
        await self.store.put(kind, ctx.account_id, ctx.region, doc_id, doc)
        return {}

    async def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kind, doc_id, doc, record = self._tagged(ctx, params["resourceArn"])
        for key in params.get("tagKeys") or []:
            (record.get("tags") or {}).pop(key, None)
        await self.store.put(kind, ctx.account_id, ctx.region, doc_id, doc)
        return {}
