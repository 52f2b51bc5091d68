"""What the REST protocols share on the response side: status, headers, payload and body.

Each operation's output shape is compiled once into an OutputPlan (which member goes to which
header, which is the status code, what the payload is); protocols then only encode the body.
"""

from __future__ import annotations

import base64
import calendar
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from overcast.protocol.base import ResponseSerializer
from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.parsers.rest_common import PlanShapes
from overcast.protocol.values import as_datetime
from overcast.server.context import RequestContext
from overcast.server.http import Response

# -- timestamps -------------------------------------------------------------------------------


def epoch_seconds(value: Any) -> int | float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    dt = as_datetime(value)
    seconds = calendar.timegm(dt.utctimetuple())
    if dt.microsecond:
        return (seconds * 1_000_000 + dt.microsecond) / 1_000_000
    return seconds


def _utc(value: Any) -> datetime:
    if type(value) is datetime:
        tz = value.tzinfo
        if tz is None or tz is UTC:
            return value
        return value.astimezone(UTC)
    return as_datetime(value).astimezone(UTC)


def format_iso8601(value: Any) -> str:
    """`2009-10-12T17:50:30.000Z`, as S3 writes timestamps in XML."""
    dt = _utc(value)
    text = dt.isoformat(timespec="milliseconds")
    return (text[:-6] if dt.tzinfo is not None else text) + "Z"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# Zero-padded two-digit numbers, looked up: a `:02d` format costs far more (every response with
# a Last-Modified header formats five of them).
_TWO_DIGITS = tuple(f"{i:02d}" for i in range(100))


