"""Input validation shared by the RPC protocols: what the compiled readers raise, how AWS words
missing and malformed members, and the per-service hooks that reword or extend those checks.

Coral (the framework behind the JSON and query services) names members in lowerCamelCase with
1-based list positions ('keySchema.1.member.attributeName') and reports every problem in one
message: "2 validation errors detected: Value null at 'x' failed to satisfy constraint: ...".
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.protocol.compiling import compile_once
from overcast.protocol.values import to_iso8601

if TYPE_CHECKING:
    from overcast.protocol.errors import ServiceError
    from overcast.protocol.model import OperationModel, ServiceModel, Shape


# -- validation messages --------------------------------------------------------------------------


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:] if name else name


def validation_path(path: tuple[Any, ...]) -> str:
    """Coral's way of naming a member: 'keySchema.1.member.attributeName'."""
    parts: list[str] = []
    for step in path:
        if isinstance(step, int):
            parts.append(f"{step + 1}.member")
        else:
            parts.append(lower_camel(str(step)))
    return ".".join(parts)


def missing_required_message(paths: list[tuple[Any, ...]]) -> str:
    """AWS's wording for members that must not be null (Coral services share it)."""
    problems = [
        f"Value null at '{validation_path(path)}' failed to satisfy constraint: Member must not be null"
        for path in paths
    ]
    noun = "error" if len(problems) == 1 else "errors"
    return f"{len(problems)} validation {noun} detected: " + "; ".join(problems)


class MissingRequiredMembers(Exception):
    """Raised by compiled input readers; `paths` are member paths from the input root."""

    def __init__(self, paths: list[tuple[Any, ...]]):
        super().__init__(paths)
        self.paths = paths

    def prefixed(self, step: Any) -> MissingRequiredMembers:
        self.paths = [(step, *path) for path in self.paths]
        return self


def check_required(required: tuple[str, ...], found: dict[str, Any]) -> None:
    """Raise MissingRequiredMembers naming every required member a structure lacks."""
    missing = [name for name in required if name not in found]
    if missing:
        raise MissingRequiredMembers([(name,) for name in missing])


class WrongValueType(Exception):
    """Raised by compiled input readers: `expected` is the shape type, `got` the wire value."""

    def __init__(self, expected: str, got: Any, path: tuple[Any, ...] = ()):
        super().__init__(expected, got)
        self.expected = expected
        self.got = got
        self.path = path

    def prefixed(self, step: Any) -> WrongValueType:
        self.path = (step, *self.path)
        return self


# -- service hook for "missing required member" errors --------------------------------------------
#
# Services word this error differently (DynamoDB has its own phrasing), so a service package may
# register a handler that builds the error from the member paths. Registration lives in the
# service package's __init__, which is imported on the first such error so that the hook is in
# place even before the provider has been loaded.

MissingRequiredHandler = Callable[["OperationModel", "list[tuple[Any, ...]]"], "ServiceError"]
_MISSING_REQUIRED_HANDLERS: dict[str, MissingRequiredHandler] = {}
_IMPORTED_SERVICE_PACKAGES: set[str] = set()


def register_missing_required_handler(service: str, handler: MissingRequiredHandler) -> None:
    """`service` is the catalog name (dynamodb, sqs, ...)."""
    _MISSING_REQUIRED_HANDLERS[service] = handler


def load_service_hooks(service: str) -> None:
    """Import the service's package once, so that the hooks it registers are in place."""
    if service in _IMPORTED_SERVICE_PACKAGES:
        return
    _IMPORTED_SERVICE_PACKAGES.add(service)
    from overcast.protocol.catalog import BY_NAME

    entry = BY_NAME.get(service)
    package = (entry.package if entry and entry.package else service).replace("-", "_")
    try:
        importlib.import_module(f"overcast.services.{package}")
    except Exception:  # a broken service package must not turn a 400 into a 500
        pass


def missing_required_handler(service: str) -> MissingRequiredHandler | None:
    handler = _MISSING_REQUIRED_HANDLERS.get(service)
    if handler is None and service not in _IMPORTED_SERVICE_PACKAGES:
        load_service_hooks(service)
        handler = _MISSING_REQUIRED_HANDLERS.get(service)
    return handler


def query_member_path(path: tuple[Any, ...]) -> str:
    """A member the way query clients name it: 'Tags.member.1.Key'."""
    parts = []
    for step in path:
        parts.append(f"member.{step + 1}" if isinstance(step, int) else str(step))
    return ".".join(parts)


def modeled_error(model: ServiceModel, shape_name: str, message: str) -> ServiceError | None:
    """An error the model defines (CloudWatch's MissingRequiredParameterException, ...), or None."""
    raw = model.raw_shapes.get(shape_name)
    if raw is None or not raw.get("exception"):
        return None
    from overcast.protocol.errors import ServiceError

    status = raw.get("error", {}).get("httpStatusCode", 400)
    return ServiceError(message, code=shape_name, status=status)


