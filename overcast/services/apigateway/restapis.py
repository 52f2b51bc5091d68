"""RestApis: create, get, list, update (patch), delete."""

from __future__ import annotations

import copy
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, now, page
from overcast.services.apigateway.patch import apply_patch
from overcast.services.apigateway.store import new_id

DRAFT4 = "http://json-schema.org/draft-04/schema#"
DEFAULT_MODELS: dict[str, dict[str, Any]] = {
    "Empty": {"$schema": DRAFT4, "title": "Empty Schema", "type": "object"},
    "Error": {"$schema": DRAFT4, "title": "Error Schema", "type": "object",
              "properties": {"message": {"type": "string"}}},
}
ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")

PATCH_SPEC = {
    "name": "str", "description": "str", "version": "str", "apiKeySource": "str", "policy": "str",
    "minimumCompressionSize": "int", "binaryMediaTypes": ("list", "str"),
    "disableExecuteApiEndpoint": "bool", "endpointConfiguration": ("object", {"types": "str", "vpcEndpointIds": "str"}),
}


def new_api_doc(api: dict[str, Any]) -> dict[str, Any]:
    root_id = new_id(10)
    api["rootResourceId"] = root_id
    models = {}
    for name, schema in DEFAULT_MODELS.items():
        models[name] = {"id": new_id(6), "name": name, "description": f"This is a default {name.lower()} schema model",
                        "schema": _dump(schema), "contentType": "application/json"}
    return {"api": api, "resources": {root_id: {"id": root_id, "path": "/", "resourceMethods": {}}},
            "models": models, "validators": {}, "authorizers": {}, "gatewayResponses": {},
            "deployments": {}, "stages": {}, "documentationParts": {}}


def _dump(schema: dict[str, Any]) -> str:
    import json

    return json.dumps(schema, indent=2)


def validate_endpoint(config: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(config or {"types": ["EDGE"]})
    types = config.get("types") or ["EDGE"]
    for kind in types:
        if kind not in ENDPOINT_TYPES:
            raise errors.BadRequest(f"Invalid endpoint configuration type specified: {kind}")
    config["types"] = types
    return config


class RestApiOps(ApiOps):
    def build_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        source = params.get("apiKeySource") or "HEADER"
        if source not in ("HEADER", "AUTHORIZER"):
            raise errors.BadRequest(f"Invalid API key source specified: {source}")
        return compact({
            "id": new_id(10), "name": params.get("name"), "description": params.get("description"),
            "createdDate": now(), "version": params.get("version"),
            "binaryMediaTypes": params.get("binaryMediaTypes") or None,
            "minimumCompressionSize": params.get("minimumCompressionSize"),
            "apiKeySource": source,
            "endpointConfiguration": validate_endpoint(params.get("endpointConfiguration")),
            "policy": params.get("policy"), "tags": params.get("tags") or None,
            "disableExecuteApiEndpoint": bool(params.get("disableExecuteApiEndpoint", False)),
        })

    async def create_rest_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("name"):
            raise errors.BadRequest("Invalid REST API name specified")
        api = self.build_api(ctx, params)
        if params.get("cloneFrom"):
            source = self.api(ctx, params["cloneFrom"])
            doc = copy.deepcopy(source)
            doc["api"] = {**api, "rootResourceId": source["api"]["rootResourceId"]}
            doc["deployments"], doc["stages"] = {}, {}
        else:
            doc = new_api_doc(api)
        await self.save(ctx, doc)
        return doc["api"]

    def get_rest_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self.api(ctx, params["restApiId"])["api"]

    def get_rest_apis(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        apis = sorted((d["api"] for d in self.store.list("restapi", ctx.account_id, ctx.region)),
                      key=lambda a: a["createdDate"])
        return page(apis, params)

    async def update_rest_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        api = copy.deepcopy(doc["api"])

        def endpoint_types(target: dict[str, Any], op: str, segments: list[str], operation: dict[str, Any]) -> bool:
            if segments[:2] != ["endpointConfiguration", "types"]:
                return False
            value = operation.get("value")
            if value not in ENDPOINT_TYPES:
                raise errors.BadRequest(f"Invalid endpoint configuration type specified: {value}")
            target.setdefault("endpointConfiguration", {})["types"] = [value]
            return True

        apply_patch(api, params.get("patchOperations"), PATCH_SPEC, endpoint_types)
        if api.get("apiKeySource") not in ("HEADER", "AUTHORIZER"):
            raise errors.BadRequest(f"Invalid API key source specified: {api.get('apiKeySource')}")
        if not api.get("binaryMediaTypes"):
            api.pop("binaryMediaTypes", None)
        doc["api"] = api
        await self.save(ctx, doc)
        return api

    async def delete_rest_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        await self.store.delete("restapi", ctx.account_id, ctx.region, doc["api"]["id"])
        return {}
