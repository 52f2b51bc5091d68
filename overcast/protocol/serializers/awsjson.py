"""The awsJson 1.0/1.1 response serializer.

Output dicts go to `json.dumps` as they are: blobs (bytes) become base64 and timestamps
(datetime) epoch seconds through the encoder's `default` hook, so a response is never walked in
Python unless its shape renames members on the wire or wants ISO/RFC 822 timestamps (none of
the JSON services we ship do; the walker keeps the protocol correct for any model). A provider
may also hand back a blob already base64-encoded as text: it passes through untouched.

Errors: `{"__type": ..., "message": ...}` plus the error's extra fields, `x-amzn-ErrorType`, and
for services that kept their query-protocol error codes (awsQueryCompatible: SQS, CloudWatch)
`x-amzn-query-error: <Code>;<Sender|Receiver>`.

Requests sent as CBOR (application/x-amz-cbor-1.1, the Java SDKs' default for Kinesis) are
answered in CBOR: same document, byte-string blobs, timestamps as tag 1 epoch milliseconds.

Event streams (Kinesis SubscribeToShard, Logs StartLiveTail): the provider puts an iterator
(async or not) of one-key dicts `{EventName: {...}}` under the stream member; the response is an
application/vnd.amazon.eventstream body: an initial-response event carrying the other output
members, then one message per event. A ServiceError raised while iterating ends the stream with
an exception message.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from overcast.protocol import jsoncodec
from overcast.protocol.base import ResponseSerializer
from overcast.protocol.compiling import compile_once
from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.values import as_datetime, b64encode, format_timestamp, to_epoch
from overcast.server.context import RequestContext
from overcast.server.http import Response

# DynamoDB (and its Streams API) and SQS name errors with their Smithy shape id; botocore and
# the other SDKs strip everything up to '#'. Errors raised by the request pipeline itself carry
# Coral's own namespaces there.
_ERROR_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#",
    "dynamodbstreams": "com.amazonaws.dynamodb.v20120810#",
    "sqs": "com.amazonaws.sqs#",
    "cloudwatch": "com.amazonaws.cloudwatch#",
}
_CORAL_NAMESPACES = {
    "SerializationException": "com.amazon.coral.service#",
    "UnknownOperationException": "com.amazon.coral.service#",
    "UnrecognizedClientException": "com.amazon.coral.service#",
    "InvalidSignatureException": "com.amazon.coral.service#",
    "IncompleteSignatureException": "com.amazon.coral.service#",
    "MissingAuthenticationTokenException": "com.amazon.coral.service#",
    "AccessDeniedException": "com.amazon.coral.service#",
    "InternalFailure": "com.amazon.coral.service#",
    "ValidationException": "com.amazon.coral.validate#",
}


def json_default(value: Any) -> Any:
    """What json.dumps cannot encode by itself, the way the AWS JSON protocols encode it."""
    if isinstance(value, datetime):
        return to_epoch(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return b64encode(bytes(value))
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot serialize {type(value).__name__} in a JSON response")


def dump_json(value: Any) -> bytes:
    return jsoncodec.dumps(value, default=json_default)


AWS_CBOR_CONTENT_TYPE = "application/x-amz-cbor-1.1"


def wants_aws_cbor(ctx: RequestContext) -> bool:
    """The AWS Java SDKs speak the json protocol in CBOR (Kinesis); answer in kind."""
    return ctx.request.headers.get("content-type", "").startswith("application/x-amz-cbor")


def _millis_timestamps(value: Any) -> Any:
    # The CBOR variant tags timestamps with epoch milliseconds; cbor2 would write seconds.
    import cbor2

    if isinstance(value, dict):
        return {k: _millis_timestamps(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_millis_timestamps(v) for v in value]
    if isinstance(value, datetime):
        return cbor2.CBORTag(1, int(as_datetime(value).timestamp() * 1000))
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def dump_aws_cbor(value: Any) -> bytes:
    import cbor2

    return cbor2.dumps(_millis_timestamps(value))


Writer = Callable[[Any], Any]


class WalkingWriterCompiler:
    """Builds writers only for shapes whose subtree renames members (locationName) or asks for
    a timestamp format other than epoch seconds; every other shape is dumped as it is."""

    def __init__(self) -> None:
        self._needs: dict[tuple[str, str | None], bool] = {}
        self._writers: dict[tuple[str, str | None], Writer] = {}

    @staticmethod
    def _key(shape: Shape) -> tuple[str, str | None]:
        # timestampFormat may sit on the member reference: it is part of what a writer does.
        return (shape.name, shape.trait("timestampFormat"))

    def needs_walk(self, shape: Shape, seen: frozenset[tuple[str, str | None]] = frozenset()) -> bool:
        key = self._key(shape)
        known = self._needs.get(key)
        if known is not None:
            return known
        if key in seen:
            return False
        seen = seen | {key}
        kind = shape.type_name
        result = False
        if kind == "structure" and not shape.raw.get("document"):
            for name, member in shape.members.items():
                if (member.location_name or name) != name or self.needs_walk(member, seen):
                    result = True
                    break
        elif kind == "list":
            result = self.needs_walk(shape.member, seen)
        elif kind == "map":
            result = self.needs_walk(shape.value, seen)
        elif kind == "timestamp":
            result = (key[1] or "unixtimestamp").lower() != "unixtimestamp"
        # A "no" reached while a cycle was still open may be premature; only the outermost
        # call's answer is final. A "yes" always is.
        if result or not seen - {key}:
            self._needs[key] = result
        return result

    def writer(self, shape: Shape) -> Writer | None:
        if not self.needs_walk(shape):
            return None
        key = self._key(shape)
        found = self._writers.get(key)
        if found is not None:
            return found
        return compile_once(self._writers, key, lambda: self._build_writer(shape, key[1]))

    def _build_writer(self, shape: Shape, timestamp_format: str | None) -> Writer:
        kind = shape.type_name
        if kind == "structure":
            members = {
                name: (member.location_name or name, self.writer(member))
                for name, member in shape.members.items()
            }

            def write_structure(value: Any) -> Any:
                out = {}
                for name, item in value.items():
                    found = members.get(name)
                    if found is None:
                        out[name] = item
                        continue
                    wire, sub = found
                    out[wire] = sub(item) if sub is not None and item is not None else item
                return out

            return write_structure
        if kind == "list":
            item_writer = self.writer(shape.member)
            if item_writer is None:
                return _as_is

            def write_list(value: Any) -> Any:
                return [item_writer(item) if item is not None else None for item in value]

            return write_list
        if kind == "map":
            value_writer = self.writer(shape.value)
            if value_writer is None:
                return _as_is

            def write_map(value: Any) -> Any:
                return {k: value_writer(v) if v is not None else None for k, v in value.items()}

            return write_map
        fmt = timestamp_format or "unixTimestamp"

        def write_timestamp(value: Any) -> Any:
            return format_timestamp(value, fmt)

        return write_timestamp


def _as_is(value: Any) -> Any:
    return value


def error_shape(model: ServiceModel, code: str) -> Shape | None:
    """The model's error shape for a code: by shape name first, then by its wire code."""
    raw = model.raw_shapes.get(code)
    if raw is not None and raw.get("exception"):
        return model.shape(code)
    return model.error_shapes_by_code.get(code)


