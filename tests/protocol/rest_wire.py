"""botocore on the client side of the REST round-trip tests.

`client_request` builds the HTTP request that botocore's own serializer would send and turns it
into our Request; `client_parse` reads our Response with botocore's own parser.
"""

from __future__ import annotations

import asyncio
import io
from functools import cache
from typing import Any

import botocore.loaders
import botocore.model
import botocore.parsers
import botocore.serialize
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.response import StreamingBody

from overcast.server.http import Request, Response
from tests.protocol.samples import from_prepared

ENDPOINT = "http://localhost:4566"


@cache
def botocore_model(service: str) -> botocore.model.ServiceModel:
    loader = botocore.loaders.create_loader()
    return botocore.model.ServiceModel(loader.load_service_model(service, "service-2"), service)


def client_request(
    service: str,
    operation: str,
    params: dict[str, Any],
    host: str = "localhost:4566",
    model: botocore.model.ServiceModel | None = None,
) -> Request:
    model = model or botocore_model(service)
    serializer = botocore.serialize.create_serializer(model.protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, model.operation_model(operation))
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    return from_prepared(create_request_object(request_dict).prepare(), host)


def response_body_bytes(response: Response) -> bytes:
    body = response.body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in body])  # type: ignore[union-attr]

    return asyncio.run(collect())


def client_parse(
    service: str, operation: str, response: Response, model: botocore.model.ServiceModel | None = None
) -> dict[str, Any]:
    """What a boto3 client would return for our response (ResponseMetadata removed)."""
    model = model or botocore_model(service)
    op = model.operation_model(operation)
    headers = HeadersDict()
    for name, value in response.headers:
        headers[name] = value
    raw = response_body_bytes(response)
    body: Any = raw
    if op.has_streaming_output:
        body = StreamingBody(io.BytesIO(raw), len(raw))
    parser = botocore.parsers.create_parser(model.protocol)
    parsed = parser.parse(
        {"status_code": response.status, "headers": headers, "body": body},
        op.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    for key, value in list(parsed.items()):
        if isinstance(value, StreamingBody):
            parsed[key] = value.read()
    return parsed


def client_parse_error(service: str, response: Response) -> dict[str, Any]:
    model = botocore_model(service)
    headers = HeadersDict()
    for name, value in response.headers:
        headers[name] = value
    parser = botocore.parsers.create_parser(model.protocol)
    return parser.parse(
        {"status_code": response.status, "headers": headers, "body": response_body_bytes(response)}, None
    )
