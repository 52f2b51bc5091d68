"""The awsJson 1.0/1.1 request parser (DynamoDB, Kinesis, Cognito, Logs, SQS, EventBridge, ...).

The operation comes from `X-Amz-Target: <targetPrefix>.<Operation>`; the body is one JSON object
keyed by the input shape's member names. Each input shape is compiled once into a reader that
type-checks the decoded JSON and converts blobs (base64) and timestamps (epoch seconds) in a
single pass; readers are cached per shape name, so recursive shapes (DynamoDB's AttributeValue)
compile to a loop of closures rather than a walk over the model.

The same reader compiler serves the CBOR protocol, with its own blob and timestamp readers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from overcast.protocol import jsoncodec
from overcast.protocol.base import RequestParser
from overcast.protocol.compiling import compile_once
from overcast.protocol.errors import SerializationError, ServiceError, UnknownOperation, ValidationError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.validation import (
    MissingRequiredMembers,
    WrongValueType,
    all_constraint_problems,
    check_required,
    constraint_message,
    constraint_problems,
    constraint_validation_enabled,
    missing_parameter_message,
    missing_required_handler,
    missing_required_message,
    modeled_error,
    query_member_path,
    validation_path,
)
from overcast.protocol.values import (
    ValueConversionError,
    b64decode,
    from_epoch,
    json_number_to_float,
    parse_timestamp,
)
from overcast.server.http import Request

Reader = Callable[[Any], Any]


def _read_string(value: Any) -> str:
    if type(value) is str:
        return value
    raise WrongValueType("string", value)


def _read_integer(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise WrongValueType("integer", value)


def _read_float(value: Any) -> float:
    if type(value) is float:
        return value
    try:
        return json_number_to_float(value)
    except ValueConversionError:
        raise WrongValueType("number", value) from None


def _read_boolean(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise WrongValueType("boolean", value)


def _read_document(value: Any) -> Any:
    return value


def read_base64_blob(value: Any) -> bytes:
    if type(value) is str:
        try:
            return b64decode(value)
        except ValueConversionError:
            raise WrongValueType("blob", value) from None
    raise WrongValueType("blob", value)


def read_epoch_timestamp(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is float:
        try:
            return from_epoch(value)
        except ValueConversionError:
            raise WrongValueType("timestamp", value) from None
    if kind is str:
        try:
            return parse_timestamp(value)
        except ValueConversionError:
            raise WrongValueType("timestamp", value) from None
    raise WrongValueType("timestamp", value)


def read_cbor_blob(value: Any) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise WrongValueType("blob", value)


def read_cbor_timestamp(value: Any) -> datetime:
    if type(value) is datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    # Untagged epoch seconds: accepted, some encoders drop the tag.
    if type(value) is int or type(value) is float:
        try:
            return from_epoch(value)
        except ValueConversionError:
            pass
    raise WrongValueType("timestamp", value)


class ReaderCompiler:
    """Compiles input shapes into readers of decoded JSON-like trees (dicts, lists, scalars).

    `blob` and `timestamp` read those scalar types as the wire format carries them.
    """

    def __init__(self, blob: Reader = read_base64_blob, timestamp: Reader = read_epoch_timestamp,
                 check_required: bool = True):
        # Without the required-member check: to read a request that lacks one all the same, so
        # that its other problems can be reported with it (see TreeParser.read_input).
        self._check_required = check_required
        self._scalars: dict[str, Reader] = {
            "string": _read_string,
            "integer": _read_integer,
            "long": _read_integer,
            "float": _read_float,
            "double": _read_float,
            "boolean": _read_boolean,
            "blob": blob,
            "timestamp": timestamp,
        }
        self._compiled: dict[str, Reader] = {}

    def without_required(self) -> ReaderCompiler:
        """The same readers, but for the required-member check."""
        return ReaderCompiler(self._scalars["blob"], self._scalars["timestamp"], check_required=False)

    def reader(self, shape: Shape) -> Reader:
        found = self._compiled.get(shape.name)
        if found is not None:
            return found
        kind = shape.type_name
        if kind in self._scalars:
            reader = self._scalars[kind]
            self._compiled[shape.name] = reader
            return reader
        if kind == "structure" and shape.raw.get("document"):
            self._compiled[shape.name] = _read_document
            return _read_document
        return compile_once(self._compiled, shape.name, lambda: self._aggregate(shape))

    def _aggregate(self, shape: Shape) -> Reader:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        return _read_document  # unknown types pass through untouched rather than failing the request

    def _structure(self, shape: Shape) -> Reader:
        members: dict[str, tuple[str, Reader]] = {}
        for name, member in shape.members.items():
            if member.type_name == "structure" and member.raw.get("eventstream"):
                continue
            wire_name = member.location_name or name
            members[wire_name] = (name, self.reader(member))
        required = tuple(shape.required_members) if self._check_required else ()
        # Members whose wire name is their own name and whose value is a plain string. A
        # one-member object of one of these (DynamoDB's {"S": ...} and {"N": ...}, by far the
        # most common values on the wire) is already what the reader would build: it is taken
        # as it is, without a copy.
        as_is = frozenset(wire for wire, (name, read) in members.items() if wire == name and read is _read_string)

        def read_structure(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise WrongValueType("structure", value)
            if len(value) == 1 and not required and as_is:
                for key, item in value.items():
                    if key in as_is and type(item) is str:
                        return value
            out: dict[str, Any] = {}
            for key, item in value.items():
                found = members.get(key)
                if found is None or item is None:
                    continue
                name, read = found
                if read is _read_string and type(item) is str:  # the commonest member, without a call
                    out[name] = item
                    continue
                try:
                    out[name] = read(item)
                except (WrongValueType, MissingRequiredMembers) as exc:
                    raise exc.prefixed(name) from None
            for name in required:
                if name not in out:
                    check_required(required, out)  # raises, naming every missing member
            return out

        if as_is and not required:
            read_structure.as_is = as_is  # type: ignore[attr-defined]  # what map readers may test inline
        return read_structure

    def _list(self, shape: Shape) -> Reader:
        read_member = self.reader(shape.member)

        if read_member is _read_string:

            def read_string_list(value: Any) -> list[Any]:
                if type(value) is not list:
                    raise WrongValueType("list", value)
                for index, item in enumerate(value):
                    if type(item) is not str and item is not None:
                        raise WrongValueType("string", item, (index,))
                return value

            return read_string_list

        def read_list(value: Any) -> list[Any]:
            if type(value) is not list:
                raise WrongValueType("list", value)
            out: list[Any] = []
            for index, item in enumerate(value):
                if item is None:
                    out.append(None)
                    continue
                try:
                    out.append(read_member(item))
                except (WrongValueType, MissingRequiredMembers) as exc:
                    raise exc.prefixed(index) from None
            return out

        return read_list

    def _map(self, shape: Shape) -> Reader:
        read_value = self.reader(shape.value)
        as_is = getattr(read_value, "as_is", None)

        if as_is:
            # Values that are structures taken as they are when they hold one plain string
            # member (DynamoDB's items: {"S": ...}): that test is made here, without a call.

            def read_map_of_values(value: Any) -> dict[str, Any]:
                if type(value) is not dict:
                    raise WrongValueType("map", value)
                # The usual map holds nothing else and is taken as it is; a copy begins at the
                # first value that has to be read (or, being null, left out).
                out: dict[str, Any] | None = None
                for key, item in value.items():
                    if type(item) is dict and len(item) == 1:
                        ((member, inner),) = item.items()
                        if type(inner) is str and member in as_is:
                            if out is not None:
                                out[key] = item
                            continue
                    if out is None:
                        out = _entries_before(value, key)
                    if item is None:
                        continue
                    try:
                        out[key] = read_value(item)
                    except (WrongValueType, MissingRequiredMembers) as exc:
                        raise exc.prefixed(key) from None
                return value if out is None else out

            return read_map_of_values

        def read_map(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise WrongValueType("map", value)
            out = {}
            for key, item in value.items():
                if item is None:
                    continue
                try:
                    out[key] = read_value(item)
                except (WrongValueType, MissingRequiredMembers) as exc:
                    raise exc.prefixed(key) from None
            return out

        return read_map


def _entries_before(mapping: dict[str, Any], stop: str) -> dict[str, Any]:
    """A copy of the entries of `mapping` that come before the key `stop`."""
    out = {}
    for key, item in mapping.items():
        if key == stop:
            break
        out[key] = item
    return out


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (bytes, bytearray)):
        return "byte string"
    return type(value).__name__


_CORAL_TOKENS = {"number": "NUMBER_VALUE", "string": "STRING_VALUE"}


def wrong_type_error(exc: WrongValueType) -> ServiceError:
    """A member of the wrong type: SerializationException, worded as AWS's JSON services
    (Coral) word the common cases, and naming the member otherwise."""
    got = exc.got
    containers = ("structure", "map", "list")
    if isinstance(got, dict) and exc.expected not in containers:
        return SerializationError("Start of structure or map found where not expected.")
    if isinstance(got, list) and exc.expected not in containers:
        return SerializationError("Start of list found where not expected.")
    if exc.expected == "string" and not isinstance(got, (dict, list)) and got is not None:
        token = (
            "TRUE_VALUE"
            if got is True
            else "FALSE_VALUE"
            if got is False
            else _CORAL_TOKENS.get(_json_kind(got), "VALUE")
        )
        return SerializationError(f"{token} cannot be converted to String")
    where = f" at '{validation_path(exc.path)}'" if exc.path else ""
    return SerializationError(f"Unexpected {_json_kind(got)} value{where}: expected {exc.expected}.")


def missing_required_error(
    service: str, operation: OperationModel, paths: list[tuple[Any, ...]]
) -> ServiceError:
    handler = missing_required_handler(service)
    if handler is not None:
        return handler(operation, paths)
    return ValidationError(missing_required_message(paths))


class TreeParser(RequestParser):
    """What the JSON and CBOR parsers share: compiled readers cached per operation."""

    cache_key = "tree.reader"

    def __init__(self, model: ServiceModel, compiler: ReaderCompiler | None = None):
        super().__init__(model)
        self.compiler = compiler or ReaderCompiler()
        self._lenient: ReaderCompiler | None = None  # made on the first request lacking a required member

    def operation_reader(self, operation: OperationModel) -> Reader | None:
        cache = operation.cache
        try:
            return cache[self.cache_key]
        except KeyError:
            pass
        shape = operation.input_shape
        reader = self.compiler.reader(shape) if shape is not None else None
        cache[self.cache_key] = reader
        return reader

    def read_input(self, operation: OperationModel, data: Any) -> dict[str, Any]:
        reader = self.operation_reader(operation)
        if reader is None:
            return {}
        try:
            params = reader(data)
        except WrongValueType as exc:
            raise self.wrong_type_error(exc) from None
        except MissingRequiredMembers as exc:
            raise self._missing_with_the_rest(operation, data, exc) from None
        except RecursionError:
            raise SerializationError("The request nests values too deeply.") from None
        if constraint_validation_enabled(self.model.service):
            problems = constraint_problems(operation, params)
            if problems:
                raise ValidationError(constraint_message(problems))
        return params

    def _missing_with_the_rest(self, operation: OperationModel, data: Any, exc: MissingRequiredMembers) -> ServiceError:
        """A missing required member. Where the service checks the model's constraints (Coral
        services), every other problem of the request is listed with it, in member order, as one
        message ("2 validation errors detected: Value '' at 'tableName' ...; Value null at 'key'
        ..."); the request is read again without the required check to find them."""
        if not constraint_validation_enabled(self.model.service) or operation.input_shape is None:
            return self.missing_required_error(operation, exc.paths)
        if self._lenient is None:
            self._lenient = self.compiler.without_required()
        try:
            params = self._lenient.reader(operation.input_shape)(data)
        except (WrongValueType, MissingRequiredMembers, RecursionError):
            return self.missing_required_error(operation, exc.paths)
        problems = all_constraint_problems(operation, params)
        return ValidationError(constraint_message(problems)) if problems else self.missing_required_error(operation, exc.paths)

    # CloudWatch kept its query-protocol errors for bad parameters (InvalidParameterValue,
    # MissingParameter) in every protocol; a model that defines them gets them.

    def wrong_type_error(self, exc: WrongValueType) -> ServiceError:
        where = query_member_path(exc.path) if exc.path else "request"
        message = f"Invalid value for parameter {where}: expected {exc.expected}."
        return modeled_error(self.model, "InvalidParameterValueException", message) or wrong_type_error(exc)

    def missing_required_error(self, operation: OperationModel, paths: list[tuple[Any, ...]]) -> ServiceError:
        if missing_required_handler(self.model.service) is None:
            message = missing_parameter_message(paths)
            modeled = modeled_error(self.model, "MissingRequiredParameterException", message)
            if modeled is not None:
                return modeled
        return missing_required_error(self.model.service, operation, paths)


_INEXACT_TYPES = frozenset({"string", "boolean", "blob", "structure", "list", "map"})


def _numbers_matter(operation: OperationModel) -> bool:
    """Whether the operation's input holds a member that reads a JSON number (or a document,
    which keeps it as is): only then must integers beyond 64 bits be read exactly. Elsewhere a
    number is only ever "a number where something else belongs", whatever its value."""
    cache = operation.cache
    try:
        return cache["awsjson.numbers_matter"]
    except KeyError:
        pass
    seen: set[str] = set()

    def walk(shape: Shape) -> bool:
        if shape.name in seen:
            return False
        seen.add(shape.name)
        kind = shape.type_name
        if kind not in _INEXACT_TYPES or shape.raw.get("document"):
            return True
        if kind == "structure":
            return any(walk(member) for member in shape.members.values())
        if kind == "list":
            return walk(shape.member)
        if kind == "map":
            return walk(shape.key) or walk(shape.value)
        return False

    shape = operation.input_shape
    matter = walk(shape) if shape is not None else False
    cache["awsjson.numbers_matter"] = matter
    return matter


class JsonParser(TreeParser):
    cache_key = "awsjson.reader"

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.target_prefix: str = model.metadata.get("targetPrefix", "")
        self._cbor: TreeParser | None = None

    def find_operation(self, request: Request) -> OperationModel:
        target = request.headers.get("x-amz-target", "")
        prefix, _, name = target.rpartition(".")
        if prefix != self.target_prefix or not self.model.has_operation(name):
            raise UnknownOperation()
        return self.model.operation(name)

    async def parse(self, request: Request) -> tuple[OperationModel, dict[str, Any]]:
        operation = self.find_operation(request)
        body = await request.body.read()
        if request.headers.get("content-type", "").startswith("application/x-amz-cbor"):
            return operation, self._read_cbor(operation, body)
        if not body or body.isspace():
            data: Any = {}
        else:
            try:
                data = jsoncodec.loads(body, _numbers_matter(operation))
            except (ValueError, UnicodeDecodeError) as exc:
                raise SerializationError(f"Unable to parse the request body as JSON: {exc}") from None
            except RecursionError:
                raise SerializationError("The request nests values too deeply.") from None
        if data is None:
            data = {}
        if type(data) is not dict:
            raise SerializationError(f"Unexpected {_json_kind(data)} value: expected the request object.")
        return operation, self.read_input(operation, data)

    def _read_cbor(self, operation: OperationModel, body: bytes) -> dict[str, Any]:
        # Imported here: the CBOR variant is rare, and its module builds on this one.
        from overcast.protocol.parsers.rpcv2cbor import AwsCborReader, decode_aws_cbor

        if self._cbor is None:
            self._cbor = AwsCborReader(self.model)
        if not body:
            return self._cbor.read_input(operation, {})
        try:
            data = decode_aws_cbor(body)
        except ValueConversionError as exc:
            raise SerializationError(f"Unable to parse the request body as CBOR: {exc}") from None
        except RecursionError:
            raise SerializationError("The request nests values too deeply.") from None
        if data is None:
            data = {}
        if type(data) is not dict:
            raise SerializationError("Unexpected CBOR value: expected the request map.")
        return self._cbor.read_input(operation, data)
