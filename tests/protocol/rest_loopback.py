"""A real boto3 client whose HTTP requests go through our parser and serializer, in process.

botocore's `before-send` hook hands us the fully prepared request (signed, checksummed, with
the host it chose); we parse it, call a test-provided handler with (operation, params), and hand
back our serialized response for the client's full parsing path (handlers included).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.registry import parser_for, serializer_for
from overcast.server.context import RequestContext
from overcast.server.http import RequestBody
from tests.protocol.rest_wire import response_body_bytes
from tests.protocol.samples import from_prepared

Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


class _Raw:
    """Just enough of urllib3's response for botocore to read a body."""

    def __init__(self, data: bytes):
        self._io = io.BytesIO(data)

    def stream(self, amt: int = 1024, decode_content: bool = False):
        while chunk := self._io.read(amt):
            yield chunk

    def read(self, amt: int | None = None, **_: Any) -> bytes:
        return self._io.read(amt) if amt is not None else self._io.read()


class Loopback:
    def __init__(self, service: str, handler: Handler):
        self.model = load_service_model(service)
        self.parser = parser_for(self.model)
        self.serializer = serializer_for(self.model)
        self.handler = handler
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        ours = from_prepared(request)
        ctx = RequestContext(
            request=ours, request_id="LOOPBACK-REQ-1", account_id="000000000000", region="us-east-1"
        )
        op = None
        try:
            op, params = asyncio.run(self.parser.parse(ours))
            for key, value in list(params.items()):
                if isinstance(value, RequestBody):
                    params[key] = asyncio.run(value.read())
            self.calls.append((op.name, params))
            response = self.serializer.serialize(ctx, op, self.handler(op.name, params))
        except ServiceError as error:
            response = self.serializer.serialize_error(ctx, op, error)
        out_headers: dict[str, str] = {}
        for name, value in response.headers:
            out_headers[name] = value
        return AWSResponse(request.url, response.status, out_headers, _Raw(response_body_bytes(response)))


def client(service: str, handler: Handler, **config: Any) -> tuple[Any, Loopback]:
    loopback = Loopback(service, handler)
    c = boto3.client(
        service,
        endpoint_url="http://localhost:4566",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )
    c.meta.events.register("before-send", loopback)
    return c, loopback
