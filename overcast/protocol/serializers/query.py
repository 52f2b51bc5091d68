"""The AWS query protocol response serializer: XML in the service's namespace.

    <OpResponse xmlns="..."><OpResult>...</OpResult>
      <ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></OpResponse>

`OpResult` is the output reference's resultWrapper. Each output shape compiles once into an
emitter that appends text fragments to a list, joined once at the end.

Errors: <ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
<RequestId/></ErrorResponse>, the code being the model's wire code for the error
(SNS's NotFoundException is sent as NotFound).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from overcast.protocol.base import ResponseSerializer
from overcast.protocol.compiling import compile_once
from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.parsers.query import member_wire_name
from overcast.protocol.serializers.awsjson import error_shape
from overcast.protocol.serializers.rest_xml_body import escape_text
from overcast.protocol.values import b64encode, format_float, format_timestamp, to_iso8601
from overcast.server.context import RequestContext
from overcast.server.http import Response

Emitter = Callable[[list[str], str, Any], None]  # (parts, element name, value)


def _text_emitter(to_text: Callable[[Any], str]) -> Emitter:
    def emit(parts: list[str], tag: str, value: Any) -> None:
        parts.append(f"<{tag}>{to_text(value)}</{tag}>")

    return emit


def _string_text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return escape_text(str(value))


def _bool_text(value: Any) -> str:
    if isinstance(value, str):  # "false" is truthy: read what a provider meant
        return "true" if value.lower() == "true" else "false"
    return "true" if value else "false"


def _int_text(value: Any) -> str:
    return str(int(value))


class EmitterCompiler:
    def __init__(self) -> None:
        self._scalars: dict[str, Emitter] = {
            "string": _text_emitter(_string_text),
            "integer": _text_emitter(_int_text),
            "long": _text_emitter(_int_text),
            "float": _text_emitter(format_float),
            "double": _text_emitter(format_float),
            "boolean": _text_emitter(_bool_text),
            "blob": _text_emitter(b64encode),
            "timestamp": _text_emitter(to_iso8601),
        }
        self._compiled: dict[tuple[str, bool, str | None], Emitter] = {}

    def emitter(self, shape: Shape) -> Emitter:
        flattened = bool(shape.trait("flattened"))
        fmt = shape.trait("timestampFormat")
        key = (shape.name, flattened, fmt)
        found = self._compiled.get(key)
        if found is not None:
            return found
        kind = shape.type_name
        if kind == "timestamp" and fmt:
            emitter = _text_emitter(lambda value: str(format_timestamp(value, fmt)))
            self._compiled[key] = emitter
            return emitter
        if kind in self._scalars:
            emitter = self._scalars[kind]
            self._compiled[key] = emitter
            return emitter
        return compile_once(self._compiled, key, lambda: self._aggregate(shape, flattened))

    def _aggregate(self, shape: Shape, flattened: bool) -> Emitter:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape, flattened)
        if kind == "map":
            return self._map(shape, flattened)
        return self._scalars["string"]

    def _structure(self, shape: Shape) -> Emitter:
        members = {
            name: (member_wire_name(name, member), self.emitter(member))
            for name, member in shape.members.items()
        }
        fill = self.structure_body(shape, members)

        def emit(parts: list[str], tag: str, value: Any) -> None:
            parts.append(f"<{tag}>")
            fill(parts, value)
            parts.append(f"</{tag}>")

        return emit

    @staticmethod
    def structure_body(
        shape: Shape, members: dict[str, tuple[str, Emitter]]
    ) -> Callable[[list[str], Any], None]:
        def fill(parts: list[str], value: Any) -> None:
            for key, item in value.items():
                if item is None:
                    continue
                found = members.get(key)
                if found is not None:
                    found[1](parts, found[0], item)

        return fill

    def body_filler(self, shape: Shape) -> Callable[[list[str], Any], None]:
        """Members of a structure without its own element (the result wrapper holds them)."""
        members = {
            name: (member_wire_name(name, member), self.emitter(member))
            for name, member in shape.members.items()
        }
        return self.structure_body(shape, members)

    def _list(self, shape: Shape, flattened: bool) -> Emitter:
        emit_member = self.emitter(shape.member)
        if flattened:

            def emit_flat(parts: list[str], tag: str, value: Any) -> None:
                for item in value:
                    if item is not None:
                        emit_member(parts, tag, item)

            return emit_flat
        element = shape.member.location_name or "member"

        def emit(parts: list[str], tag: str, value: Any) -> None:
            parts.append(f"<{tag}>")
            for item in value:
                if item is not None:
                    emit_member(parts, element, item)
            parts.append(f"</{tag}>")

        return emit

    def _map(self, shape: Shape, flattened: bool) -> Emitter:
        emit_key = self.emitter(shape.key)
        emit_value = self.emitter(shape.value)
        key_name = shape.key.location_name or "key"
        value_name = shape.value.location_name or "value"

        def emit_entry(parts: list[str], key: Any, item: Any) -> None:
            emit_key(parts, key_name, key)
            if item is not None:
                emit_value(parts, value_name, item)

        if flattened:

            def emit_flat(parts: list[str], tag: str, value: Any) -> None:
                for key, item in value.items():
                    parts.append(f"<{tag}>")
                    emit_entry(parts, key, item)
                    parts.append(f"</{tag}>")

            return emit_flat

        def emit(parts: list[str], tag: str, value: Any) -> None:
            parts.append(f"<{tag}>")
            for key, item in value.items():
                parts.append("<entry>")
                emit_entry(parts, key, item)
                parts.append("</entry>")
            parts.append(f"</{tag}>")

        return emit


def error_wire_code(error: ServiceError, shape: Shape | None) -> str:
    if shape is not None:
        return shape.error_info.get("code", shape.name)
    return error.code


class QuerySerializer(ResponseSerializer):
    content_type = "text/xml"
    cache_key = "query.emitter"

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.namespace: str = model.metadata.get("xmlNamespace", "")
        self.compiler = EmitterCompiler()

    def _plan(self, operation: OperationModel) -> tuple[str | None, Callable[[list[str], Any], None] | None]:
        try:
            return operation.cache[self.cache_key]
        except KeyError:
            pass
        shape = operation.output_shape
        if shape is None:
            plan: tuple[str | None, Any] = (None, None)
        else:
            plan = (shape.member_traits.get("resultWrapper"), self.compiler.body_filler(shape))
        operation.cache[self.cache_key] = plan
        return plan

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict[str, Any]) -> Response:
        wrapper, fill = self._plan(operation)
        name = operation.name
        parts = [f'<{name}Response xmlns="{self.namespace}">']
        if fill is not None:
            tag = wrapper or f"{name}Result"
            parts.append(f"<{tag}>")
            if output:
                fill(parts, output)
            parts.append(f"</{tag}>")
        parts.append(
            f"<ResponseMetadata><RequestId>{escape_text(ctx.request_id)}</RequestId></ResponseMetadata>"
            f"</{name}Response>"
        )
        return Response(
            status=200,
            headers=[("Content-Type", self.content_type), ("x-amzn-RequestId", ctx.request_id)],
            body="".join(parts).encode("utf-8"),
        )

    def serialize_error(
        self, ctx: RequestContext, operation: OperationModel | None, error: ServiceError
    ) -> Response:
        shape = error_shape(self.model, error.code)
        parts = [
            f'<ErrorResponse xmlns="{self.namespace}"><Error>',
            f"<Type>{'Sender' if error.sender_fault else 'Receiver'}</Type>",
            f"<Code>{escape_text(error_wire_code(error, shape))}</Code>",
            f"<Message>{escape_text(error.message or '')}</Message>",
        ]
        if error.fields:
            self._error_fields(parts, shape, error.fields)
        parts.append(f"</Error><RequestId>{escape_text(ctx.request_id)}</RequestId></ErrorResponse>")
        headers = [("Content-Type", self.content_type), ("x-amzn-RequestId", ctx.request_id)]
        headers.extend(error.headers.items())
        return Response(status=error.status, headers=headers, body="".join(parts).encode("utf-8"))

    def _error_fields(self, parts: list[str], shape: Shape | None, fields: dict[str, Any]) -> None:
        members = shape.members if shape is not None else {}
        for name, value in fields.items():
            if value is None:
                continue
            member = members.get(name)
            if member is not None:
                self.compiler.emitter(member)(parts, member_wire_name(name, member), value)
            else:
                parts.append(f"<{name}>{_string_text(value)}</{name}>")
