"""Expressions of the query language, as the parser builds them; `evaluate(record)` gives the
value for one record (a dict of field name to value), None where the field or result is absent.

Comparisons follow the filter page: a number compared with a field compares numerically when
the field's value is a number, otherwise as strings; an absent field matches no comparison.
`like "text"` is a case-sensitive substring test, `like /re/` and `=~ /re/` a regex search."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from overcast.services.logs.insights.functions import SCALAR
from overcast.services.logs.insights.values import to_number, to_text


class Expression:
    def evaluate(self, record: dict[str, Any]) -> Any:
        raise NotImplementedError

    def children(self) -> list[Expression]:
        return []


@dataclass
class Literal(Expression):
    value: Any

    def evaluate(self, record: dict[str, Any]) -> Any:
        return self.value


@dataclass
class FieldRef(Expression):
    name: str
    start: int = field(default=-1, compare=False)  # where the query names it, for errors
    end: int = field(default=-1, compare=False)

    def evaluate(self, record: dict[str, Any]) -> Any:
        return record.get(self.name)


@dataclass
class Regex(Expression):
    pattern: re.Pattern[str]

    def evaluate(self, record: dict[str, Any]) -> Any:
        return self.pattern.pattern


@dataclass
class ListOf(Expression):
    items: list[Expression]

    def evaluate(self, record: dict[str, Any]) -> Any:
        return [item.evaluate(record) for item in self.items]

    def children(self) -> list[Expression]:
        return list(self.items)


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "%": operator.mod,
    "^": operator.pow}
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge}


def compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    a, b = to_number(left), to_number(right)
    if a is not None and b is not None and not isinstance(left, bool) and not isinstance(right, bool):
        return _ORDER[op](a, b)
    return _ORDER[op](to_text(left), to_text(right))


@dataclass
class Binary(Expression):
    op: str
    left: Expression
    right: Expression

    def evaluate(self, record: dict[str, Any]) -> Any:
        if self.op == "and":
            return truthy(self.left.evaluate(record)) and truthy(self.right.evaluate(record))
        if self.op == "or":
            return truthy(self.left.evaluate(record)) or truthy(self.right.evaluate(record))
        left, right = self.left.evaluate(record), self.right.evaluate(record)
        if self.op in _ORDER:
            return compare(self.op, left, right)
        a, b = to_number(left), to_number(right)
        if a is None or b is None:
            return None
        try:
            result = _ARITHMETIC[self.op](a, b)
        except (ZeroDivisionError, OverflowError, ValueError):
            return None
        return result if not isinstance(result, complex) else None

    def children(self) -> list[Expression]:
        return [self.left, self.right]


@dataclass
class Not(Expression):
    operand: Expression

    def evaluate(self, record: dict[str, Any]) -> Any:
        return not truthy(self.operand.evaluate(record))

    def children(self) -> list[Expression]:
        return [self.operand]


@dataclass
class Negate(Expression):
    operand: Expression

    def evaluate(self, record: dict[str, Any]) -> Any:
        number = to_number(self.operand.evaluate(record))
        return None if number is None else -number

    def children(self) -> list[Expression]:
        return [self.operand]


@dataclass
class Like(Expression):
    """`like "text"` (substring), `like /re/` and `=~ /re/` (search); `not like` negated."""

    subject: Expression
    pattern: re.Pattern[str] | None
    text: str | None
    negated: bool = False

    def evaluate(self, record: dict[str, Any]) -> Any:
        value = self.subject.evaluate(record)
        if value is None:
            return False
        subject = to_text(value)
        found = self.pattern.search(subject) is not None if self.pattern is not None else str(self.text) in subject
        return found != self.negated

    def children(self) -> list[Expression]:
        return [self.subject]


@dataclass
class In(Expression):
    subject: Expression
    options: list[Expression]
    negated: bool = False

    def evaluate(self, record: dict[str, Any]) -> Any:
        value = self.subject.evaluate(record)
        if value is None:
            return False
        found = any(compare("=", value, option.evaluate(record)) for option in self.options)
        return found != self.negated

    def children(self) -> list[Expression]:
        return [self.subject, *self.options]


@dataclass
class Call(Expression):
    name: str
    args: list[Expression]

    def evaluate(self, record: dict[str, Any]) -> Any:
        return SCALAR[self.name]([arg.evaluate(record) for arg in self.args])

    def children(self) -> list[Expression]:
        return list(self.args)


@dataclass
class Period(Expression):
    """A duration such as 5m, as bin() and datefloor() take it: (amount, canonical unit)."""

    amount: float
    unit: str

    def evaluate(self, record: dict[str, Any]) -> Any:
        return (self.amount, self.unit)


@dataclass
class Aggregate(Expression):
    """count(*), avg(x), pct(x, 95)... inside stats. Its per-group result is put in the output
    record under `slot` before the stats item that holds it is evaluated."""

    name: str
    args: list[Expression]
    slot: str = field(default="")

    def evaluate(self, record: dict[str, Any]) -> Any:
        return record.get(self.slot)

    def children(self) -> list[Expression]:
        return []  # its arguments are evaluated per event, not per output row


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    return value != ""


def walk(expression: Expression) -> list[Expression]:
    out, todo = [], [expression]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(node.children())
    return out
