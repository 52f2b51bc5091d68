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

from overcast.services.dynamodb.errors import InvalidAttributeValue, InvalidRequest, ValidationException
from overcast.services.dynamodb.expressions.reserved import RESERVED_WORDS
from overcast.services.dynamodb.expressions.tokenizer import Token, syntax_error, tokenize
from overcast.services.dynamodb.types import validate_value

Node = tuple
CONDITION_FUNCTIONS = {
    "attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
    "begins_with": 2, "contains": 2,
}
_COMPARATORS = {"=", "<>", "<", "<=", ">", ">="}
# "The maximum length of any expression string is 4 KB" (DynamoDB developer guide, service quotas).
MAX_EXPRESSION_BYTES = 4096
# "The maximum depth of nesting for document paths is 32" (developer guide, quotas).
MAX_PATH_DEPTH = 32
MAX_LIST_INDEX = 2**31 - 1
UPDATE_FUNCTIONS = ("if_not_exists", "list_append")
# The IN comparator takes at most 100 values (DynamoDB developer guide, comparison operator reference).
MAX_IN_OPERANDS = 100
_ADD_DELETE_TYPE_WORDS = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "NULL": "NULL", "BOOL": "BOOLEAN",
                          "L": "LIST", "M": "MAP"}
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
            raise InvalidRequest(
                f"Invalid {label}: An expression attribute value used in expression is not defined; attribute value: {token}")
        self.used_values.add(token)
        return self.checked_value(token)

    def checked_value(self, token: str) -> dict:
        checked = self._checked_values.get(token)
        if checked is None:
            assert self.values is not None, "callers look the token up in values first"
            # A layered refusal (InvalidAttributeValue) is worded by each operation, and only the
            # older layer names the key; any other keeps the wrapper everywhere.
            try:
                checked = validate_value(self.values[token])
            except InvalidAttributeValue as error:
                error.key = token
                raise
            except ValidationException as error:
                raise ValidationException(
                    f"ExpressionAttributeValues contains invalid value: {error.message} for key {token}") from None
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
            raise InvalidRequest(f"Invalid {label}: The expression can not be empty;")
        size = len(text.encode("utf-8"))
        if size > MAX_EXPRESSION_BYTES:
            raise ValidationException(
                f"Invalid {label}: Expression size has exceeded the maximum allowed size;"
                # An UpdateExpression's refusal stops at the semicolon (paritysuite deepRequests.test.ts;
                # applications quoting DynamoDB's answer); the others give the size.
                + ("" if label == "UpdateExpression" else f" expression size: {size}"))
        self.text = text
        self.label = label
        self.ctx = ctx
        self.tokens = tokenize(text, label)
        self.pos = 0
        self.closers: dict[int, int] | None = None  # every "(" -> its ")", computed when first needed

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

    def redundant(self) -> ValidationException:
        return self.error("The expression has redundant parentheses;")

    def check_distinct(self, operator: str, first: Node, second: Node) -> None:
        """DynamoDB refuses an operator or function whose two operands are the same document path."""
        if first[0] == "path" and second[0] == "path" and first[1] == second[1]:
            raise self.error(
                "The first operand must be distinct from the remaining operands for this operator or function; "
                f"operator: {operator}, first operand: [{_show_path(first[1])}]")

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
                digits = self.tok.text
                if len(digits) > 10 or int(digits) > MAX_LIST_INDEX:
                    raise self.error(f"List index is not within the allowable range; index: [{digits}]")
                elements.append(int(digits))
                self.pos += 1
                self.expect_punct("]")
            else:
                if len(elements) > MAX_PATH_DEPTH:
                    raise self.error(f"The document path has too many nesting levels; nesting levels: {len(elements)}")
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
        if tok.kind == "punct" and tok.text == "(":
            # An operand may stand in parentheses: "(a) = :v"; "((a))" is redundant.
            if self.doubled_parentheses():
                raise self.redundant()
            self.pos += 1
            inner = self.operand()
            self.expect_punct(")")
            return inner
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
            if name in UPDATE_FUNCTIONS:
                raise self.error(f"The function is not allowed in a condition expression; function: {name}")
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
        count = 0
        while self.is_word("NOT"):  # a loop, not recursion: "NOT NOT ... a" may be long
            self.pos += 1
            count += 1
        node = self.primary()
        for _ in range(count):
            node = ("not", node)
        return node

    def primary(self) -> Node:
        if self.is_punct("(") and self.doubled_parentheses():
            raise self.redundant()
        if self.is_punct("(") and not self.opens_operand():
            self.pos += 1
            node = self.condition()
            self.expect_punct(")")
            return node
        return self.comparison()

    def doubled_parentheses(self) -> bool:
        """"((x))": a pair of parentheses directly inside another, which DynamoDB calls redundant."""
        if self.closers is None:
            self.closers = _matching_parentheses(self.tokens)
        inner = self.closers.get(self.pos + 1)
        return inner is not None and self.tokens[self.pos + 1].text == "(" and self.closers.get(self.pos) == inner + 1

    def opens_operand(self) -> bool:
        """Whether the "(" here encloses an operand ("(a) = :v") rather than a condition."""
        if self.closers is None:
            self.closers = _matching_parentheses(self.tokens)
        closing = self.closers.get(self.pos)
        if closing is None:
            return False
        after = self.tokens[closing + 1]
        return (after.kind == "punct" and after.text in _COMPARATORS) or (
            after.kind == "name" and after.text.upper() in ("BETWEEN", "IN"))

    def comparison(self) -> Node:
        tok = self.tok
        if tok.kind == "name" and tok.text in CONDITION_FUNCTIONS and self.peek().text == "(":
            node = self.function()
            after = self.tok
            if (after.kind == "punct" and after.text in _COMPARATORS) or self.is_word("BETWEEN") or self.is_word("IN"):
                # "attribute_exists(a) = :v": a condition function used as an operand.
                raise self.error(f"The function is not allowed to be used this way in an expression; function: {tok.text}")
            return node
        left = self.operand()
        tok = self.tok
        if tok.kind == "punct" and tok.text in _COMPARATORS:
            self.pos += 1
            right = self.operand()
            self.check_distinct(tok.text, left, right)
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
            if len(options) > MAX_IN_OPERANDS:
                raise self.error(f"The IN operator is provided with too many operands; number of operands: {len(options)}")
            return ("in", left, tuple(options))
        if left[0] == "size":
            raise self.error("The function is not allowed to be used this way in an expression; function: size")
        self.fail()
        raise AssertionError

    def check_bounds(self, low: Node, high: Node) -> None:
        if low[0] == "value" and high[0] == "value":
            from overcast.services.dynamodb.types import compare_scalars

            if next(iter(low[1])) != next(iter(high[1])):
                raise self.error(
                    "The BETWEEN operator requires same data type for lower and upper bounds; "
                    f"lower bound operand: AttributeValue: {_show(low[1])}, upper bound operand: AttributeValue: {_show(high[1])}")
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
        if len(args) == 2:
            self.check_distinct(name, args[0], args[1])
        if name == "attribute_type" and args[1][0] == "value":
            kind, inner = next(iter(args[1][1].items()))
            if kind != "S":
                raise self.error(
                    f"Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {kind}")
            if inner not in _VALID_TYPES:
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
                    actions.append((target, self.set_action_value()))
                elif word == "REMOVE":
                    actions.append(self.path())
                else:
                    target = self.path()
                    if self.tok.kind != ":value":
                        self.fail()
                    value = self.operand()
                    kind = next(iter(value[1]))
                    # ADD takes a number or a set, DELETE a set; anything else fails before the item is read.
                    if kind in _ADD_DELETE_TYPE_WORDS and not (word == "ADD" and kind == "N"):
                        raise self.error(
                            f"Incorrect operand type for operator or function; operator: {word}, "
                            f"operand type: {_ADD_DELETE_TYPE_WORDS[kind]}")
                    actions.append((target, value))
                if not self.is_punct(","):
                    break
                self.pos += 1
            clauses[word] = actions
        if not clauses:
            self.fail()
        return clauses

    def set_action_value(self) -> Node:
        """The value of one SET action: "(b + c)" may stand in one pair of parentheses."""
        if self.is_punct("("):
            if self.closers is None:
                self.closers = _matching_parentheses(self.tokens)
            closing = self.closers.get(self.pos)
            after = self.tokens[closing + 1] if closing is not None else None
            if after is not None and not (after.kind == "punct" and after.text in "+-"):
                self.pos += 1
                value = self.set_value()
                self.expect_punct(")")
                return value
        return self.set_value()

    def set_value(self) -> Node:
        left = self.parenthesized_set_operand()
        if self.is_punct("+") or self.is_punct("-"):
            op = self.tok.text
            self.pos += 1
            right = self.parenthesized_set_operand()
            self.check_value_types(op, (left, right), "N")
            return (op, left, right)
        return left

    def check_value_types(self, operator: str, operands: tuple, wanted: str) -> None:
        """A literal operand of the wrong type fails before the item is read; an attribute of the
        wrong type fails later, with a different message (update.compute)."""
        for operand in operands:
            if operand[0] == "value":
                kind = next(iter(operand[1]))
                if kind != wanted:
                    raise self.error(
                        f"Incorrect operand type for operator or function; operator or function: {operator}, operand type: {kind}")

    def parenthesized_set_operand(self) -> Node:
        if self.is_punct("("):  # "SET a = (b) + c"
            self.pos += 1
            inner = self.set_operand()
            self.expect_punct(")")
            return inner
        return self.set_operand()

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
            if name == "list_append":
                self.check_value_types(name, tuple(args), "L")
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


