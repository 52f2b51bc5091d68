"""The Smithy RPC v2 CBOR response serializer (CloudWatch).

Output dicts are encoded by cbor2 directly: bytes become byte strings, datetimes tag 1 epoch
seconds, keys are member names. Providers return plain values here: cbor2 would write a Decimal
or a set with tags (4, 258) that clients do not read.

Errors are a map with `__type` (the shape id) and `message`, plus `x-amzn-query-error` for
services that kept their query error codes (CloudWatch).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import cbor2

from overcast.protocol.base import ResponseSerializer
from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel
from overcast.protocol.serializers.awsjson import error_shape, message_member, query_error_code
from overcast.server.context import RequestContext
from overcast.server.http import Response

CONTENT_TYPE = "application/cbor"


def dump_cbor(value: Any) -> bytes:
    return cbor2.dumps(value, datetime_as_timestamp=True, timezone=UTC)


class RpcV2CborSerializer(ResponseSerializer):
    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.query_compatible = "awsQueryCompatible" in model.metadata
        # The Smithy namespace of the service's shapes, for error __type ids.
        self.namespace = f"com.amazonaws.{model.service}#"

    def _headers(self, ctx: RequestContext) -> list[tuple[str, str]]:
        return [
            ("Content-Type", CONTENT_TYPE),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("x-amzn-RequestId", ctx.request_id),
        ]

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict[str, Any]) -> Response:
        # An operation without output still answers an (empty) CBOR map.
        return Response(status=200, headers=self._headers(ctx), body=dump_cbor(output or {}))

    def serialize_error(
        self, ctx: RequestContext, operation: OperationModel | None, error: ServiceError
    ) -> Response:
        shape = error_shape(self.model, error.code)
        body: dict[str, Any] = {"__type": self.namespace + (shape.name if shape is not None else error.code)}
        if error.message:
            body[message_member(shape)] = error.message
        body.update(error.fields)
        headers = self._headers(ctx)
        if self.query_compatible:
            fault = "Sender" if error.sender_fault else "Receiver"
            headers.append(("x-amzn-query-error", f"{query_error_code(error, shape)};{fault}"))
        headers.extend(error.headers.items())
        return Response(status=error.status, headers=headers, body=dump_cbor(body))
