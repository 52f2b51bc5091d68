"""The rest-json request parser (Lambda, API Gateway, EventBridge Scheduler).

The JSON body is checked against the shape as it is converted: a string where a number belongs
is the client's error (400), never a provider's surprise.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from typing import Any

from overcast.protocol.compiling import compile_once
from overcast.protocol.errors import ServiceError, ValidationError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.parsers.rest_common import InputPlan, RestParser
from overcast.protocol.parsers.rest_scalars import timestamp_from_number
from overcast.protocol.values import parse_timestamp

Converter = Callable[[Any, str], Any]


class JsonTypeError(Exception):
    def __init__(self, path: str, expected: str):
        super().__init__(f"{path}: expected {expected}")
        self.path = path
        self.expected = expected


class JsonMissing(Exception):
    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def _string(value: Any, path: str) -> str:
    if isinstance(value, str):
        return value
    raise JsonTypeError(path, "a string")


def _integer(value: Any, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise JsonTypeError(path, "an integer")


def _float(value: Any, path: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    raise JsonTypeError(path, "a number")


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise JsonTypeError(path, "a boolean")


def _timestamp(value: Any, path: str) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value):
            return timestamp_from_number(value)
    elif isinstance(value, str):
        try:
            return parse_timestamp(value)
        except (ValueError, TypeError, OverflowError, IndexError):
            pass
    raise JsonTypeError(path, "a timestamp")


def _blob(value: Any, path: str) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise JsonTypeError(path, "base64-encoded bytes")


def _document(value: Any, path: str) -> Any:
    return value


class JsonReaders:
    """Compiled converters from decoded JSON to member-keyed Python values, per shape."""

    def __init__(self) -> None:
        self._cache: dict[str, Converter] = {}

    def reader(self, shape: Shape) -> Converter:
        found = self._cache.get(shape.name)
        if found is not None:
            return found
        return compile_once(self._cache, shape.name, lambda: self._compile(shape))

    def _compile(self, shape: Shape) -> Converter:
        kind = shape.type_name
        if kind == "structure":
            if shape.raw.get("document"):
                return _document
            return self._structure(shape)
        if kind == "list":
            item = self.reader(shape.member)

            def read_list(value: Any, path: str) -> list[Any]:
                if not isinstance(value, list):
                    raise JsonTypeError(path, "a list")
                return [item(v, path) for v in value if v is not None]

            return read_list
        if kind == "map":
            key_reader = self.reader(shape.key)
            value_reader = self.reader(shape.value)

            def read_map(value: Any, path: str) -> dict[str, Any]:
                if not isinstance(value, dict):
                    raise JsonTypeError(path, "an object")
                return {key_reader(k, path): value_reader(v, path) for k, v in value.items() if v is not None}

            return read_map
        return {
            "string": _string,
            "integer": _integer,
            "long": _integer,
            "short": _integer,
            "byte": _integer,
            "float": _float,
            "double": _float,
            "boolean": _boolean,
            "timestamp": _timestamp,
            "blob": _blob,
        }.get(kind, _document)

    def _structure(self, shape: Shape) -> Converter:
        fields: list[tuple[str, str, Converter]] = []
        for name, member in shape.members.items():
            if member.location:
                continue
            fields.append((member.location_name or name, name, self.reader(member)))
        required = tuple(
            (shape.members[n].location_name or n)
            for n in shape.required_members
            if not shape.members[n].location
        )

        def read(value: Any, path: str) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise JsonTypeError(path, "an object")
            out: dict[str, Any] = {}
            for key, name, convert in fields:
                raw = value.get(key)
                if raw is not None:
                    out[name] = convert(raw, key)
            for key in required:
                if value.get(key) is None:
                    raise JsonMissing(key)
            return out

        return read


class RestJsonParser(RestParser):
    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.readers = JsonReaders()
        codes = model.error_shapes_by_code
        # The code each service answers for input it cannot read (Lambda, API Gateway, ...).
        self.bad_body_code = next(
            (
                c
                for c in ("InvalidRequestContentException", "BadRequestException", "ValidationException")
                if c in codes
            ),
            "SerializationException",
        )
        self.validation_code = (
            "BadRequestException" if "BadRequestException" in codes else "ValidationException"
        )

    def bad_body(self, detail: str) -> ServiceError:
        return ServiceError(
            f"Could not parse request body into json: {detail}", code=self.bad_body_code, status=400
        )

    def bad_value(self, op: OperationModel, wire_name: str, text: str, shape_type: str) -> ServiceError:
        return ServiceError(
            f"1 validation error detected: Value '{text}' at '{wire_name}' failed to satisfy constraint: "
            f"Member must be a valid {shape_type}",
            code=self.validation_code,
            status=400,
        )

    def missing_member(self, op: OperationModel, member: str, plan: InputPlan) -> ServiceError:
        error = super().missing_member(op, member, plan)
        error.code = self.validation_code
        return error

    def _load(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise self.bad_body(str(exc)) from None

    def _convert(self, shape: Shape, value: Any) -> Any:
        try:
            return self.readers.reader(shape)(value, shape.name)
        except JsonTypeError as exc:
            raise self.bad_body(f"{exc.path} must be {exc.expected}") from None
        except RecursionError:
            raise self.bad_body("the document is nested too deeply") from None
        except JsonMissing as exc:
            raise ValidationError(
                f"1 validation error detected: Value null at '{exc.path}' failed to satisfy constraint: "
                "Member must not be null",
                code=self.validation_code,
            ) from None

    async def decode_payload(self, op: OperationModel, plan: InputPlan, body: bytes) -> Any:
        value = self._load(body)
        if value == {}:
            # Clients send `{}` for an absent payload structure; the provider sees it absent.
            return None
        return self._convert(plan.payload()[1], value)

    async def decode_body(
        self, op: OperationModel, plan: InputPlan, body: bytes, params: dict[str, Any]
    ) -> None:
        if not body.strip():
            return
        params.update(self._convert(plan.bound_shape(), self._load(body)))