def missing_parameter_message(paths: list[tuple[Any, ...]]) -> str:
    """The query-protocol wording: 'The parameter MetricData.member.1.MetricName is required.'"""
    names = ", ".join(query_member_path(path) for path in paths)
    phrase = "parameter {} is" if len(paths) == 1 else "parameters {} are"
    return f"The {phrase.format(names)} required."


# -- AWS's server-side constraint checks (opt-in per service) -------------------------------------
#
# Coral services check lengths, ranges, enums and patterns from the model before an operation
# runs, and report every violation in one message. botocore only checks minimums client-side, so
# a boto3 user meets the rest from the server. A service opts in with
# enable_constraint_validation("<service>") (from its package __init__); its provider then never
# sees input that breaks the model's constraints.

_CONSTRAINT_SERVICES: set[str] = set()
_CONSTRAINT_COMPILERS: dict[str, ConstraintCompiler] = {}
ConstraintCheck = Callable[[Any, str, list[str]], None]  # (value, path, problems)
ConstraintTest = Callable[[Any], bool]  # value -> whether it satisfies every constraint
Rule = tuple[str, ConstraintTest]  # what a value must satisfy, worded after "Member ", and the test


def _scalar_rules(shape: Shape, enum_orders: dict[str, tuple[str, ...]]) -> list[Rule]:
    """The shape's own constraints (not its members'). `enum_orders`: the order in which the
    service lists an enum's values, where it is not the model's."""
    raw = shape.raw
    kind = shape.type_name
    rules: list[Rule] = []
    low, high = raw.get("min"), raw.get("max")
    # The larger bound first: Coral lists a list's or map's element rules in this order.
    if kind in ("string", "blob", "list", "map"):
        if high is not None:
            rules.append((f"must have length less than or equal to {high}", lambda v: len(v) <= high))
        if low is not None:
            rules.append((f"must have length greater than or equal to {low}", lambda v: len(v) >= low))
    elif kind in ("integer", "long", "float", "double"):
        if high is not None:
            rules.append((f"must have value less than or equal to {high}", lambda v: v <= high))
        if low is not None:
            rules.append((f"must have value greater than or equal to {low}", lambda v: v >= low))
    if kind == "string" and raw.get("pattern"):
        try:
            # ASCII: Java's \d, \w and \s are ASCII classes, Python's Unicode ones.
            regex = re.compile(raw["pattern"], re.ASCII)
        except re.error:  # Java-only syntax (\p{...} classes): leave it to the provider
            regex = None
        if regex is not None:
            # Not tried on a value past the maximum length, which is refused anyway: some model
            # patterns backtrack for seconds on a long enough value.
            limit = high if high is not None else math.inf
            rules.append((f"must satisfy regular expression pattern: {raw['pattern']}",
                          lambda v: len(v) > limit or regex.fullmatch(v) is not None))
    if kind == "string" and raw.get("enum"):
        listed = enum_orders.get(shape.name) or raw["enum"]
        rules.append((f"must satisfy enum value set: [{', '.join(listed)}]", frozenset(raw["enum"]).__contains__))
    return rules


def _all_of(tests: list[ConstraintTest]) -> ConstraintTest | None:
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda value: all(test(value) for test in tests)


def _listing(rules: list[Rule], extra: tuple[str, ...] = ()) -> str:
    return "[" + ", ".join([f"Member {wording}" for wording, _ in rules] + list(extra)) + "]"


def enable_constraint_validation(service: str, left_to_provider: Iterable[str] = (),
                                  enum_orders: dict[str, tuple[str, ...]] | None = None,
                                  sensitive: Iterable[str] = (),
                                  member_orders: dict[str, tuple[str, ...]] | None = None) -> None:
    """Check `service`'s input against its model. Shapes named in `left_to_provider` are not
    looked into, wherever they appear: the provider checks them itself (in the service's own
    wordings), and walking them on every request would cost more than the rest (DynamoDB's
    attribute values, say, nest to any depth in every item). `enum_orders` gives, by shape name,
    the order in which the service lists an enum's values when it is not the model's (Coral's
    order comes from a Java set). `sensitive` names shapes whose values the service leaves out of
    its messages though botocore's model does not mark them. `member_orders` gives, by structure
    shape name, members whose problems the service lists in another order than the model's
    members: they keep the places the model gives them, in the order given."""
    _CONSTRAINT_SERVICES.add(service)
    _CONSTRAINT_COMPILERS[service] = ConstraintCompiler(frozenset(left_to_provider), enum_orders or {},
                                                        frozenset(sensitive), member_orders or {})


