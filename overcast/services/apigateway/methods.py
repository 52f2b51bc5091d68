"""Methods and MethodResponses."""

from __future__ import annotations

import copy
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, delete_status_response, status_response
from overcast.services.apigateway.patch import apply_patch, check_ops, op_problems

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")

METHOD_PATCH = {
    "authorizationType": "str", "authorizerId": "str", "apiKeyRequired": "bool", "operationName": "str",
    "requestValidatorId": "str", "requestParameters": ("map", "bool"), "requestModels": ("map", "str"),
    "authorizationScopes": ("list", "str"),
}
_METHOD_SCALARS = ("authorizationType", "authorizerId", "apiKeyRequired", "operationName", "requestValidatorId")
METHOD_RESPONSE_PATCH = {"responseParameters": ("map", "bool"), "responseModels": ("map", "str")}


def check_http_method(http_method: str) -> str:
    method = (http_method or "").upper()
    if method not in HTTP_METHODS:
        raise errors.BadRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
    return method


def check_status_code(code: str) -> str:
    return errors.check_status_code(code)


def check_unique_parameter_names(request_parameters: dict[str, Any] | None) -> None:
    """method.request.{querystring,header,path}.<name>: one name in one place only."""
    seen: set[str] = set()
    for key in request_parameters or {}:
        parts = key.split(".", 3)
        if len(parts) == 4 and parts[:2] == ["method", "request"]:
            if parts[3] in seen:
                raise errors.BadRequest("Parameter names must be unique across querystring, header and path")
            seen.add(parts[3])


def method_patch(operations: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """UpdateMethod's operations as AWS takes them: a scalar field only by `replace`, a map entry
    by its one-segment key (application~1json, never application/json), and a boolean read as
    Java reads one (anything but "true" is false)."""
    taken = []
    for operation in operations or []:
        path = operation.get("path") or ""
        field, _, key = path.lstrip("/").partition("/")
        if field in _METHOD_SCALARS:
            if key:
                raise errors.BadRequest(f"Invalid patch path {path}")
            if operation.get("op") != "replace":
                raise errors.BadRequest("Invalid patch operation specified. Must be one of: [replace]")
            if field == "apiKeyRequired":
                operation = {**operation, "value": str(str(operation.get("value")).lower() == "true").lower()}
        elif field in ("requestParameters", "requestModels"):
            if not key or "/" in key:
                raise errors.BadRequest(f"Invalid patch path {path}")
        elif field not in METHOD_PATCH:
            raise errors.BadRequest(f"Invalid patch path {path}")
        taken.append(operation)
    return taken


def check_method_response_patch(response: dict[str, Any], operations: list[dict[str, Any]] | None) -> None:
    """What AWS answers for a method response patch naming a parameter or model the response
    does not have, or a field it does not know."""
    for operation in operations or []:
        path = operation.get("path") or ""
        field, _, key = path.lstrip("/").partition("/")
        if field not in METHOD_RESPONSE_PATCH or not key:
            raise errors.BadRequest(f"Invalid patch path {path}")
        if operation.get("op") in ("remove", "replace"):
            key = key.replace("~1", "/").replace("~0", "~")
            if key not in (response.get(field) or {}):
                raise errors.NotFound("Invalid parameter name specified" if field == "responseParameters"
                                      else "Content-Type specified was not found")


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
        doc = self.api_of_method(ctx, params["restApiId"])
        check_unique_parameter_names(params.get("requestParameters"))
        resource = self.resource(doc, params["resourceId"])
        http_method = check_http_method(params["httpMethod"])
        if http_method in resource.setdefault("resourceMethods", {}):
            raise errors.Conflict("Method already exists for this resource")
        method = compact({
            "httpMethod": http_method,
            # Any case: "none" is NONE (LocalStack's AWS-validated test_put_integration_responses).
            "authorizationType": (params.get("authorizationType") or "NONE").upper(),
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
        doc = self.api_of_method(ctx, params["restApiId"])
        return self.method(doc, params["resourceId"], params["httpMethod"])

    async def update_method(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api_of_method(ctx, params["restApiId"])
        method = self.method(doc, params["resourceId"], params["httpMethod"])
        changed = copy.deepcopy(method)
        check_ops(params.get("patchOperations"), "updateMethodInput")
        apply_patch(changed, method_patch(params.get("patchOperations")), METHOD_PATCH)
        check_unique_parameter_names(changed.get("requestParameters"))
        self._check_method_refs(doc, changed)
        if changed.get("authorizationType") not in ("CUSTOM", "COGNITO_USER_POOLS"):
            changed.pop("authorizerId", None)  # AWS ignores an authorizer the method does not use
        self.resource(doc, params["resourceId"])["resourceMethods"][changed["httpMethod"]] = changed
        await self.save(ctx, doc)
        return changed

    async def delete_method(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api_of_method(ctx, params["restApiId"])
        method = self.method(doc, params["resourceId"], params["httpMethod"])
        del self.resource(doc, params["resourceId"])["resourceMethods"][method["httpMethod"]]
        await self.save(ctx, doc)
        return {}

    # -- method responses ----------------------------------------------------------------------

    async def put_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        code = check_status_code(params["statusCode"])
        doc = self.api_of_method(ctx, params["restApiId"])
        method = self.method(doc, params["resourceId"], params["httpMethod"])
        response = compact({"statusCode": code, "responseParameters": params.get("responseParameters") or None,
                            "responseModels": params.get("responseModels") or None})
        method.setdefault("methodResponses", {})[code] = response
        await self.save(ctx, doc)
        return response

    def _method_response(self, doc: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        parent = self.method(doc, params["resourceId"], params["httpMethod"])
        return status_response(parent, "methodResponses", params["statusCode"])

    def get_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_status_code(params["statusCode"])
        return self._method_response(self.api_of_method(ctx, params["restApiId"]), params)

    async def update_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        operations = params.get("patchOperations")
        # AWS reports bad ops and a bad status code together, ops first.
        problems = op_problems(operations, "updateMethodResponseInput")
        status_problem = errors.status_code_problem(params["statusCode"])
        if status_problem:
            problems.append(status_problem)
        if problems:
            raise errors.validation_failed(*problems)
        doc = self.api_of_method(ctx, params["restApiId"])
        response = self._method_response(doc, params)
        check_method_response_patch(response, operations)
        apply_patch(response, operations, METHOD_RESPONSE_PATCH)
        await self.save(ctx, doc)
        return response

    async def delete_method_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_status_code(params["statusCode"])
        doc = self.api_of_method(ctx, params["restApiId"])
        parent = self.method(doc, params["resourceId"], params["httpMethod"])
        delete_status_response(parent, "methodResponses", params["statusCode"])
        await self.save(ctx, doc)
        return {}
