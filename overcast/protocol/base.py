"""The contract of the protocol layer: one parser and one serializer per wire protocol.

Providers never see HTTP. A parser turns a Request into (operation, params) where params is a
dict keyed by the input shape's member names, with values typed as botocore's client would
accept them (str, int, float, bool, bytes, datetime, list, dict). A serializer turns an output
dict (keyed by the output shape's member names) or a ServiceError into a Response.

Streaming payloads: a streaming blob input member (S3 PutObject Body) is handed over as a
`overcast.server.http.RequestBody`-like object (`await body.read()`, `async for c in
body.stream()`), already decoded from aws-chunked when the client sent that. A streaming output
member may be bytes or an async iterator of bytes.
"""

from __future__ import annotations

from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel
from overcast.server.context import RequestContext
from overcast.server.http import Request, Response


class RequestParser:
    def __init__(self, model: ServiceModel):
        self.model = model

    async def parse(self, request: Request) -> tuple[OperationModel, dict[str, Any]]:
        """Find the operation and read its input. Raises ServiceError (protocol's validation
        errors) for malformed input, UnknownOperation when no operation matches."""
        raise NotImplementedError


class ResponseSerializer:
    def __init__(self, model: ServiceModel):
        self.model = model

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict[str, Any]) -> Response:
        raise NotImplementedError

    def serialize_error(
        self, ctx: RequestContext, operation: OperationModel | None, error: ServiceError
    ) -> Response:
        raise NotImplementedError
