"""AWS integrations that address S3 by path (arn:aws:apigateway:<region>:s3:path/<bucket>/<key>):
the integration's HTTP method on that object, through Overcast's own S3 (the "API Gateway as an
S3 proxy" pattern; LocalStack's AWS-validated test_apigateway_s3_any: a PUT, then a GET of the
same object answering what was put)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from overcast.protocol.errors import ServiceError
from overcast.services.apigateway.invoke.errors import internal_error
from overcast.services.apigateway.invoke.pipeline import (
    IntegrationResult,
    Invocation,
    integration_request_body,
    request_mappings,
)
from overcast.services.internal import read_body

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.gateway import Gateway


def object_path(inv: Invocation, integration: dict[str, Any], target: str) -> tuple[str, str]:
    """The bucket and key a path/ target names once its {placeholders} are filled from the
    integration's path mappings (then the method's path parameters), as an HTTP integration's URL is."""
    path = target[len("path/"):]
    values = {**inv.path_params, **request_mappings(inv, integration).get("path", {})}
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(unquote(value), safe="/"))
    bucket, _, key = path.partition("/")
    return unquote(bucket), unquote(key)


async def s3_path(gateway: Gateway, inv: Invocation, integration: dict[str, Any], target: str) -> IntegrationResult:
    bucket, key = object_path(inv, integration, target)
    method = integration.get("httpMethod") or inv.verb
    if method == "ANY":
        method = inv.verb
    operations = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}
    if not key or method not in operations:
        raise internal_error()  # bucket-level calls answer XML listings Overcast does not build here
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if method == "PUT":
        params["Body"] = integration_request_body(inv, integration).encode("utf-8")
        if inv.content_type:
            params["ContentType"] = inv.content_type
    try:
        output = await gateway.internal.call("s3", operations[method], params, account_id=inv.account,
                                             region=inv.region)
    except ServiceError as exc:
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{escape(exc.code)}</Code>"
                f"<Message>{escape(exc.message)}</Message></Error>")
        return IntegrationResult(exc.status, {"Content-Type": "application/xml"}, body, str(exc.status))
    headers = {name: str(output[member]) for name, member in (("Content-Type", "ContentType"), ("ETag", "ETag"))
               if output.get(member) is not None}
    status = 204 if method == "DELETE" else 200
    data = await read_body(output.get("Body")) if method == "GET" else b""
    return IntegrationResult(status, headers, data.decode("utf-8", errors="replace"), str(status))