def constraint_validation_enabled(service: str) -> bool:
    if service not in _CONSTRAINT_SERVICES and service not in _IMPORTED_SERVICE_PACKAGES:
        load_service_hooks(service)
    return service in _CONSTRAINT_SERVICES


def java_text(value: Any) -> str:
    """A value the way Coral's messages print it (Java's toString)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, datetime):
        return to_iso8601(value)
    return str(value)


def _problem(value: Any, path: str, sensitive: bool, constraint: str) -> str:
    # Coral leaves the value out for members the model marks sensitive (passwords, secrets).
    shown = "Value" if sensitive else f"Value '{java_text(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


class ConstraintCompiler:
    """Compiles a shape into two functions: a test of whether a value satisfies every
    constraint, and a check that words each problem as Coral does. Nearly every request passes,
    and the test builds no member paths or messages; the check runs only for one that fails.

    Coral words a problem with a member of a structure at the member's path ("keySchema.1.member.
    attributeName", "attributeUpdates.q.member.action" for a structure in a map); a list's or a
    map's scalar elements it judges at the list or map, listing every rule the elements must
    satisfy: "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64,
    arm64], Member must not be null]" (Lambda's architectures), "Map keys must satisfy
    constraint: [...]" and "Map value must satisfy constraint: [...]"."""

    def __init__(self, left_to_provider: frozenset[str] = frozenset(),
                 enum_orders: dict[str, tuple[str, ...]] | None = None,
                 sensitive: frozenset[str] = frozenset(),
                 member_orders: dict[str, tuple[str, ...]] | None = None) -> None:
        self._member_orders = member_orders or {}
        self._checks: dict[str, ConstraintCheck | None] = {}
        self._tests: dict[str, ConstraintTest | None] = {}
        self._left_to_provider = left_to_provider
        self._enum_orders = enum_orders or {}
        self._sensitive = sensitive

    def check(self, shape: Shape) -> ConstraintCheck | None:
        if shape.name in self._checks:
            return self._checks[shape.name]
        return compile_once(self._checks, shape.name, lambda: self._build_check(shape))

    def test(self, shape: Shape) -> ConstraintTest | None:
        if shape.name in self._tests:
            return self._tests[shape.name]
        return compile_once(self._tests, shape.name, lambda: self._build_test(shape))

    def _rules(self, shape: Shape) -> list[Rule]:
        return [] if shape.name in self._left_to_provider else _scalar_rules(shape, self._enum_orders)

    def _members(self, shape: Shape) -> list[tuple[str, Shape]]:
        if shape.type_name != "structure" or shape.raw.get("document"):
            return []
        members = list(shape.members.items())
        order = self._member_orders.get(shape.name)
        if order:
            # The named members trade places among themselves; the rest stay where they are.
            places = [i for i, (name, _) in enumerate(members) if name in order]
            named = sorted((members[i] for i in places), key=lambda member: order.index(member[0]))
            for place, member in zip(places, named, strict=True):
                members[place] = member
        return members

    # -- the test ---------------------------------------------------------------------------

    def _build_test(self, shape: Shape) -> ConstraintTest | None:
        if shape.name in self._left_to_provider:
            return None
        parts = [test for _, test in _scalar_rules(shape, self._enum_orders)]
        kind = shape.type_name
        if kind == "structure":
            members = [(name, test) for name, member in self._members(shape) if (test := self.test(member)) is not None]
            if members:
                def structure_ok(value: Any) -> bool:
                    for name, test in members:
                        item = value.get(name)
                        if item is not None and not test(item):
                            return False
                    return True
                parts.append(structure_ok)
        elif kind == "list":
            element = self.test(shape.member)
            if element is not None:
                def list_ok(value: Any) -> bool:
                    for item in value:
                        if item is not None and not element(item):
                            return False
                    return True
                parts.append(list_ok)
        elif kind == "map":
            key_test, value_test = self.test(shape.key), self.test(shape.value)
            if key_test is not None:
                parts.append(lambda value: all(key_test(key) for key in value))
            if value_test is not None:
                parts.append(lambda value: all(item is None or value_test(item) for item in value.values()))
        return _all_of(parts)

    # -- the worded check -------------------------------------------------------------------

    def _build_check(self, shape: Shape) -> ConstraintCheck | None:
        if shape.name in self._left_to_provider:
            return None
        rules = _scalar_rules(shape, self._enum_orders)
        sensitive = bool(shape.raw.get("sensitive")) or shape.name in self._sensitive
        nested = self._nested(shape, sensitive)
        if not rules and nested is None:
            return None

        def check(value: Any, path: str, problems: list[str]) -> None:
            for wording, test in rules:
                if not test(value):
                    problems.append(_problem(value, path, sensitive, f"Member {wording}"))
            if nested is not None:
                nested(value, path, problems)

        return check

    def _nested(self, shape: Shape, sensitive: bool) -> ConstraintCheck | None:
        kind = shape.type_name
        if kind == "structure":
            return self._nested_structure(shape)
        if kind == "list":
            return self._nested_list(shape, sensitive)
        if kind == "map":
            return self._nested_map(shape, sensitive)
        return None

    def _nested_structure(self, shape: Shape) -> ConstraintCheck | None:
        # Required members are judged here too, as null: the readers refuse a request without
        # one before any check runs, but one read without that check (all_constraint_problems)
        # gets every problem listed in member order.
        required = set(shape.required_members)
        members = [(name, lower_camel(name), check, name in required)
                   for name, member in self._members(shape)
                   if (check := self.check(member)) is not None or name in required]
        if not members:
            return None

        def check_structure(value: Any, path: str, problems: list[str]) -> None:
            for name, camel, check, needed in members:
                item = value.get(name)
                where = f"{path}.{camel}" if path else camel
                if item is not None:
                    if check is not None:
                        check(item, where, problems)
                elif needed:
                    problems.append(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")

        return check_structure

    def _elements(self, shape: Shape, sensitive: bool, judged_as: str, extra: tuple[str, ...] = (),
                  ) -> tuple[Callable[[Any, str, Iterable[Any], list[str]], None] | None, ConstraintCheck | None]:
        """For a list's or a map's elements (or a map's keys): the check of scalar elements,
        made at the list or map (`judged_as` its wording), and that of aggregate ones, made at
        each element's own path."""
        if shape.type_name in ("structure", "list", "map"):
            return None, self.check(shape)
        rules = self._rules(shape)
        if not rules:
            return None, None
        element_ok = _all_of([test for _, test in rules])
        assert element_ok is not None
        wording = f"{judged_as} must satisfy constraint: {_listing(rules, extra)}"

        def judge(container: Any, path: str, elements: Iterable[Any], problems: list[str]) -> None:
            if not all(item is None or element_ok(item) for item in elements):
                problems.append(_problem(container, path, sensitive, wording))

        return judge, None

    def _nested_list(self, shape: Shape, sensitive: bool) -> ConstraintCheck | None:
        judge, element = self._elements(shape.member, sensitive, "Member", ("Member must not be null",))
        if judge is None and element is None:
            return None

        def check_list(value: Any, path: str, problems: list[str]) -> None:
            if judge is not None:
                judge(value, path, value, problems)
            if element is not None:
                for index, item in enumerate(value):
                    if item is not None:
                        element(item, f"{path}.{index + 1}.member", problems)

        return check_list

    def _nested_map(self, shape: Shape, sensitive: bool) -> ConstraintCheck | None:
        judge_keys, _ = self._elements(shape.key, sensitive, "Map keys")
        judge_values, value_check = self._elements(shape.value, sensitive, "Map value")
        if judge_keys is None and judge_values is None and value_check is None:
            return None

        def check_map(value: Any, path: str, problems: list[str]) -> None:
            if judge_keys is not None:
                judge_keys(value, path, value.keys(), problems)
            if judge_values is not None:
                judge_values(value, path, value.values(), problems)
            if value_check is not None:
                for key, item in value.items():
                    if item is not None:
                        value_check(item, f"{path}.{key}.member", problems)

        return check_map


def _compiled(operation: OperationModel) -> tuple[ConstraintTest | None, ConstraintCheck | None]:
    """The operation's constraint test and worded check, compiled once."""
    compiler = _CONSTRAINT_COMPILERS.get(operation.model.service)
    if compiler is None:
        compiler = _CONSTRAINT_COMPILERS.setdefault(operation.model.service, ConstraintCompiler())
    compiled = operation.cache.get("constraints")
    if compiled is None or compiled[0] is not compiler:  # a compiler replaced (tests) compiles anew
        shape = operation.input_shape
        compiled = (compiler, *((compiler.test(shape), compiler.check(shape)) if shape is not None else (None, None)))
        operation.cache["constraints"] = compiled
    return compiled[1], compiled[2]


def constraint_problems(operation: OperationModel, params: dict[str, Any]) -> list[str]:
    """Every constraint the input breaks, worded as AWS words them; compiled once per operation."""
    test, check = _compiled(operation)
    problems: list[str] = []
    if test is not None and check is not None and not test(params):
        check(params, "", problems)
    return problems


def all_constraint_problems(operation: OperationModel, params: dict[str, Any]) -> list[str]:
    """constraint_problems without the quick test first: for input read without the required
    check, whose missing members only the worded check reports."""
    _, check = _compiled(operation)
    problems: list[str] = []
    if check is not None:
        check(params, "", problems)
    return problems


def constraint_message(problems: list[str]) -> str:
    noun = "error" if len(problems) == 1 else "errors"
    return f"{len(problems)} validation {noun} detected: " + "; ".join(problems)
