"""GatewayResponses: the responses API Gateway itself gives (errors before or around the
integration), with AWS's defaults and each API's customizations."""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact
from overcast.services.apigateway.patch import apply_patch

# type -> default status (None: takes the status of the error it stands for)
RESPONSE_TYPES: dict[str, str | None] = {
    "DEFAULT_4XX": None, "DEFAULT_5XX": None,
    "ACCESS_DENIED": "403", "API_CONFIGURATION_ERROR": "500", "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_FAILURE": "500", "BAD_REQUEST_PARAMETERS": "400", "BAD_REQUEST_BODY": "400",
    "EXPIRED_TOKEN": "403", "INTEGRATION_FAILURE": "504", "INTEGRATION_TIMEOUT": "504",
    "INVALID_API_KEY": "403", "INVALID_SIGNATURE": "403", "MISSING_AUTHENTICATION_TOKEN": "403",
    "QUOTA_EXCEEDED": "429", "REQUEST_TOO_LARGE": "413", "RESOURCE_NOT_FOUND": "404", "THROTTLED": "429",
    "UNAUTHORIZED": "401", "UNSUPPORTED_MEDIA_TYPE": "415", "WAF_FILTERED": "403",
}
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
PATCH_SPEC = {"statusCode": "str", "responseParameters": ("map", "str"), "responseTemplates": ("map", "str")}


def default_response(kind: str) -> dict[str, Any]:
    return compact({"responseType": kind, "statusCode": RESPONSE_TYPES[kind], "responseParameters": {},
                    "responseTemplates": {"application/json": DEFAULT_TEMPLATE}, "defaultResponse": True})


# The enum as AWS's validation message lists it (its own order).
_TYPES_IN_AWS_MESSAGE = (
    "REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, AUTHORIZER_CONFIGURATION_ERROR, MISSING_AUTHENTICATION_TOKEN, "
    "BAD_REQUEST_BODY, INVALID_SIGNATURE, INVALID_API_KEY, BAD_REQUEST_PARAMETERS, AUTHORIZER_FAILURE, "
    "UNAUTHORIZED, INTEGRATION_TIMEOUT, ACCESS_DENIED, DEFAULT_4XX, DEFAULT_5XX, WAF_FILTERED, QUOTA_EXCEEDED, "
    "THROTTLED, API_CONFIGURATION_ERROR, UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, EXPIRED_TOKEN")


def check_type(kind: str) -> None:
    if kind not in RESPONSE_TYPES:
        raise errors.validation_failed(errors.enum_problem(kind, "responseType", _TYPES_IN_AWS_MESSAGE))


class GatewayResponseOps(ApiOps):
    async def put_gateway_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        kind = params["responseType"]
        check_type(kind)
        response = compact({"responseType": kind, "statusCode": params.get("statusCode") or RESPONSE_TYPES[kind],
                            "responseParameters": params.get("responseParameters") or {},
                            # Without templates of its own it keeps the default one, as AWS answers.
                            "responseTemplates": params.get("responseTemplates")
                            or {"application/json": DEFAULT_TEMPLATE}, "defaultResponse": False})
        doc["gatewayResponses"][kind] = response
        await self.save(ctx, doc)
        return response

    def get_gateway_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        kind = params["responseType"]
        check_type(kind)
        return doc["gatewayResponses"].get(kind) or default_response(kind)

    def get_gateway_responses(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        return {"items": [doc["gatewayResponses"].get(kind) or default_response(kind) for kind in RESPONSE_TYPES]}

    async def update_gateway_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        kind = params["responseType"]
        check_type(kind)
        response = dict(doc["gatewayResponses"].get(kind) or default_response(kind))
        apply_patch(response, params.get("patchOperations"), PATCH_SPEC)
        response["defaultResponse"] = False
        doc["gatewayResponses"][kind] = response
        await self.save(ctx, doc)
        return response

    async def delete_gateway_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        kind = params["responseType"]
        check_type(kind)
        if kind not in doc["gatewayResponses"]:
            raise errors.NotFound("Gateway response type not defined on api")
        del doc["gatewayResponses"][kind]
        await self.save(ctx, doc)
        return {}