def format_rfc822(value: Any) -> str:
    """`Wed, 21 Oct 2015 07:28:00 GMT`, as HTTP headers carry dates."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = datetime.fromtimestamp(int(value), tz=UTC)
    dt = _utc(value)
    two = _TWO_DIGITS
    year = dt.year
    return (
        f"{_DAYS[dt.weekday()]}, {two[dt.day]} {_MONTHS[dt.month - 1]} {year if year >= 1000 else f'{year:04d}'} "
        f"{two[dt.hour]}:{two[dt.minute]}:{two[dt.second]} GMT"
    )


def timestamp_formatter(fmt: str) -> Callable[[Any], Any]:
    fmt = fmt.lower()
    if fmt == "rfc822":
        return format_rfc822
    if fmt == "unixtimestamp":
        return epoch_seconds
    return format_iso8601


def format_float(value: Any) -> Any:
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


# -- header values ----------------------------------------------------------------------------


def _header_list_item(value: Any) -> str:
    text = str(value)
    if '"' in text or "," in text:
        return '"' + text.replace('"', '\\"') + '"'
    return text


def non_latin1_header(value: str) -> str:
    """A header value HTTP/1.1 can carry: RFC 2047 words for text beyond latin-1, as S3 does.

    Values that fit latin-1 pass as they are: request headers arrive decoded as latin-1, so
    echoing one back (user metadata) gives the client its own bytes again.
    """
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return "=?UTF-8?B?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="


def header_encoder(shape: Shape) -> Callable[[Any], str]:
    kind = shape.type_name
    if kind == "timestamp":
        fmt = timestamp_formatter(shape.trait("timestampFormat") or "rfc822")
        return lambda v: str(fmt(v))
    if kind == "boolean":
        return lambda v: "true" if v else "false"
    if kind in ("float", "double"):
        return lambda v: str(format_float(v))
    if kind == "blob":
        return lambda v: base64.b64encode(v if isinstance(v, bytes) else str(v).encode()).decode()
    if kind == "list":
        item = header_encoder(shape.member) if shape.member.type_name != "string" else _header_list_item
        return lambda v: ",".join(item(x) for x in v if x is not None)
    if kind == "string" and shape.trait("jsonvalue"):
        return lambda v: base64.b64encode(
            (v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))).encode()
        ).decode()
    return str


# -- per-operation plans ----------------------------------------------------------------------

# An output key a handler sets when the status depends on what happened, where the model has no
# statusCode member to carry it (S3 RestoreObject: 202 for a new restore, 200 for one already done).
STATUS_OVERRIDE = "__status__"

PAYLOAD_NONE = 0
PAYLOAD_RAW = 1  # blob or string: bytes, str or an async iterator, passed through
PAYLOAD_STRUCT = 2


@dataclass(slots=True)
class OutputPlan(PlanShapes):
    shape: Shape | None
    status: int
    headers: list[tuple[str, str, Callable[[Any], str]]] = field(default_factory=list)
    header_index: dict[str, tuple[str, Callable[[Any], str]]] = field(default_factory=dict)
    header_maps: list[tuple[str, str]] = field(default_factory=list)
    status_member: str | None = None
    payload_member: str | None = None
    payload_kind: int = PAYLOAD_NONE
    payload_shape: Shape | None = None
    body_members: tuple[str, ...] = ()


def build_output_plan(op: OperationModel) -> OutputPlan:
    shape = op.output_shape
    plan = OutputPlan(shape=shape, status=op.http.response_code)
    if shape is None:
        return plan
    body: list[str] = []
    for name, member in shape.members.items():
        location = member.location
        if location == "header":
            plan.headers.append((name, member.location_name or name, header_encoder(member)))
        elif location == "headers":
            plan.header_maps.append((name, member.location_name or ""))
        elif location == "statusCode":
            plan.status_member = name
        elif not location and name != shape.payload_member and not member.raw.get("eventstream"):
            body.append(name)
    payload = shape.payload_member
    if payload is not None:
        member = shape.members[payload]
        plan.payload_member = payload
        plan.payload_shape = member
        # Event streams are framed by whoever produces them; their bytes pass through as well.
        raw = member.type_name in ("blob", "string") or bool(member.raw.get("eventstream"))
        plan.payload_kind = PAYLOAD_RAW if raw else PAYLOAD_STRUCT
        body = []
    plan.body_members = tuple(body)
    plan.header_index = {name: (header, encode) for name, header, encode in plan.headers}
    return plan


class RestSerializer(ResponseSerializer):
    """Status, headers and payload for REST protocols; subclasses encode bodies and errors."""

    content_type = "application/json"

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self._plans: dict[str, OutputPlan] = {}

    def plan(self, op: OperationModel) -> OutputPlan:
        plan = self._plans.get(op.name)
        if plan is None:
            plan = build_output_plan(op)
            self._plans[op.name] = plan
        return plan

    def request_id_headers(self, ctx: RequestContext) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", ctx.request_id)]

    def encode_payload(self, op: OperationModel, plan: OutputPlan, value: Any) -> bytes:
        raise NotImplementedError

    def encode_body(self, op: OperationModel, plan: OutputPlan, output: dict[str, Any]) -> bytes | None:
        raise NotImplementedError

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict[str, Any]) -> Response:
        plan = self.plan(operation)
        output = output or {}
        headers = self.request_id_headers(ctx)
        status = plan.status
        if plan.header_index:
            index = plan.header_index
            for name, value in output.items():
                found = index.get(name)
                if found is not None and value is not None:
                    header, encode = found
                    text = value if encode is str and type(value) is str else encode(value)
                    headers.append((header, text if text.isascii() else non_latin1_header(text)))
        for name, prefix in plan.header_maps:
            values = output.get(name)
            if values:
                for key, value in values.items():
                    text = str(value)
                    headers.append((prefix + key, text if text.isascii() else non_latin1_header(text)))
        if plan.status_member is not None:
            value = output.get(plan.status_member)
            if value is not None:
                status = int(value)
        elif STATUS_OVERRIDE in output:
            status = output[STATUS_OVERRIDE]
        body: Any = b""
        kind = plan.payload_kind
        if kind == PAYLOAD_RAW:
            value = output.get(plan.payload()[0])
            if value is not None:
                body = value.encode("utf-8") if isinstance(value, str) else value
        elif kind == PAYLOAD_STRUCT:
            value = output.get(plan.payload()[0])
            if value is not None:
                body = self.encode_payload(operation, plan, value)
                headers.append(("Content-Type", self.content_type))
        elif plan.body_members:
            encoded = self.encode_body(operation, plan, output)
            if encoded is not None:
                body = encoded
                headers.append(("Content-Type", self.content_type))
        return Response(status, headers, body)

    def error_shape(self, error: ServiceError) -> Shape | None:
        return self.model.error_shapes_by_code.get(error.code)

    @staticmethod
    def error_has_body(ctx: RequestContext, error: ServiceError) -> bool:
        """HEAD answers, 304 Not Modified and 204 carry no body, errors included."""
        return ctx.request.method.upper() != "HEAD" and error.status not in (204, 304)

    def error_headers(
        self, ctx: RequestContext, error: ServiceError
    ) -> tuple[list[tuple[str, str]], dict[str, Any]]:
        """Response headers for an error, and the fields left for its body.

        Fields the error shape binds to headers (API Gateway's Retry-After) go there.
        """
        headers = self.request_id_headers(ctx)
        headers.extend(error.headers.items())
        fields = error.fields
        shape = self.error_shape(error) if fields else None
        if shape is None:
            return headers, fields
        body_fields: dict[str, Any] = {}
        for key, value in fields.items():
            member = shape.members.get(key)
            if value is not None and member is not None and member.location == "header":
                headers.append((member.location_name or key, header_encoder(member)(value)))
            else:
                body_fields[key] = value
        return headers, body_fields
