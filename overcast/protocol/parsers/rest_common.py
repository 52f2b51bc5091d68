"""What the REST protocols (rest-xml, rest-json) share on the request side.

An operation is found by method and URI template (plus the literal query of its requestUri,
such as `?uploads` or `?list-type=2`), then its input members are read from where the model
binds them: URI labels, query string, headers, header maps (x-amz-meta-*), and the body, which
each protocol decodes its own way.

Everything here is compiled once per service or operation and kept on the parser, so that a
request only matches a few precompiled regexes and runs a flat list of binding steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from overcast.protocol.base import RequestParser
from overcast.protocol.errors import ServiceError, UnknownOperation, ValidationError
from overcast.protocol.model import OperationModel, ServiceModel, Shape
from overcast.protocol.parsers.rest_routes import RouteTable, compile_template
from overcast.protocol.parsers.rest_scalars import BadValue, keep_text, text_decoder
from overcast.protocol.validation import (
    constraint_message,
    constraint_problems,
    constraint_validation_enabled,
)
from overcast.server.http import Request

# -- per-operation binding plans -------------------------------------------------------------

PAYLOAD_NONE = 0
PAYLOAD_STREAM = 1  # streaming blob: the RequestBody itself
PAYLOAD_RAW = 2  # non-streaming blob or string payload: the whole body
PAYLOAD_STRUCT = 3  # a structure (or other) payload decoded by the protocol


class PlanShapes:
    """What input and output plans share: an operation without a shape binds no members, and a
    plan has a payload member exactly when its payload_kind says so. These accessors state that
    where the code relies on it."""

    __slots__ = ()
    shape: Shape | None
    payload_member: str | None
    payload_shape: Shape | None

    def bound_shape(self) -> Shape:
        if self.shape is None:
            raise ValueError("the operation has no shape, so nothing is bound")
        return self.shape

    def payload(self) -> tuple[str, Shape]:
        if self.payload_member is None or self.payload_shape is None:
            raise ValueError("the operation has no payload member")
        return self.payload_member, self.payload_shape


# (header name, member, decoder) of each bound header in request order; (member, prefix, header
# names) of each header map the request fills.
HeaderBinding = tuple[tuple[tuple[str, str, Callable[[str], Any]], ...], tuple[tuple[str, str, tuple[str, ...]], ...]]
_MAX_HEADER_BINDINGS = 64


@dataclass(slots=True)
class InputPlan(PlanShapes):
    shape: Shape | None
    uri: list[tuple[str, str, Callable[[str], Any]]] = field(default_factory=list)  # label, member
    query: list[tuple[str, str, Callable[[str], Any]]] = field(default_factory=list)
    query_lists: list[tuple[str, str, Callable[[str], Any]]] = field(default_factory=list)
    query_map: tuple[str, bool] | None = None  # member, values are lists
    bound_query_keys: frozenset[str] = frozenset()
    headers: list[tuple[str, str, Callable[[str], Any]]] = field(default_factory=list)
    # wire name -> (member, decoder): requests carry fewer headers and query keys than
    # operations like PutObject bind, so binding walks the request's side.
    header_index: dict[str, tuple[str, Callable[[str], Any]]] = field(default_factory=dict)
    query_index: dict[str, tuple[str, Callable[[str], Any]]] = field(default_factory=dict)
    header_maps: list[tuple[str, str]] = field(default_factory=list)  # member, lower-case prefix
    # header names of a request, in order -> what they bind (see RestParser._bind_headers)
    header_bindings: dict[tuple[str, ...], HeaderBinding] = field(default_factory=dict)
    payload_member: str | None = None
    payload_kind: int = PAYLOAD_NONE
    payload_shape: Shape | None = None
    has_body_members: bool = False
    required: tuple[str, ...] = ()


def build_input_plan(op: OperationModel) -> InputPlan:
    shape = op.input_shape
    plan = InputPlan(shape=shape)
    if shape is None:
        return plan
    bound: set[str] = set()
    for literal_key, _ in compile_template(op.http.request_uri)[5]:
        bound.add(literal_key)
    for name, member in shape.members.items():
        location = member.location
        wire_name = member.location_name or name
        if location == "uri":
            plan.uri.append((wire_name, name, text_decoder(member, "uri")))
        elif location == "querystring":
            if member.type_name == "map":
                plan.query_map = (name, member.value.type_name == "list")
            elif member.type_name == "list":
                plan.query_lists.append((wire_name, name, text_decoder(member.member, "querystring")))
                bound.add(wire_name)
            else:
                plan.query.append((wire_name, name, text_decoder(member, "querystring")))
                bound.add(wire_name)
        elif location == "header":
            plan.headers.append((wire_name.lower(), name, text_decoder(member, "header")))
        elif location == "headers":
            plan.header_maps.append((name, wire_name.lower()))
        elif location in (None, ""):
            if name != shape.payload_member:
                plan.has_body_members = True
    plan.bound_query_keys = frozenset(bound)
    plan.header_index = {wire: (member, decode) for wire, member, decode in plan.headers}
    plan.query_index = {wire: (member, decode) for wire, member, decode in plan.query}
    payload = shape.payload_member
    if payload is not None:
        member = shape.members[payload]
        plan.payload_member = payload
        plan.payload_shape = member
        plan.has_body_members = False
        if member.type_name in ("blob", "string"):
            plan.payload_kind = PAYLOAD_STREAM if member.trait("streaming") else PAYLOAD_RAW
        else:
            plan.payload_kind = PAYLOAD_STRUCT
    plan.required = tuple(
        name for name in shape.required_members if not shape.members[name].trait("hostLabel")
    )
    return plan


# -- the parser -------------------------------------------------------------------------------


class RestParser(RequestParser):
    """Routing and non-body binding for REST protocols; subclasses decode bodies."""

    # Operations to prefer when two share a template and nothing else tells them apart.
    preferred_operations: tuple[str, ...] = ()
    # Headers whose unreadable values are dropped rather than refused: HTTP says a recipient
    # ignores an If-Modified-Since that is not a valid date, and S3 does.
    ignored_bad_headers: frozenset[str] = frozenset()

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self._routes: RouteTable | None = None
        self._plans: dict[str, InputPlan] = {}
        # Per operation: (group index, label, member, decoder) of each URI binding.
        self._uri_bindings: dict[str, tuple[tuple[int, str, str, Callable[[str], Any]], ...]] = {}

    @property
    def routes(self) -> RouteTable:
        if self._routes is None:
            self._routes = RouteTable(self.model, self.preferred_operations)
        return self._routes

    def plan(self, op: OperationModel) -> InputPlan:
        plan = self._plans.get(op.name)
        if plan is None:
            plan = build_input_plan(op)
            self._plans[op.name] = plan
        return plan

    # Hooks for the protocol's own errors ------------------------------------------------------

    def routing_path(self, request: Request) -> str:
        return request.path

    def no_operation(self, request: Request) -> ServiceError:
        error = UnknownOperation()
        error.status = 404
        return error

    def bad_value(self, op: OperationModel, wire_name: str, text: str, shape_type: str) -> ServiceError:
        return ValidationError(
            f"Invalid value for parameter {wire_name}: {text!r} is not a valid {shape_type}."
        )

    def missing_member(self, op: OperationModel, member: str, plan: InputPlan) -> ServiceError:
        shape = plan.shape
        wire = member
        if shape is not None:
            wire = shape.members[member].location_name or member
        return ValidationError(
            f"1 validation error detected: Value null at '{wire[:1].lower() + wire[1:]}' failed to satisfy "
            "constraint: Member must not be null"
        )

    def bad_uri(self) -> ServiceError:
        return ValidationError("The request URI could not be decoded.")

    async def decode_payload(self, op: OperationModel, plan: InputPlan, body: bytes) -> Any:
        raise NotImplementedError

    async def decode_body(
        self, op: OperationModel, plan: InputPlan, body: bytes, params: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    # The parse itself -------------------------------------------------------------------------

    async def parse(self, request: Request) -> tuple[OperationModel, dict[str, Any]]:
        path = self.routing_path(request)
        query = request.query if request.query_string else {}
        found = self.routes.match(request.method.upper(), path, query, request.headers)
        if found is None:
            raise self.no_operation(request)
        op, raw_labels = found
        try:
            return op, await self.read_input(op, request, raw_labels, query)
        except ServiceError:
            # A deprecated twin on the same template (PutBucketNotification) may read what the
            # preferred operation cannot.
            for twin in self.routes.twins.get(op.name, ()):
                try:
                    return twin, await self.read_input(twin, request, raw_labels, query)
                except ServiceError:
                    continue
            raise

    async def read_input(
        self,
        op: OperationModel,
        request: Request,
        raw_labels: tuple[str, ...],
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        plan = self.plan(op)
        params: dict[str, Any] = {}
        if plan.uri:
            self._bind_uri(op, plan, raw_labels, params)
        if request.query_string:
            self._bind_query(op, plan, request, request.query if query is None else query, params)
        if plan.header_index or plan.header_maps:
            self._bind_headers(op, plan, request.headers, params)
        kind = plan.payload_kind
        if kind == PAYLOAD_STREAM:
            params[plan.payload()[0]] = request.body
        elif kind != PAYLOAD_NONE or plan.has_body_members:
            body = await request.body.read()
            if kind == PAYLOAD_RAW:
                if body:
                    member, payload_shape = plan.payload()
                    if payload_shape.type_name == "string":
                        try:
                            params[member] = body.decode("utf-8")
                        except UnicodeDecodeError:
                            raise self.bad_value(op, member, "<body>", "string") from None
                    else:
                        params[member] = body
            elif kind == PAYLOAD_STRUCT:
                if body.strip():
                    value = await self.decode_payload(op, plan, body)
                    if value is not None:
                        params[plan.payload()[0]] = value
            else:
                await self.decode_body(op, plan, body, params)
        for name in plan.required:
            if name not in params:
                raise self.missing_member(op, name, plan)
        if constraint_validation_enabled(self.model.service):
            problems = constraint_problems(op, params)
            if problems:
                raise ValidationError(constraint_message(problems))
        return params

    def _bind_uri(
        self, op: OperationModel, plan: InputPlan, raw_labels: tuple[str, ...], params: dict[str, Any]
    ) -> None:
        bindings = self._uri_bindings.get(op.name)
        if bindings is None:
            # Where each bound label sits among the template's groups, worked out once.
            positions = {label: i for i, label in enumerate(self.routes.by_name[op.name].labels)}
            bindings = tuple((positions[label], label, member, decode)
                             for label, member, decode in plan.uri if label in positions)
            self._uri_bindings[op.name] = bindings
        count = len(raw_labels)
        for position, label, member, decode in bindings:
            raw = raw_labels[position] if position < count else None
            if raw is None:
                continue
            try:
                text = unquote(raw, errors="strict") if "%" in raw else raw
            except UnicodeDecodeError:
                raise self.bad_uri() from None
            try:
                params[member] = text if decode is keep_text else decode(text)
            except BadValue:
                raise self.bad_value(op, label, text, plan.bound_shape().members[member].type_name) from None

    def _bind_query(
        self,
        op: OperationModel,
        plan: InputPlan,
        request: Request,
        query: dict[str, str],
        params: dict[str, Any],
    ) -> None:
        index = plan.query_index
        for key, text in query.items():
            found = index.get(key)
            if found is None:
                continue
            member, decode = found
            try:
                params[member] = decode(text)
            except BadValue:
                raise self.bad_value(op, key, text, plan.bound_shape().members[member].type_name) from None
        if plan.query_lists or plan.query_map:
            pairs = request.query_list
            for key, member, decode in plan.query_lists:
                values = [v for k, v in pairs if k == key]
                if values:
                    try:
                        params[member] = [decode(v) for v in values]
                    except BadValue as exc:
                        raise self.bad_value(op, key, str(exc), "list") from None
            if plan.query_map is not None:
                member, multi = plan.query_map
                collected: dict[str, Any] = {}
                for k, v in pairs:
                    if k in plan.bound_query_keys:
                        continue
                    if multi:
                        collected.setdefault(k, []).append(v)
                    else:
                        collected.setdefault(k, v)
                if collected:
                    params[member] = collected

    def _bind_headers(
        self, op: OperationModel, plan: InputPlan, headers: dict[str, str], params: dict[str, Any]
    ) -> None:
        # Which of the request's headers bind a member, and which fall in a header map, depends
        # only on the header names: a client sends the same ones, in the same order, with every
        # call of an operation, so that is worked out once per name sequence.
        names = tuple(headers)
        binding = plan.header_bindings.get(names)
        if binding is None:
            binding = _header_binding(plan, names)
        bound, mapped = binding
        for name, member, decode in bound:
            text = headers[name]
            try:
                params[member] = text if decode is keep_text else decode(text)
            except BadValue:
                if name in self.ignored_bad_headers:
                    continue
                raise self.bad_value(op, name, text, plan.bound_shape().members[member].type_name) from None
        for member, prefix, names_in_map in mapped:
            params[member] = {name[len(prefix) :]: headers[name] for name in names_in_map}


def _header_binding(plan: InputPlan, names: tuple[str, ...]) -> HeaderBinding:
    index = plan.header_index
    bound = tuple((name, *index[name]) for name in names if name in index)
    mapped = []
    for member, prefix in plan.header_maps:
        names_in_map = tuple(name for name in names if name.startswith(prefix))
        if names_in_map:
            mapped.append((member, prefix, names_in_map))
    binding = (bound, tuple(mapped))
    if len(plan.header_bindings) >= _MAX_HEADER_BINDINGS:
        plan.header_bindings.clear()
    plan.header_bindings[names] = binding
    return binding
