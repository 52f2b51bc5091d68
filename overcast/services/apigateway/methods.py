"""Methods and MethodResponses."""

from __future__ import annotations

import copy
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, delete_status_response, status_response
from overcast.services.apigateway.patch import apply_patch

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
_STATUS = re.compile(r"^[1-5]\d\d$")

METHOD_PATCH = {
    "authorizationType": "str", "authorizerId": "str", "apiKeyRequired": "bool", "operationName": "str",
    "requestValidatorId": "str", "requestParameters": ("map", "bool"), "requestModels": ("map", "str"),
    "authorizationScopes": ("list", "str"),
}
METHOD_RESPONSE_PATCH = {"responseParameters": ("map", "bool"), "responseModels": ("map", "str")}


def check_http_method(http_method: str) -> str:
    method = (http_method or "").upper()
    if method not in HTTP_METHODS:
        raise errors.BadRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
    return method


def check_status_code(code: str) -> str:
    if not _STATUS.match(code or ""):
        raise errors.BadRequest("Invalid response status code specified")
    return code


class MethodOps(ApiOps):
    def _check_method_refs(self, doc: dict[str, Any], method: dict[str, Any]) -> None:
        auth = method.get("authorizationType")
        if auth not in AUTHORIZATION_TYPES:
            raise errors.BadRequest(f"Invalid authorization type specified: {auth}")
        if auth in ("CUSTOM", "COGNITO_USER_POOLS"):
            authorizer = doc["authorizers"].get(method.get("authorizerId") or "")
            if authorizer is None:
                raise errors.BadRequest("Invalid authorizer ID specified. Setting the authorization type to CUSTOM "
                                        "or COGNITO_USER_POOLS requires a valid authorizer.")
        validator = method.get("requestValidatorId")
        if validator and validator not in doc["validators"]:
            raise errors.BadRequest("Invalid Request Validator identifier specified")
        for model in (method.get("requestModels") or {}).values():
            if model not in doc["models"]:
                raise errors.BadRequest(f"Invalid model identifier specified: {model}")

    async def put_method(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        resource = self.resource(doc, params["resourceId"])
        http_method = check_http_method(params["httpMethod"])
        if http_method in resource.setdefault("resourceMethods", {}):
            raise errors.Conflict("Method already exists for this resource")
        method = compact({
            "httpMethod": http_method,
            "authorizationType": params.get("authorizationType") or "NONE",
            "authorizerId": params.get("authorizerId"),
            "apiKeyRequired": bool(params.get("apiKeyRequired", False)),
            "requestValidatorId": params.get("requestValidatorId"),
            "operationName": params.get("operationName"),
            "requestParameters": params.get("requestParameters") or None,
            "requestModels": params.get("requestModels") or None,
            "authorizationScopes": params.get("authorizationScopes") or None,
        })
        self._check_method_refs(doc, method)
        resource["resourceMethods"][http_method] = method
        await self.save(ctx, doc)
        return method

    def get_method(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        return self.method(doc, params["resourceId"], params["httpMethod"])

    async def update_method(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        method = self.method(doc, params["resourceId"], params["httpMethod"])
        changed = copy.deepcopy(method)
        apply_patch(changed, params.get("patchOperations"), METHOD_PATCH)
        self._check_method_refs(doc, changed)
        self.resource(doc, params["resourceId"])["resourceMethods"][changed["httpMethod"]] = changed
        await self.save(ctx, doc)
        return changed

    async def delete_method(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        method = self.method(doc, params["resourceId"], params["httpMethod"])
        del self.resource(doc, params["resourceId"])["resourceMethods"][method["httpMethod"]]
        await self.save(ctx, doc)
        return {}

    # -- method responses ----------------------------------------------------------------------

    async def put_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        method = self.method(doc, params["resourceId"], params["httpMethod"])
        code = check_status_code(params["statusCode"])
        response = compact({"statusCode": code, "responseParameters": params.get("responseParameters") or None,
                            "responseModels": params.get("responseModels") or None})
        method.setdefault("methodResponses", {})[code] = response
        await self.save(ctx, doc)
        return response

    def _method_response(self, doc: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        parent = self.method(doc, params["resourceId"], params["httpMethod"])
        return status_response(parent, "methodResponses", params["statusCode"])

    def get_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._method_response(self.api(ctx, params["restApiId"]), params)

    async def update_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        response = self._method_response(doc, params)
        apply_patch(response, params.get("patchOperations"), METHOD_RESPONSE_PATCH)
        await self.save(ctx, doc)
        return response

    async def delete_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        parent = self.method(doc, params["resourceId"], params["httpMethod"])
        delete_status_response(parent, "methodResponses", params["statusCode"])
        await self.save(ctx, doc)
        return {}
