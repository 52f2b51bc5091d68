"""The AWS query protocol request parser (SNS, SES, IAM, STS).

A request is `Action=<Op>&Version=<date>&...` in a form body (POST) or the query string (GET),
with the input flattened into dotted keys:

    Tags.member.1.Key=k        list (`member` or the list member's locationName), 1-based
    Attributes.entry.1.key=k   map (`entry`, `key`/`value` or their locationNames)
    Attributes.1.key=k         flattened map; flattened lists are `Name.1`
    Policy.Statement=...       nested structure

The flat keys are first folded into a tree (one split per key), then each input shape's compiled
reader walks that tree; readers are compiled once per shape and cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from overcast.protocol.base import RequestParser
from overcast.protocol.compiling import compile_once
from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.validation import (
    MissingRequiredMembers,
    WrongValueType,
    check_required,
    constraint_message,
    constraint_problems,
    constraint_validation_enabled,
    missing_parameter_message,
    missing_required_handler,
    missing_required_message,
    modeled_error,
    query_member_path,
)
from overcast.protocol.values import (
    ValueConversionError,
    b64decode,
    parse_bool_text,
    parse_float_text,
    parse_int_text,
    parse_timestamp,
)
from overcast.server.http import Request

Reader = Callable[[Any], Any]
_FORM_TYPES = ("application/x-www-form-urlencoded", "")


class QueryError(ServiceError):
    status = 400


class InvalidAction(QueryError):
    code = "InvalidAction"


class MissingAction(QueryError):
    code = "MissingAction"


class InvalidParameterValue(QueryError):
    code = "InvalidParameterValue"


class QueryValidationError(QueryError):
    code = "ValidationError"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    # A structure-shaped subtree where a scalar was expected: `Foo.Bar=1` for a string Foo.
    raise WrongValueType("string", value)


def _scalar(convert: Callable[[str], Any], expected: str) -> Reader:
    def read(value: Any) -> Any:
        try:
            return convert(_text(value))
        except ValueConversionError:
            raise WrongValueType(expected, value) from None

    return read


def fold_keys(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`[("A.member.1.B", "x")]` -> `{"A": {"member": {"1": {"B": "x"}}}}`.

    A key that is both a value and a prefix of others (`A=` and `A.member.1=x`) keeps the
    subtree: the empty value is how clients send an empty list.
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        if "." not in key:
            if not isinstance(root.get(key), dict):
                root[key] = value
            continue
        parts = key.split(".")
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        last = parts[-1]
        if not isinstance(node.get(last), dict):
            node[last] = value
    return root


def _indexed(node: dict[str, Any]) -> list[tuple[int, Any]]:
    items = []
    for index, value in node.items():
        try:
            items.append((int(index), value))
        except ValueError:
            continue
    items.sort(key=lambda pair: pair[0])
    return items


def member_wire_name(name: str, member: Shape) -> str:
    """The name that carries a structure member in query requests (the dotted-key segment) and
    responses (the element): a flattened list goes by its elements' name."""
    if member.type_name == "list" and member.trait("flattened"):
        element_name = member.member.location_name
        if element_name:
            return element_name
    return member.location_name or name