def query_error_code(error: ServiceError, shape: Shape | None) -> str:
    """The code a query-compatible service reported before it moved off the query protocol."""
    explicit = getattr(error, "query_code", None)
    if explicit:
        return explicit
    if shape is not None:
        return shape.error_info.get("code", shape.name)
    return error.code


def message_member(shape: Shape | None) -> str:
    if shape is not None:
        for candidate in ("message", "Message"):
            if candidate in shape.members:
                return candidate
    return "message"


class JsonSerializer(ResponseSerializer):
    cache_key = "awsjson.writer"

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        version = model.metadata.get("jsonVersion", "1.0")
        self.content_type = f"application/x-amz-json-{version}"
        self.query_compatible = "awsQueryCompatible" in model.metadata
        self.error_namespace = _ERROR_NAMESPACES.get(model.service, "")
        self.writers = WalkingWriterCompiler()

    def _output_writer(self, operation: OperationModel) -> Writer | None:
        cache = operation.cache
        try:
            return cache[self.cache_key]
        except KeyError:
            pass
        shape = operation.output_shape
        writer = self.writers.writer(shape) if shape is not None else None
        cache[self.cache_key] = writer
        return writer

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict[str, Any]) -> Response:
        stream = event_stream_plan(operation)
        if stream is not None and output and stream.member in output:
            return Response(
                status=200,
                headers=[("Content-Type", EVENT_STREAM_CONTENT_TYPE), ("x-amzn-RequestId", ctx.request_id)],
                body=EventStreamEncoder(self.content_type).body(stream, output),
            )
        writer = self._output_writer(operation)
        if output and writer is not None:
            output = writer(output)
        if wants_aws_cbor(ctx):
            return Response(
                status=200,
                headers=[("Content-Type", AWS_CBOR_CONTENT_TYPE), ("x-amzn-RequestId", ctx.request_id)],
                body=dump_aws_cbor(output or {}),
            )
        body = dump_json(output) if output else b"{}"
        return Response(
            status=200,
            headers=[("Content-Type", self.content_type), ("x-amzn-RequestId", ctx.request_id)],
            body=body,
        )

    def error_type(self, error: ServiceError, shape: Shape | None) -> str:
        name = shape.name if shape is not None else error.code
        if not self.error_namespace:
            return name
        if shape is None and error.code in _CORAL_NAMESPACES:
            return _CORAL_NAMESPACES[error.code] + name
        return self.error_namespace + name

    def error_body(self, error: ServiceError, shape: Shape | None) -> dict[str, Any]:
        body: dict[str, Any] = {"__type": self.error_type(error, shape)}
        if error.message:
            body[error.message_key or message_member(shape)] = error.message
        body.update(error.fields)
        return body

    def error_headers(
        self, ctx: RequestContext, error: ServiceError, shape: Shape | None
    ) -> list[tuple[str, str]]:
        headers = [
            ("Content-Type", self.content_type),
            ("x-amzn-RequestId", ctx.request_id),
            ("x-amzn-ErrorType", shape.name if shape is not None else error.code),
        ]
        if self.query_compatible:
            fault = "Sender" if error.sender_fault else "Receiver"
            headers.append(("x-amzn-query-error", f"{query_error_code(error, shape)};{fault}"))
        headers.extend(error.headers.items())
        return headers

    def serialize_error(
        self, ctx: RequestContext, operation: OperationModel | None, error: ServiceError
    ) -> Response:
        shape = error_shape(self.model, error.code)
        headers = self.error_headers(ctx, error, shape)
        if wants_aws_cbor(ctx):
            headers[0] = ("Content-Type", AWS_CBOR_CONTENT_TYPE)
            return Response(
                status=error.status, headers=headers, body=dump_aws_cbor(self.error_body(error, shape))
            )
        return Response(status=error.status, headers=headers, body=dump_json(self.error_body(error, shape)))


