"""Integrations and IntegrationResponses."""

from __future__ import annotations

import copy
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, delete_status_response, status_response
from overcast.services.apigateway.methods import check_http_method, check_status_code
from overcast.services.apigateway.patch import apply_patch

INTEGRATION_TYPES = ("MOCK", "AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY")
PASSTHROUGH = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
CONTENT_HANDLING = ("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")

INTEGRATION_PATCH = {
    "type": "str", "httpMethod": "str", "uri": "str", "credentials": "str", "connectionType": "str",
    "connectionId": "str", "passthroughBehavior": "str", "contentHandling": "str", "timeoutInMillis": "int",
    "cacheNamespace": "str", "cacheKeyParameters": ("list", "str"), "requestParameters": ("map", "str"),
    "requestTemplates": ("map", "str"), "tlsConfig": ("object", {"insecureSkipVerification": "bool"}),
}
INTEGRATION_RESPONSE_PATCH = {
    "selectionPattern": "str", "contentHandling": "str",
    "responseParameters": ("map", "str"), "responseTemplates": ("map", "str"),
}


def _check_aws_uri(kind: str, uri: str) -> None:
    """An AWS integration's URI: an ARN (arn:partition:apigateway:region:service:resource) whose
    resource is a path or an action; AWS_PROXY only to a Lambda function (LocalStack's
    AWS-validated test_put_integration_validation, moto's tests)."""
    parts = uri.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise errors.BadRequest("Invalid ARN specified in the request")
    service, resource = parts[4], parts[5]
    if not resource.startswith(("path", "action")):
        raise errors.BadRequest("AWS ARN for integration must contain path or action")
    if kind == "AWS_PROXY" and not (service == "lambda" and resource.startswith("path/2015-03-31/functions/")):
        raise errors.BadRequest(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.")


def check_integration(integration: dict[str, Any]) -> None:
    kind = integration.get("type")
    if kind not in INTEGRATION_TYPES:
        raise errors.BadRequest(f"Invalid integration type specified: {kind}")
    if kind != "MOCK":
        if not integration.get("httpMethod"):
            raise errors.BadRequest("Enumeration value for HttpMethod must be non-empty")
        uri = integration.get("uri") or ""
        if not uri:
            raise errors.BadRequest("Invalid integration URI specified")
        if kind in ("HTTP", "HTTP_PROXY") and not uri.startswith(("http://", "https://")):
            raise errors.BadRequest("Invalid HTTP endpoint specified for URI")
        if kind in ("AWS", "AWS_PROXY"):
            _check_aws_uri(kind, uri)
    behaviour = integration.get("passthroughBehavior")
    if behaviour not in PASSTHROUGH:
        raise errors.BadRequest(f"Invalid passthrough behavior specified: {behaviour}")
    handling = integration.get("contentHandling")
    if handling is not None and handling not in CONTENT_HANDLING:
        raise errors.BadRequest(f"Invalid content handling specified: {handling}")
    timeout = integration.get("timeoutInMillis", 29000)
    if not 50 <= timeout <= 29000:
        raise errors.BadRequest("Timeout should be between 50 ms and 29000 ms")



def null_empty_templates(templates: dict[str, str | None]) -> dict[str, str | None]:
    """An empty response template is kept as null, however it was set: AWS answers
    {"application/json": null} for one, and the integration's body then passes through."""
    return {content_type: template or None for content_type, template in templates.items()}

class IntegrationOps(ApiOps):
    async def put_integration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("type") not in INTEGRATION_TYPES:
            # The type is an enum of PutIntegration's input shape: checked before anything else.
            raise errors.validation_failed(errors.enum_problem(
                params.get("type"), "putIntegrationInput.type", "HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS"))
        doc = self.api_of_method(ctx, params["restApiId"])
        method = self.method(doc, params["resourceId"], params["httpMethod"])
        kind = params.get("type")
        http_method = params.get("integrationHttpMethod")
        if http_method:
            http_method = check_http_method(http_method)
        integration = compact({
            "type": kind,
            "httpMethod": http_method,
            "uri": params.get("uri"),
            # Shown for HTTP integrations only (LocalStack's AWS-validated integration snapshots).
            "connectionType": params.get("connectionType") or ("INTERNET" if kind in ("HTTP", "HTTP_PROXY") else None),
            "connectionId": params.get("connectionId"),
            "credentials": params.get("credentials"),
            "requestParameters": params.get("requestParameters") or None,
            "requestTemplates": params.get("requestTemplates") or None,
            "passthroughBehavior": params.get("passthroughBehavior") or "WHEN_NO_MATCH",
            "contentHandling": params.get("contentHandling"),
            "timeoutInMillis": params.get("timeoutInMillis") or 29000,
            "cacheNamespace": params.get("cacheNamespace") or params["resourceId"],
            "cacheKeyParameters": params.get("cacheKeyParameters") or [],
            "tlsConfig": params.get("tlsConfig"),
        })
        check_integration(integration)
        method["methodIntegration"] = integration
        await self.save(ctx, doc)
        return integration

    def get_integration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self.integration(self.api_of_method(ctx, params["restApiId"]), params["resourceId"], params["httpMethod"])

    async def update_integration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api_of_method(ctx, params["restApiId"])
        integration = self.integration(doc, params["resourceId"], params["httpMethod"])
        changed = copy.deepcopy(integration)
        apply_patch(changed, params.get("patchOperations"), INTEGRATION_PATCH, input_shape="updateIntegrationInput")
        check_integration(changed)
        self.method(doc, params["resourceId"], params["httpMethod"])["methodIntegration"] = changed
        await self.save(ctx, doc)
        return changed

    async def delete_integration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api_of_method(ctx, params["restApiId"])
        self.integration(doc, params["resourceId"], params["httpMethod"])
        del self.method(doc, params["resourceId"], params["httpMethod"])["methodIntegration"]
        await self.save(ctx, doc)
        return {}

    # -- integration responses -----------------------------------------------------------------

    async def put_integration_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        code = check_status_code(params["statusCode"])
        doc = self.api_of_method(ctx, params["restApiId"])
        # A method response of that status is not needed first (LocalStack's AWS-validated
        # test_lambda_aws_integration puts the integration response before the method response).
        integration = self.integration(doc, params["resourceId"], params["httpMethod"])
        handling = params.get("contentHandling")
        if handling is not None and handling not in CONTENT_HANDLING:
            raise errors.BadRequest(f"Invalid content handling specified: {handling}")
        response = compact({
            "statusCode": code,
            "selectionPattern": params.get("selectionPattern"),
            "responseParameters": params.get("responseParameters") or None,
            # An empty map is kept as given (LocalStack's AWS-validated test_put_integration_responses).
            "responseTemplates": null_empty_templates(params["responseTemplates"])
            if params.get("responseTemplates") is not None else None,
            "contentHandling": handling,
        })
        integration.setdefault("integrationResponses", {})[code] = response
        await self.save(ctx, doc)
        return response

    def _integration_response(self, doc: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        parent = self.integration(doc, params["resourceId"], params["httpMethod"])
        return status_response(parent, "integrationResponses", params["statusCode"])

    def get_integration_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_status_code(params["statusCode"])
        return self._integration_response(self.api_of_method(ctx, params["restApiId"]), params)

    async def update_integration_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_status_code(params["statusCode"])
        doc = self.api_of_method(ctx, params["restApiId"])
        response = self._integration_response(doc, params)
        apply_patch(response, params.get("patchOperations"), INTEGRATION_RESPONSE_PATCH,
                    input_shape="updateIntegrationResponseInput")
        if response.get("responseTemplates"):
            response["responseTemplates"] = null_empty_templates(response["responseTemplates"])
        await self.save(ctx, doc)
        return response

    async def delete_integration_response(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_status_code(params["statusCode"])
        doc = self.api_of_method(ctx, params["restApiId"])
        # Here AWS names a missing method as a missing integration (Put/Get name the method).
        methods = self.resource(doc, params["resourceId"]).get("resourceMethods") or {}
        errors.require(methods.get(params["httpMethod"].upper()), errors.integration_not_found)
        parent = self.integration(doc, params["resourceId"], params["httpMethod"])
        delete_status_response(parent, "integrationResponses", params["statusCode"])
        await self.save(ctx, doc)
        return {}