class QueryReaderCompiler:
    def __init__(self) -> None:
        self._scalars: dict[str, Reader] = {
            "string": _text,
            "integer": _scalar(parse_int_text, "integer"),
            "long": _scalar(parse_int_text, "long"),
            "float": _scalar(parse_float_text, "float"),
            "double": _scalar(parse_float_text, "double"),
            "boolean": _scalar(parse_bool_text, "boolean"),
            "blob": _scalar(b64decode, "blob"),
            "timestamp": _scalar(parse_timestamp, "timestamp"),
        }
        self._compiled: dict[tuple[str, bool], Reader] = {}

    def reader(self, shape: Shape) -> Reader:
        # Flattening may be set on the member reference, so it is part of the cache key.
        flattened = bool(shape.trait("flattened"))
        key = (shape.name, flattened)
        found = self._compiled.get(key)
        if found is not None:
            return found
        kind = shape.type_name
        if kind in self._scalars:
            reader = self._scalars[kind]
            self._compiled[key] = reader
            return reader
        return compile_once(self._compiled, key, lambda: self._aggregate(shape, flattened))

    def _aggregate(self, shape: Shape, flattened: bool) -> Reader:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape, flattened)
        if kind == "map":
            return self._map(shape, flattened)
        return _text

    def _structure(self, shape: Shape) -> Reader:
        members = [
            (member_wire_name(name, member), name, self.reader(member))
            for name, member in shape.members.items()
        ]
        required = tuple(shape.required_members)

        def read_structure(node: Any) -> dict[str, Any]:
            if not isinstance(node, dict):
                if node == "":
                    node = {}
                else:
                    raise WrongValueType("structure", node)
            out: dict[str, Any] = {}
            for key, name, read in members:
                value = node.get(key)
                if value is None:
                    continue
                try:
                    out[name] = read(value)
                except (WrongValueType, MissingRequiredMembers) as exc:
                    raise exc.prefixed(name) from None
            if required:
                check_required(required, out)
            return out

        return read_structure

    def _list(self, shape: Shape, flattened: bool) -> Reader:
        read_member = self.reader(shape.member)
        element = None if flattened else (shape.member.location_name or "member")

        def read_list(node: Any) -> list[Any]:
            if node == "":
                return []
            if not isinstance(node, dict):
                raise WrongValueType("list", node)
            if element is not None:
                node = node.get(element)
                if node is None:
                    return []
                if not isinstance(node, dict):
                    raise WrongValueType("list", node)
            out = []
            for position, (_, value) in enumerate(_indexed(node)):
                try:
                    out.append(read_member(value))
                except (WrongValueType, MissingRequiredMembers) as exc:
                    raise exc.prefixed(position) from None
            return out

        return read_list

    def _map(self, shape: Shape, flattened: bool) -> Reader:
        read_key = self.reader(shape.key)
        read_value = self.reader(shape.value)
        key_name = shape.key.location_name or "key"
        value_name = shape.value.location_name or "value"

        def read_map(node: Any) -> dict[str, Any]:
            if node == "":
                return {}
            if not isinstance(node, dict):
                raise WrongValueType("map", node)
            if not flattened:
                node = node.get("entry")
                if node is None:
                    return {}
                if not isinstance(node, dict):
                    raise WrongValueType("map", node)
            out = {}
            for _, entry in _indexed(node):
                if not isinstance(entry, dict) or key_name not in entry:
                    continue
                key = read_key(entry[key_name])
                try:
                    out[key] = read_value(entry[value_name]) if value_name in entry else None
                except (WrongValueType, MissingRequiredMembers) as exc:
                    raise exc.prefixed(key) from None
            return out

        return read_map


class QueryParser(RequestParser):
    cache_key = "query.reader"

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.compiler = QueryReaderCompiler()
        self.api_version: str = model.metadata.get("apiVersion", "")

    async def form_pairs(self, request: Request) -> list[tuple[str, str]]:
        pairs = list(request.query_list)
        if request.method != "GET":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await request.body.read()
            if body and content_type in _FORM_TYPES:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidParameterValue("The request body is not valid UTF-8.") from None
                pairs.extend(parse_qsl(text, keep_blank_values=True))
        return pairs

    def operation_reader(self, operation: OperationModel) -> Reader | None:
        try:
            return operation.cache[self.cache_key]
        except KeyError:
            pass
        shape = operation.input_shape
        reader = self.compiler.reader(shape) if shape is not None else None
        operation.cache[self.cache_key] = reader
        return reader

    async def parse(self, request: Request) -> tuple[OperationModel, dict[str, Any]]:
        pairs = await self.form_pairs(request)
        action = next((value for key, value in pairs if key == "Action"), None)
        if not action:
            raise MissingAction("Missing Action")
        if not self.model.has_operation(action):
            version = next((value for key, value in pairs if key == "Version"), self.api_version)
            raise InvalidAction(f"Could not find operation {action} for version {version}")
        operation = self.model.operation(action)
        reader = self.operation_reader(operation)
        if reader is None:
            return operation, {}
        tree = fold_keys([(k, v) for k, v in pairs if k != "Action" and k != "Version"])
        try:
            params = reader(tree)
        except WrongValueType as exc:
            raise InvalidParameterValue(
                f"Value ({exc.got if isinstance(exc.got, str) else '...'}) for parameter "
                f"{query_member_path(exc.path)} is invalid. Expected: {exc.expected}."
            ) from None
        except RecursionError:
            raise InvalidParameterValue("The request nests parameters too deeply.") from None
        except MissingRequiredMembers as exc:
            handler = missing_required_handler(self.model.service)
            if handler is not None:
                raise handler(operation, exc.paths) from None
            # CloudWatch models its own error for this (MissingParameter); others get Coral's.
            modeled = modeled_error(
                self.model, "MissingRequiredParameterException", missing_parameter_message(exc.paths)
            )
            raise modeled or QueryValidationError(missing_required_message(exc.paths)) from None
        if constraint_validation_enabled(self.model.service):
            problems = constraint_problems(operation, params)
            if problems:
                raise QueryValidationError(constraint_message(problems))
        return operation, params