# -- event streams ---------------------------------------------------------------------------------

EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"


def _event_header(name: str, value: Any) -> bytes:
    encoded_name = name.encode("utf-8")
    head = bytes([len(encoded_name)]) + encoded_name
    if isinstance(value, bool):
        return head + (b"\x00" if value else b"\x01")
    if isinstance(value, int):
        return head + b"\x05" + struct.pack(">q", value)
    if isinstance(value, datetime):
        millis = int(as_datetime(value).timestamp() * 1000)
        return head + b"\x08" + struct.pack(">q", millis)
    if isinstance(value, (bytes, bytearray)):
        return head + b"\x06" + struct.pack(">H", len(value)) + bytes(value)
    text = str(value).encode("utf-8")
    return head + b"\x07" + struct.pack(">H", len(text)) + text


def encode_event_message(headers: list[tuple[str, Any]], payload: bytes) -> bytes:
    """One message of the AWS event stream framing (prelude, headers, payload, two CRC32s)."""
    header_block = b"".join(_event_header(name, value) for name, value in headers)
    prelude = struct.pack(">II", 16 + len(header_block) + len(payload), len(header_block))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + header_block + payload
    return message + struct.pack(">I", zlib.crc32(message))


@dataclass
class EventStreamPlan:
    member: str  # the output member holding the stream
    payload_members: dict[str, str | None]  # event name -> its eventpayload member, if any
    header_members: dict[str, tuple[str, ...]]  # event name -> its eventheader members
    errors: dict[str, str]  # error code or shape name -> the stream's member name for it


