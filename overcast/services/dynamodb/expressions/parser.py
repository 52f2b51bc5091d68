"""Parses condition, key-condition, filter, update and projection expressions into tuples.

AST nodes are plain tuples (cheap to build and walk):
  ("path", (elem, ...))           elem: attribute name (str) or list index (int)
  ("value", AttributeValue, ":v")
  ("size", path)
  ("cmp", op, left, right)        op: = <> < <= > >=
  ("between", x, low, high)
  ("in", x, (operand, ...))
  ("and", a, b) ("or", a, b) ("not", a)
  ("func", name, (arg, ...))      attribute_exists, begins_with, ...
Update: {"SET": [(path, value_expr)], "REMOVE": [path], "ADD": [(path, value)], "DELETE": [...]}
  value_expr: operand | ("+", a, b) | ("-", a, b) | ("if_not_exists", path, v) | ("list_append", a, b)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.expressions.reserved import RESERVED_WORDS
from overcast.services.dynamodb.expressions.tokenizer import Token, syntax_error, tokenize
from overcast.services.dynamodb.types import validate_value

Node = tuple
CONDITION_FUNCTIONS = {
    "attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
    "begins_with": 2, "contains": 2,
}
_COMPARATORS = {"=", "<>", "<", "<=", ">", ">="}
_VALID_TYPES = {"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"}


@dataclass
class ExpressionContext:
    """ExpressionAttributeNames/Values of one request, and which of them the expressions used."""

    names: dict[str, str] | None = None
    values: dict[str, Any] | None = None
    used_names: set[str] = field(default_factory=set)
    used_values: set[str] = field(default_factory=set)
    _checked_values: dict[str, Any] = field(default_factory=dict)

    def name(self, token: str, label: str) -> str:
        if not self.names or token not in self.names:
            raise ValidationException(
                f"Invalid {label}: An expression attribute name used in the document path is not defined; attribute name: {token}")
        self.used_names.add(token)
        return self.names[token]

    def value(self, token: str, label: str) -> dict:
        if not self.values or token not in self.values:
            raise ValidationException(
                f"Invalid {label}: An expression attribute value used in expression is not defined; attribute value: {token}")
        self.used_values.add(token)
        return self.checked_value(token)

    def checked_value(self, token: str) -> dict:
        checked = self._checked_values.get(token)
        if checked is None:
            assert self.values is not None, "callers look the token up in values first"
            try:
                checked = validate_value(self.values[token])
            except ValidationException as error:
                raise ValidationException(f"ExpressionAttributeValues contains invalid value: {error.message} for key {token}") from None
            self._checked_values[token] = checked
        return checked

    def check_unused(self) -> None:
        if self.names:
            unused = [k for k in self.names if k not in self.used_names]
            if unused:
                raise ValidationException(
                    f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}")
        if self.values:
            unused = [k for k in self.values if k not in self.used_values]
            if unused:
                raise ValidationException(
                    f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(unused)}}}")


class _Parser:
    def __init__(self, text: str, label: str, ctx: ExpressionContext):
        if not text or not text.strip():
            raise ValidationException(f"Invalid {label}: The expression can not be empty;")
        self.text = text
        self.label = label
        self.ctx = ctx
        self.tokens = tokenize(text, label)
        self.pos = 0

    # -- token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def is_word(self, word: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.upper() == word

    def is_punct(self, text: str) -> bool:
        return self.tok.kind == "punct" and self.tok.text == text

    def expect_punct(self, text: str) -> None:
        if not self.is_punct(text):
            self.fail()
        self.pos += 1

    def fail(self, index: int | None = None) -> None:
        raise syntax_error(self.text, self.label, self.tokens, self.pos if index is None else index)

    def error(self, detail: str) -> ValidationException:
        return ValidationException(f"Invalid {self.label}: {detail}")

    def end(self) -> None:
        if self.tok.kind != "eof":
            self.fail()

    # -- paths and operands
    def path(self) -> Node:
        elements: list[str | int] = [self.path_name()]
        while True:
            if self.is_punct("."):
                self.pos += 1
                elements.append(self.path_name())
            elif self.is_punct("["):
                self.pos += 1
                if self.tok.kind != "number":
                    self.fail()
                elements.append(int(self.tok.text))
                self.pos += 1
                self.expect_punct("]")
            else:
                return ("path", tuple(elements))

    def path_name(self) -> str:
        tok = self.tok
        if tok.kind == "#name":
            self.pos += 1
            return self.ctx.name(tok.text, self.label)
        if tok.kind == "name":
            if tok.text.upper() in RESERVED_WORDS:
                raise self.error(f"Attribute name is a reserved keyword; reserved keyword: {tok.text}")
            self.pos += 1
            return tok.text
        self.fail()
        raise AssertionError

    def operand(self) -> Node:
        tok = self.tok
        if tok.kind == ":value":
            self.pos += 1
            return ("value", self.ctx.value(tok.text, self.label), tok.text)
        if tok.kind == "name" and self.peek().kind == "punct" and self.peek().text == "(":
            name = tok.text
            if name == "size":
                self.pos += 2
                target = self.path()
                self.expect_punct(")")
                return ("size", target)
            if name in CONDITION_FUNCTIONS:
                raise self.error(f"The function is not allowed to be used this way in an expression; function: {name}")
            raise self.error(f"Invalid function name; function: {name}")
        if tok.kind in ("name", "#name"):
            return self.path()
        self.fail()
        raise AssertionError

    # -- conditions
    def condition(self) -> Node:
        node = self.conjunction()
        while self.is_word("OR"):
            self.pos += 1
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.is_word("AND"):
            self.pos += 1
            node = ("and", node, self.negation())
        return node

    def negation(self) -> Node:
        if self.is_word("NOT"):
            self.pos += 1
            return ("not", self.negation())
        return self.primary()

    def primary(self) -> Node:
        if self.is_punct("("):
            self.pos += 1
            node = self.condition()
            self.expect_punct(")")
            return node
        tok = self.tok
        if tok.kind == "name" and tok.text in CONDITION_FUNCTIONS and self.peek().text == "(":
            return self.function()
        left = self.operand()
        tok = self.tok
        if tok.kind == "punct" and tok.text in _COMPARATORS:
            self.pos += 1
            right = self.operand()
            return ("cmp", tok.text, left, right)
        if self.is_word("BETWEEN"):
            self.pos += 1
            low = self.operand()
            if not self.is_word("AND"):
                self.fail()
            self.pos += 1
            high = self.operand()
            self.check_bounds(low, high)
            return ("between", left, low, high)
        if self.is_word("IN"):
            self.pos += 1
            self.expect_punct("(")
            options = [self.operand()]
            while self.is_punct(","):
                self.pos += 1
                options.append(self.operand())
            self.expect_punct(")")
            return ("in", left, tuple(options))
        if left[0] == "size":
            raise self.error("The function is not allowed to be used this way in an expression; function: size")
        self.fail()
        raise AssertionError

    def check_bounds(self, low: Node, high: Node) -> None:
        if low[0] == "value" and high[0] == "value":
            from overcast.services.dynamodb.types import compare_scalars

            order = compare_scalars(low[1], high[1])
            if order is not None and order > 0:
                raise self.error(
                    "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                    f"lower bound operand: AttributeValue: {_show(low[1])}, upper bound operand: AttributeValue: {_show(high[1])}")

    def function(self) -> Node:
        name = self.tok.text
        self.pos += 2
        args: list[Node] = []
        if not self.is_punct(")"):
            args.append(self.operand())
            while self.is_punct(","):
                self.pos += 1
                args.append(self.operand())
        self.expect_punct(")")
        if len(args) != CONDITION_FUNCTIONS[name]:
            raise self.error(
                f"Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {len(args)}")
        if args[0][0] != "path":
            raise self.error(
                f"Operator or function requires a document path; operator or function: {name}")
        if name == "attribute_type" and args[1][0] == "value":
            kind, inner = next(iter(args[1][1].items()))
            if kind != "S" or inner not in _VALID_TYPES:
                raise self.error(
                    f"Invalid attribute type name found; type: {inner}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}")
        if name == "begins_with" and args[1][0] == "value":
            kind = next(iter(args[1][1]))
            if kind not in ("S", "B"):
                raise self.error(
                    f"Incorrect operand type for operator or function; operator or function: begins_with, operand type: {kind}")
        return ("func", name, tuple(args))

    # -- update
    def update(self) -> dict[str, list]:
        clauses: dict[str, list] = {}
        while self.tok.kind != "eof":
            word = self.tok.text.upper() if self.tok.kind == "name" else ""
            if word not in ("SET", "REMOVE", "ADD", "DELETE"):
                self.fail()
            if word in clauses:
                raise self.error(f'The "{word}" section can only be used once in an update expression;')
            self.pos += 1
            actions: list = []
            while True:
                if word == "SET":
                    target = self.path()
                    self.expect_punct("=")
                    actions.append((target, self.set_value()))
                elif word == "REMOVE":
                    actions.append(self.path())
                else:
                    target = self.path()
                    if self.tok.kind != ":value":
                        self.fail()
                    actions.append((target, self.operand()))
                if not self.is_punct(","):
                    break
                self.pos += 1
            clauses[word] = actions
        if not clauses:
            self.fail()
        return clauses

    def set_value(self) -> Node:
        left = self.set_operand()
        if self.is_punct("+") or self.is_punct("-"):
            op = self.tok.text
            self.pos += 1
            return (op, left, self.set_operand())
        return left

    def set_operand(self) -> Node:
        tok = self.tok
        if tok.kind == "name" and self.peek().kind == "punct" and self.peek().text == "(":
            name = tok.text
            if name not in ("if_not_exists", "list_append"):
                if name in CONDITION_FUNCTIONS or name == "size":
                    raise self.error(f"The function is not allowed in an update expression; function: {name}")
                raise self.error(f"Invalid function name; function: {name}")
            self.pos += 2
            args = [self.set_value()]
            while self.is_punct(","):
                self.pos += 1
                args.append(self.set_value())
            self.expect_punct(")")
            if len(args) != 2:
                raise self.error(
                    f"Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {len(args)}")
            if name == "if_not_exists" and args[0][0] != "path":
                raise self.error(
                    "Operator or function requires a document path; operator or function: if_not_exists")
            return (name, args[0], args[1])
        if tok.kind == ":value":
            self.pos += 1
            return ("value", self.ctx.value(tok.text, self.label), tok.text)
        return self.path()

    # -- projection
    def projection(self) -> list[Node]:
        paths = [self.path()]
        while self.is_punct(","):
            self.pos += 1
            paths.append(self.path())
        self.end()
        return paths


def _show(value: dict) -> str:
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"


def parse_condition(text: str, label: str, ctx: ExpressionContext) -> Node:
    parser = _Parser(text, label, ctx)
    node = parser.condition()
    parser.end()
    return node


def parse_update(text: str, ctx: ExpressionContext) -> dict[str, list]:
    parser = _Parser(text, "UpdateExpression", ctx)
    clauses = parser.update()
    _check_overlaps(clauses, parser)
    return clauses


def parse_projection(text: str, ctx: ExpressionContext) -> list[Node]:
    parser = _Parser(text, "ProjectionExpression", ctx)
    paths = parser.projection()
    _check_path_overlaps([p[1] for p in paths], parser)
    return paths


def _check_overlaps(clauses: dict[str, list], parser: _Parser) -> None:
    targets: list[tuple] = []
    for word, actions in clauses.items():
        for action in actions:
            targets.append(action[1] if word == "REMOVE" else action[0][1])
    _check_path_overlaps(targets, parser)


def _check_path_overlaps(paths: list[tuple], parser: _Parser) -> None:
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            shorter = min(len(a), len(b))
            if a[:shorter] == b[:shorter]:
                raise parser.error(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                    f"path one: [{_show_path(a)}], path two: [{_show_path(b)}]")
            differ = next(k for k in range(shorter) if a[k] != b[k])
            if isinstance(a[differ], int) != isinstance(b[differ], int):
                # One path treats the attribute as a map, the other as a list.
                raise parser.error(
                    "Two document paths conflict with each other; must remove or rewrite one of these paths; "
                    f"path one: [{_show_path(a)}], path two: [{_show_path(b)}]")


def _show_path(path: tuple) -> str:
    return ", ".join(f"[{e}]" if isinstance(e, int) else e for e in path)
