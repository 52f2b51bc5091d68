"""Gateway responses on the data plane: a customized response of the failure's type, else a
customized DEFAULT_4XX/DEFAULT_5XX, else AWS's built-in body."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from overcast.services.apigateway.invoke import vtl
from overcast.services.apigateway.invoke.errors import GatewayError
from overcast.services.apigateway.invoke.mapping import resolve_source
from overcast.services.apigateway.invoke.pipeline import MethodResult

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.pipeline import Invocation

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


def default_body(err: GatewayError) -> bytes:
    if err.raw_body is not None:
        return err.raw_body
    return json.dumps({"message": err.message}, separators=(",", ":")).encode()


def gateway_response(inv: Invocation | None, err: GatewayError) -> MethodResult:
    headers = [("Content-Type", "application/json")]
    if err.error_type:
        headers.append(("x-amzn-ErrorType", err.error_type))
    customized: dict[str, Any] = {}
    if inv is not None:
        customized = inv.snapshot.get("gatewayResponses") or {}
    custom = customized.get(err.response_type) or customized.get("DEFAULT_4XX" if err.status < 500 else "DEFAULT_5XX")
    if custom is None or inv is None:
        return MethodResult(err.status, headers, default_body(err))
    status = int(custom.get("statusCode") or err.status)
    templates = custom.get("responseTemplates") or {}
    template = templates.get("application/json") or next(iter(templates.values()), None)
    context = inv.context()
    message = None if err.raw_body == b'{"message":null}' else err.message
    context["error"] = {"message": message, "messageString": json.dumps(message), "responseType": err.response_type,
                        "validationErrorString": json.dumps(message)}
    if template is None:
        body = default_body(err)
    else:
        try:
            body = vtl.render(template, inv.template_variables("")).encode()
        except vtl.TemplateError:
            body = default_body(err)
    sources = {"method.request": inv.method_request_sources(), "context": context,
               "stageVariables": inv.stage_variables}
    for target, expression in (custom.get("responseParameters") or {}).items():
        if target.startswith("gatewayresponse.header."):
            value = resolve_source(expression, sources)
            if value is not None:
                name = target[len("gatewayresponse.header."):]
                headers = [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, str(value))]
    return MethodResult(status, headers, body)
