"""The rest-json response serializer (Lambda, API Gateway, EventBridge Scheduler).

Outputs are converted to JSON-ready values by converters compiled per shape; a shape whose tree
holds only strings, numbers and booleans under their own member names needs no conversion at
all and is dumped as it is.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.serializers.rest_common import (
    OutputPlan,
    RestSerializer,
    format_float,
    format_iso8601,
    timestamp_formatter,
)
from overcast.server.context import RequestContext
from overcast.server.http import Response

Converter = Callable[[Any], Any]
MemberField = tuple[str, str, Converter | None]  # member name, wire key, converter if one is needed


def _json_default(value: Any) -> Any:
    """Values a provider put where the model has a plain type (a datetime in a string member)."""
    if isinstance(value, datetime):
        return format_iso8601(value)
    if isinstance(value, (bytes, bytearray)):
        return _blob(bytes(value))
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=_json_default).encode("utf-8")


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


class JsonWriters:
    def __init__(self) -> None:
        # shape name -> converter, or None when values pass through unchanged
        self._cache: dict[str, Converter | None] = {}
        self._in_progress: set[str] = set()

    def converter(self, shape: Shape) -> Converter | None:
        name = shape.name
        if name in self._cache:
            return self._cache[name]
        if name in self._in_progress:
            # A recursive shape: convert through a late-bound lookup, whatever it compiles to.
            return lambda value: self._late(name, value)
        self._in_progress.add(name)
        try:
            converter = self._compile(shape)
        finally:
            self._in_progress.discard(name)
        self._cache[name] = converter
        return converter

    def _late(self, name: str, value: Any) -> Any:
        converter = self._cache.get(name)
        return value if converter is None else converter(value)

    def _compile(self, shape: Shape) -> Converter | None:
        kind = shape.type_name
        if kind == "structure":
            if shape.raw.get("document"):
                return None
            fields: list[MemberField] = []
            trivial = True
            for name, member in shape.members.items():
                if member.location:
                    trivial = False
                    continue
                key = member.location_name or name
                convert = self.converter(member)
                if convert is not None or key != name:
                    trivial = False
                fields.append((name, key, convert))
            if trivial:
                return None
            return structure_writer(fields)
        if kind in ("list", "map"):
            convert_item = self.converter(shape.member if kind == "list" else shape.value)
            if convert_item is None:
                return None
            item: Converter = convert_item
            if kind == "list":
                return lambda value: [item(v) for v in value]
            return lambda value: {k: item(v) for k, v in value.items()}
        if kind == "timestamp":
            fmt = timestamp_formatter(shape.trait("timestampFormat") or "unixtimestamp")
            return fmt
        if kind == "blob":
            return _blob
        if kind in ("float", "double"):
            return format_float
        return None


def structure_writer(fields: list[MemberField]) -> Converter:
    """Writes the members that are set, under their wire keys, converted where they need it."""

    def write_structure(value: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, key, convert in fields:
            v = value.get(name)
            if v is not None:
                out[key] = v if convert is None else convert(v)
        return out

    return write_structure


class RestJsonSerializer(RestSerializer):
    content_type = "application/json"

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.writers = JsonWriters()
        self._body_converters: dict[str, Converter] = {}

    def encode_payload(self, op: OperationModel, plan: OutputPlan, value: Any) -> bytes:
        convert = self.writers.converter(plan.payload()[1])
        return _dumps(value if convert is None else convert(value))

    def encode_body(self, op: OperationModel, plan: OutputPlan, output: dict[str, Any]) -> bytes | None:
        convert = self._body_converters.get(op.name)
        if convert is None:
            convert = self._compile_body(plan)
            self._body_converters[op.name] = convert
        return _dumps(convert(output))

    def _compile_body(self, plan: OutputPlan) -> Converter:
        fields: list[MemberField] = []
        for name in plan.body_members:
            member = plan.bound_shape().members[name]
            fields.append((name, member.location_name or name, self.writers.converter(member)))
        return structure_writer(fields)

    def serialize_error(
        self, ctx: RequestContext, operation: OperationModel | None, error: ServiceError
    ) -> Response:
        headers, fields = self.error_headers(ctx, error)
        headers.append(("x-amzn-ErrorType", error.code))
        if not self.error_has_body(ctx, error):
            return Response(status=error.status, headers=headers, body=b"")
        shape = self.error_shape(error)
        members = shape.members if shape is not None else {}
        # Services differ in the case of "message" (Lambda: Message; API Gateway: message).
        message_key = "Message" if "Message" in members and "message" not in members else "message"
        body: dict[str, Any] = {}
        if "Type" in members:
            body["Type"] = "User" if error.sender_fault else "Service"
        body[message_key] = error.message or ""
        for key, value in fields.items():
            if value is None:
                continue
            member = members.get(key)
            convert = self.writers.converter(member) if member is not None else None
            body[(member.location_name or key) if member is not None else key] = (
                value if convert is None else convert(value)
            )
        headers.append(("Content-Type", self.content_type))
        return Response(status=error.status, headers=headers, body=_dumps(body))