def event_stream_plan(operation: OperationModel) -> EventStreamPlan | None:
    cached = operation.cache.get("eventstream.plan", False)
    if cached is not False:
        return cached
    plan = None
    shape = operation.output_shape
    for name, member in shape.members.items() if shape is not None else ():
        if member.type_name != "structure" or not member.raw.get("eventstream"):
            continue
        payloads: dict[str, str | None] = {}
        headers: dict[str, tuple[str, ...]] = {}
        errors: dict[str, str] = {}
        for event_name, event in member.members.items():
            if event.is_error:
                errors[event_name] = event_name
                errors[event.name] = event_name
                errors[event.error_info.get("code", event.name)] = event_name
                continue
            payloads[event_name] = next(
                (m for m, s in event.members.items() if s.trait("eventpayload")), None
            )
            headers[event_name] = tuple(m for m, s in event.members.items() if s.trait("eventheader"))
        plan = EventStreamPlan(name, payloads, headers, errors)
        break
    operation.cache["eventstream.plan"] = plan
    return plan


class EventStreamEncoder:
    def __init__(self, content_type: str):
        self.content_type = content_type

    def initial_response(self, output: dict[str, Any]) -> bytes:
        headers = [
            (":event-type", "initial-response"),
            (":content-type", self.content_type),
            (":message-type", "event"),
        ]
        return encode_event_message(headers, dump_json(output) if output else b"{}")

    def event(self, plan: EventStreamPlan, event: dict[str, Any]) -> bytes:
        ((name, value),) = event.items()
        value = dict(value or {})
        headers: list[tuple[str, Any]] = [(":event-type", name), (":message-type", "event")]
        for header in plan.header_members.get(name, ()):
            if header in value:
                headers.append((header, value.pop(header)))
        payload_member = plan.payload_members.get(name)
        if payload_member is not None:
            payload = value.get(payload_member, b"")
            if isinstance(payload, str):
                payload = payload.encode("utf-8")
            elif not isinstance(payload, (bytes, bytearray)):
                payload = dump_json(payload)
                headers.append((":content-type", "application/json"))
        else:
            payload = dump_json(value)
            headers.append((":content-type", "application/json"))
        return encode_event_message(headers, bytes(payload))

    def error(self, plan: EventStreamPlan, error: ServiceError) -> bytes:
        member = plan.errors.get(error.code)
        if member is None:
            headers = [
                (":message-type", "error"),
                (":error-code", error.code),
                (":error-message", error.message),
            ]
            return encode_event_message(headers, b"")
        headers = [
            (":message-type", "exception"),
            (":exception-type", member),
            (":content-type", "application/json"),
        ]
        return encode_event_message(headers, dump_json({"message": error.message, **error.fields}))

    async def body(self, plan: EventStreamPlan, output: dict[str, Any]) -> AsyncIterator[bytes]:
        events = output[plan.member]
        yield self.initial_response({k: v for k, v in output.items() if k != plan.member})
        try:
            if hasattr(events, "__aiter__"):
                async for event in events:
                    yield self.event(plan, event)
            else:
                for event in events:
                    yield self.event(plan, event)
        except ServiceError as error:
            yield self.error(plan, error)
