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


IP_ADDRESS_TYPES = ("ipv4", "dualstack")
MAX_COMPRESSION_SIZE = 10485760


def validate_endpoint(config: dict[str, Any] | None) -> dict[str, Any]:
    """CreateRestApi's endpointConfiguration as AWS checks it: enums first (ValidationException,
    both reported together), then one type exactly, then dualstack for PRIVATE. ipAddressType
    defaults to ipv4, or dualstack for PRIVATE, as AWS answers."""
    config = dict(config or {})
    types = config.get("types")
    if types is None:
        types = ["EDGE"]
    problems = []
    if any(kind not in ENDPOINT_TYPES for kind in types):
        problems.append(f"Value '[{', '.join(types)}]' at 'createRestApiInput.endpointConfiguration.types' failed "
                        "to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value "
                        "set: [PRIVATE, EDGE, REGIONAL]]")
    address_type = config.get("ipAddressType")
    if address_type is not None and address_type not in IP_ADDRESS_TYPES:
        problems.append(errors.enum_problem(address_type, "createRestApiInput.endpointConfiguration.ipAddressType",
                                            "ipv4, dualstack"))
    if problems:
        raise errors.validation_failed(*problems)
    config["types"] = types
    return config


def check_endpoint_shape(config: dict[str, Any]) -> None:
    types = config["types"]
    if not types:
        raise errors.BadRequest("REGIONAL Configuration and EDGE Configuration cannot be both DISABLED.")
    if len(types) > 1:
        raise errors.BadRequest("Cannot create an api with multiple Endpoint Types.")
    private = types == ["PRIVATE"]
    config.setdefault("ipAddressType", "dualstack" if private else "ipv4")
    if private and config["ipAddressType"] != "dualstack":
        raise errors.BadRequest("Only dualstack ipAddressType is supported for Private APIs.")


def compression_size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = -1
    if not 0 <= size <= MAX_COMPRESSION_SIZE:
        raise errors.BadRequest(f"Invalid minimum compression size, must be between 0 and {MAX_COMPRESSION_SIZE}")
    return size


class RestApiOps(ApiOps):
    def build_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        endpoint = validate_endpoint(params.get("endpointConfiguration"))
        if params.get("description") == "":
            raise errors.BadRequest("Description cannot be an empty string")
        check_endpoint_shape(endpoint)
        source = params.get("apiKeySource") or "HEADER"
        if source not in ("HEADER", "AUTHORIZER"):
            raise errors.BadRequest(f"Invalid API key source specified: {source}")
        compression = params.get("minimumCompressionSize")
        if compression is not None:
            compression_size(compression)
        return compact({
            "id": new_id(10), "name": params.get("name"), "description": params.get("description"),
            "createdDate": now(), "version": params.get("version"),
            "binaryMediaTypes": params.get("binaryMediaTypes") or None,
            "minimumCompressionSize": params.get("minimumCompressionSize"),
            "apiKeySource": source,
            "endpointConfiguration": endpoint,
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

        def special_paths(target: dict[str, Any], op: str, segments: list[str], operation: dict[str, Any]) -> bool:
            value = operation.get("value")
            if segments == ["binaryMediaTypes"]:
                # The list is changed one type at a time (/binaryMediaTypes/<type>), never whole.
                raise errors.BadRequest("Invalid patch path /binaryMediaTypes")
            if segments == ["minimumCompressionSize"]:
                if op != "replace":
                    raise errors.BadRequest("Invalid patch operation specified. Must be one of: [replace]")
                if value in (None, ""):  # replacing with nothing turns compression off
                    target.pop("minimumCompressionSize", None)
                else:
                    target["minimumCompressionSize"] = compression_size(value)
                return True
            if segments == ["endpointConfiguration", "ipAddressType"]:
                if op != "replace":
                    raise errors.BadRequest("Invalid patch operation specified. Must be one of: [replace]")
                if value not in IP_ADDRESS_TYPES:
                    raise errors.BadRequest("ipAddressType must be either ipv4 or dualstack.")
                target.setdefault("endpointConfiguration", {})["ipAddressType"] = value
                return True
            if segments[:2] != ["endpointConfiguration", "types"]:
                return False
            if op not in ("add", "remove", "replace"):
                raise errors.BadRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
            if value not in ENDPOINT_TYPES:
                raise errors.BadRequest("Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE")
            endpoint = target.setdefault("endpointConfiguration", {})
            endpoint["types"] = [value]
            if value == "PRIVATE" and not any(o.get("path") == "/endpointConfiguration/ipAddressType"
                                              for o in params.get("patchOperations") or []):
                endpoint["ipAddressType"] = "dualstack"  # PRIVATE APIs are dualstack only
            return True

        apply_patch(api, params.get("patchOperations"), PATCH_SPEC, special_paths, input_shape="updateRestApiInput")
        endpoint = api.get("endpointConfiguration") or {}
        if endpoint.get("types") == ["PRIVATE"] and endpoint.get("ipAddressType") == "ipv4":
            raise errors.BadRequest("Only dualstack ipAddressType is supported for Private APIs.")
        if api.get("apiKeySource") not in ("HEADER", "AUTHORIZER"):
            raise errors.BadRequest(f"Invalid API key source specified: {api.get('apiKeySource')}")
        if not api.get("binaryMediaTypes"):
            api.pop("binaryMediaTypes", None)
        doc["api"] = api
        await self.save(ctx, doc)
        # UpdateRestApi answers tags even when there are none (LocalStack's AWS-validated
        # test_update_rest_api_operation_add_remove: "tags": {} on every update).
        return {**api, "tags": api.get("tags") or {}}

    async def delete_rest_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        await self.store.delete("restapi", ctx.account_id, ctx.region, doc["api"]["id"])
        return {}