def _matching_parentheses(tokens: list[Token]) -> dict[int, int]:
    closers: dict[int, int] = {}
    open_at: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind == "punct":
            if token.text == "(":
                open_at.append(index)
            elif token.text == ")" and open_at:
                closers[open_at.pop()] = index
    return closers


def _show(value: dict) -> str:
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"


def parse_condition(text: str, label: str, ctx: ExpressionContext) -> Node:
    parser = _Parser(text, label, ctx)
    try:
        node = parser.condition()
    except RecursionError:
        raise _too_deep(label) from None
    parser.end()
    return node


def parse_update(text: str, ctx: ExpressionContext) -> dict[str, list]:
    parser = _Parser(text, "UpdateExpression", ctx)
    try:
        clauses = parser.update()
    except RecursionError:
        raise _too_deep("UpdateExpression") from None
    _check_overlaps(clauses, parser)
    return clauses


def _too_deep(label: str) -> ValidationException:
    # Nesting deep enough to exhaust Python's stack (hundreds of levels within 4 KB). DynamoDB's
    # own answer here is not documented; a ValidationException beats an internal error.
    return ValidationException(f"Invalid {label}: The expression is nested too deeply;")


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
    # DynamoDB reports an overlap (one path inside another) before any conflict (a map step
    # against a list step), whichever comes first in the expression.
    conflict: tuple[tuple, tuple] | None = None
    for i, b in enumerate(paths):
        for a in paths[:i]:
            shorter = min(len(a), len(b))
            differ = next((k for k in range(shorter) if a[k] != b[k]), None)
            if differ is None:
                raise parser.error(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                    f"path one: [{_show_path(a)}], path two: [{_show_path(b)}]")
            if conflict is None and isinstance(a[differ], int) != isinstance(b[differ], int):
                conflict = (a, b)
    if conflict is not None:
        a, b = conflict
        raise parser.error(
            "Two document paths conflict with each other; must remove or rewrite one of these paths; "
            f"path one: [{_show_path(a)}], path two: [{_show_path(b)}]")


def _show_path(path: tuple) -> str:
    return ", ".join(f"[{e}]" if isinstance(e, int) else e for e in path)
