"""AWS integrations that address S3 by path (arn:aws:apigateway:<region>:s3:path/<bucket>/<key>):
the integration's HTTP method on that object, through Overcast's own S3 (the "API Gateway as an
S3 proxy" pattern; LocalStack's AWS-validated test_apigateway_s3_any: a PUT, then a GET of the
same object answering what was put)."""

from __future__ import annotations

import re
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
    if not key:
        return await _bucket_call(gateway, inv, integration, bucket, method)
    operations = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}
    if method not in operations:
        raise internal_error()
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if method == "PUT":
        params["Body"] = integration_request_body(inv, integration)
        if inv.content_type:
            params["ContentType"] = inv.content_type
        # The integration request's mapped headers are what S3 receives (the S3 proxy tutorial
        # maps Content-Type, x-amz-meta-* and the like this way).
        metadata: dict[str, str] = {}
        for name, value in request_mappings(inv, integration).get("header", {}).items():
            lowered = name.lower()
            if lowered in _PUT_HEADERS:
                params[_PUT_HEADERS[lowered]] = value
            elif lowered.startswith("x-amz-meta-"):
                metadata[lowered[len("x-amz-meta-"):]] = value
        if metadata:
            params["Metadata"] = metadata
    elif method == "GET":
        # S3's response-* query parameters, mapped from the method request, set what the object
        # is answered as (LocalStack's AWS-validated TestApiGatewayS3BinarySupport maps
        # integration.request.querystring.response-content-type to choose the Content-Type
        # that binaryMediaTypes are matched against).
        for name, value in request_mappings(inv, integration).get("querystring", {}).items():
            member = _GET_OVERRIDES.get(name.lower())
            if member and value:
                params[member] = value
    try:
        output = await gateway.internal.call("s3", operations[method], params, account_id=inv.account,
                                             region=inv.region)
    except ServiceError as exc:
        return _s3_error(exc)
    headers = {name: str(output[member]) for name, member in (("Content-Type", "ContentType"), ("ETag", "ETag"))
               if output.get(member) is not None}
    status = 204 if method == "DELETE" else 200
    data = await read_body(output.get("Body")) if method == "GET" else b""
    return IntegrationResult(status, headers, data, str(status))


# Headers of a PutObject an integration may map, by the PutObject member each sets.
_PUT_HEADERS = {"content-type": "ContentType", "cache-control": "CacheControl",
                "content-disposition": "ContentDisposition", "content-encoding": "ContentEncoding",
                "content-language": "ContentLanguage"}


# GetObject's response-* query parameters an integration may map, by the member each sets.
_GET_OVERRIDES = {"response-content-type": "ResponseContentType", "response-content-language": "ResponseContentLanguage",
                  "response-content-disposition": "ResponseContentDisposition",
                  "response-content-encoding": "ResponseContentEncoding", "response-cache-control": "ResponseCacheControl"}


def _s3_error(exc: ServiceError) -> IntegrationResult:
    body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{escape(exc.code)}</Code>"
            f"<Message>{escape(exc.message)}</Message></Error>")
    return IntegrationResult(exc.status, {"Content-Type": "application/xml"}, body, str(exc.status))


# ListObjects' query parameters an integration may map (integration.request.querystring.*).
_LIST_PARAMETERS = {"prefix": "Prefix", "delimiter": "Delimiter", "marker": "Marker", "max-keys": "MaxKeys",
                    "encoding-type": "EncodingType"}
_INTEGER = re.compile(r"-?[0-9]+")


async def _bucket_call(gateway: Gateway, inv: Invocation, integration: dict[str, Any], bucket: str,
                       method: str) -> IntegrationResult:
    """path/<bucket> with no key addresses the bucket itself: GET lists its objects and answers
    S3's ListBucketResult XML, PUT creates it, DELETE deletes it (the developer guide's "API as an
    Amazon S3 proxy" tutorial, GET /S3/apig-demo-5 answering the listing)."""
    if method == "GET":
        params: dict[str, Any] = {"Bucket": bucket}
        query = request_mappings(inv, integration).get("querystring", {})
        for name, member in _LIST_PARAMETERS.items():
            if query.get(name):
                params[member] = query[name]
        if "MaxKeys" in params:
            if not _INTEGER.fullmatch(params["MaxKeys"]):
                # S3's answer to a max-keys that is no integer, as its REST API words it (the S3
                # parser's); ListObjects itself is only ever handed an integer (a string was a 500).
                return _s3_error(ServiceError("Argument maxKeys must be an integer between 0 and 2147483647",
                                              code="InvalidArgument", status=400))
            params["MaxKeys"] = int(params["MaxKeys"])
        try:
            output = await gateway.internal.call("s3", "ListObjects", params, account_id=inv.account,
                                                 region=inv.region)
        except ServiceError as exc:
            return _s3_error(exc)
        return IntegrationResult(200, {"Content-Type": "application/xml"}, _s3_xml("ListObjects", output), "200")
    operations = {"PUT": ("CreateBucket", 200), "DELETE": ("DeleteBucket", 204), "HEAD": ("HeadBucket", 200)}
    if method not in operations:
        raise internal_error()
    operation, status = operations[method]
    params = {"Bucket": bucket}
    if method == "PUT":
        region = _location_constraint(integration_request_body(inv, integration).decode("utf-8", errors="replace"))
        if region:
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        await gateway.internal.call("s3", operation, params, account_id=inv.account, region=inv.region)
    except ServiceError as exc:
        return _s3_error(exc)
    return IntegrationResult(status, {}, "", str(status))


def _location_constraint(body: str) -> str | None:
    """The region a CreateBucketConfiguration body names, if the request carries one."""
    found = re.search(r"<LocationConstraint>\s*([^<\s]*)\s*</LocationConstraint>", body or "")
    return found.group(1) if found and found.group(1) else None


def _s3_xml(operation: str, output: dict[str, Any]) -> str:
    """An S3 operation's output as S3 writes it on the wire, through S3's own serializer."""
    from overcast.protocol.model import load_service_model
    from overcast.protocol.registry import serializer_for

    model = load_service_model("s3")
    serializer = serializer_for(model)
    op = model.operation(operation)
    return (serializer.encode_body(op, serializer.plan(op), output) or b"").decode("utf-8")
