"""Parses a PartiQL statement into a small statement record with condition-language ASTs.

Values become AttributeValues at parse time (literals and `?` parameters alike), so the
evaluator, update and projection code of the expression language does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.types import normalize_number, validate_value

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct><<|>>|<>|!=|<=|>=|[=<>(),.\[\]{}:?*+\-])
""", re.VERBOSE)


@dataclass
class Statement:
    kind: str  # SELECT, INSERT, UPDATE, DELETE
    table: str
    index: str | None = None
    projection: list[tuple] | None = None
    where: tuple | None = None
    item: dict | None = None
    sets: list[tuple] = field(default_factory=list)
    removes: list[tuple] = field(default_factory=list)
    returning: str | None = None
    # SELECT ... ORDER BY: (attribute, descending) in the order written.
    order_by: list[tuple[str, bool]] = field(default_factory=list)


NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
# DynamoDB's wordings (paritysuite/dynamodb-conformance, tests/tier3/error-messages/
# partiqlGrammar.test.ts, captured against DynamoDB): a token after a complete statement, and a
# table alias on SELECT, UPDATE or DELETE.
LEFTOVER = NOT_WELL_FORMED + "Unexpected token after expression"
ALIASING = "Aliasing is not supported"
# Words that may follow a table name; any other word or name there is an alias.
_AFTER_TABLE = frozenset({"WHERE", "ORDER", "SET", "REMOVE", "RETURNING"})


def malformed(detail: str = "") -> ValidationException:
    return ValidationException(NOT_WELL_FORMED + (detail or "Unexpected token"))


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise malformed(f"Unexpected character: {text[position]}")
        position = match.end()
        kind = match.lastgroup or ""  # every alternative of _TOKEN is a named group
        if kind != "space":
            tokens.append((kind, match.group()))
    tokens.append(("eof", ""))
    return tokens


class _Parser:
    def __init__(self, text: str, parameters: list[Any] | None):
        self.tokens = tokenize(text)
        self.pos = 0
        self.parameters = list(parameters or [])
        self.used_parameters = 0

    @property
    def tok(self) -> tuple[str, str]:
        return self.tokens[self.pos]

    def word(self, *words: str) -> bool:
        return self.tok[0] == "word" and self.tok[1].upper() in words

    def punct(self, text: str) -> bool:
        return self.tok[0] == "punct" and self.tok[1] == text

    def take_word(self, word: str) -> None:
        if not self.word(word):
            raise malformed(f"Expected {word}")
        self.pos += 1

    def take_punct(self, text: str) -> None:
        if not self.punct(text):
            raise malformed(f"Expected {text}")
        self.pos += 1

    def identifier(self) -> str:
        kind, text = self.tok
        if kind == "quoted":
            self.pos += 1
            return text[1:-1].replace('""', '"')
        if kind == "word":
            self.pos += 1
            return text
        raise malformed("Expected identifier")

    def statement(self) -> Statement:
        if self.word("SELECT"):
            result = self.select()
        elif self.word("INSERT"):
            result = self.insert()
        elif self.word("UPDATE"):
            result = self.update()
        elif self.word("DELETE"):
            result = self.delete()
        else:
            raise malformed("Unsupported statement")
        if self.tok[0] != "eof":
            raise ValidationException(LEFTOVER)
        if self.used_parameters != len(self.parameters):
            raise ValidationException("Number of parameters in request and statement don't match.")
        return result

    def table_ref(self) -> tuple[str, str | None]:
        name = self.identifier()
        index = None
        if self.punct("."):
            self.pos += 1
            index = self.identifier()
        self.no_alias()
        return name, index

    def no_alias(self) -> None:
        """SELECT, UPDATE and DELETE refuse a table alias (`FROM t x`, `FROM t AS x`)."""
        kind, text = self.tok
        if kind == "quoted" or (kind == "word" and text.upper() not in _AFTER_TABLE):
            raise ValidationException(ALIASING)

    def select(self) -> Statement:
        self.pos += 1
        projection = None
        if self.punct("*"):
            self.pos += 1
        else:
            projection = [self.path()[1]]
            while self.punct(","):
                self.pos += 1
                projection.append(self.path()[1])
        self.take_word("FROM")
        name, index = self.table_ref()
        where = self.where() if self.word("WHERE") else None
        statement = Statement("SELECT", name, index, projection, where)
        if self.word("ORDER"):
            self.pos += 1
            self.take_word("BY")
            statement.order_by.append(self.ordering())
            while self.punct(","):
                self.pos += 1
                statement.order_by.append(self.ordering())
        return statement

    def ordering(self) -> tuple[str, bool]:
        name = self.identifier()
        descending = self.word("DESC")
        if descending or self.word("ASC"):
            self.pos += 1
        return name, descending

    def insert(self) -> Statement:
        self.pos += 1
        self.take_word("INTO")
        name = self.identifier()
        self.take_word("VALUE")
        value = self.literal(item=True)
        if "M" not in value:
            raise malformed("INSERT VALUE must be a tuple")
        return Statement("INSERT", name, item=value["M"])

    def update(self) -> Statement:
        self.pos += 1
        name = self.identifier()
        self.no_alias()
        statement = Statement("UPDATE", name)
        while self.word("SET", "REMOVE"):
            if self.word("SET"):
                self.pos += 1
                while True:
                    target = self.path()
                    self.take_punct("=")
                    statement.sets.append((target, self.set_value()))
                    if not self.punct(","):
                        break
                    self.pos += 1
            else:
                self.pos += 1
                statement.removes.append(self.path())
                while self.punct(","):
                    self.pos += 1
                    statement.removes.append(self.path())
        if not statement.sets and not statement.removes:
            raise malformed("Expected SET or REMOVE")
        statement.where = self.where()
        statement.returning = self.returning()
        return statement

    def delete(self) -> Statement:
        self.pos += 1
        self.take_word("FROM")
        name = self.identifier()
        self.no_alias()
        statement = Statement("DELETE", name)
        statement.where = self.where()
        statement.returning = self.returning()
        return statement

    def returning(self) -> str | None:
        if not self.word("RETURNING"):
            return None
        self.pos += 1
        scope = self.identifier().upper()
        which = self.identifier().upper()
        self.take_punct("*")
        return f"{scope}_{which}"

    def where(self) -> tuple:
        self.take_word("WHERE")
        return self.condition()

    def condition(self) -> tuple:
        node = self.conjunction()
        while self.word("OR"):
            self.pos += 1
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> tuple:
        node = self.negation()
        while self.word("AND"):
            self.pos += 1
            node = ("and", node, self.negation())
        return node

    def negation(self) -> tuple:
        if self.word("NOT"):
            self.pos += 1
            return ("not", self.negation())
        return self.predicate()

    def predicate(self) -> tuple:
        if self.punct("("):
            self.pos += 1
            node = self.condition()
            self.take_punct(")")
            return node
        if self.tok[0] == "word" and self.tok[1].lower() in ("begins_with", "contains", "attribute_type") \
                and self.tokens[self.pos + 1][1] == "(":
            name = self.tok[1].lower()
            self.pos += 2
            target = self.path()
            self.take_punct(",")
            argument = self.operand()
            self.take_punct(")")
            return ("func", name, (target, argument))
        left = self.operand()
        if self.word("IS"):
            self.pos += 1
            negate = False
            if self.word("NOT"):
                self.pos += 1
                negate = True
            if self.word("MISSING"):
                self.pos += 1
                return ("func", "attribute_exists" if negate else "attribute_not_exists", (left,))
            if self.word("NULL"):
                self.pos += 1
                node = ("func", "attribute_type", (left, ("value", {"S": "NULL"}, "")))
                return ("not", node) if negate else node
            raise malformed("Expected MISSING or NULL")
        if self.word("BETWEEN"):
            self.pos += 1
            low = self.operand()
            self.take_word("AND")
            return ("between", left, low, self.operand())
        if self.word("IN"):
            self.pos += 1
            closing = "]" if self.punct("[") else ")"
            self.pos += 1
            options = [self.operand()]
            while self.punct(","):
                self.pos += 1
                options.append(self.operand())
            self.take_punct(closing)
            return ("in", left, tuple(options))
        kind, text = self.tok
        if kind == "punct" and text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            return ("cmp", "<>" if text == "!=" else text, left, self.operand())
        raise malformed(f"Unexpected token: {text}")

    def operand(self) -> tuple:
        kind, _ = self.tok
        if kind in ("word", "quoted") and not self.word("TRUE", "FALSE", "NULL"):
            return self.path()
        return ("value", self.literal(), "")

    def set_value(self) -> tuple:
        left = self.operand()
        if self.punct("+") or self.punct("-"):
            op = self.tok[1]
            self.pos += 1
            return (op, left, self.operand())
        return left

    def path(self) -> tuple:
        elements: list[str | int] = [self.identifier()]
        while True:
            if self.punct("."):
                self.pos += 1
                elements.append(self.identifier())
            elif self.punct("["):
                self.pos += 1
                kind, text = self.tok
                if kind == "number":
                    elements.append(int(text))
                elif kind == "string":
                    elements.append(text[1:-1].replace("''", "'"))
                else:
                    raise malformed("Expected index")
                self.pos += 1
                self.take_punct("]")
            else:
                return ("path", tuple(elements))

    def literal(self, path: str = "root", item: bool = False) -> dict:
        """A literal value; `path` names where it sits inside an attribute's value (root,
        root.key, root[1]), as DynamoDB appends it to a number's error. An INSERT's item is no
        attribute value: each of its attributes is a root."""
        kind, text = self.tok
        self.pos += 1
        if kind == "string":
            return {"S": text[1:-1].replace("''", "'")}
        if kind == "number":
            try:
                return {"N": normalize_number(text)}
            except ValidationException as error:
                raise ValidationException(f"{error.message} under {path}") from None
            except ArithmeticError:  # an exponent beyond what a number can carry at all
                raise ValidationException(NOT_WELL_FORMED) from None
        if kind == "word" and text.upper() in ("TRUE", "FALSE"):
            return {"BOOL": text.upper() == "TRUE"}
        if kind == "word" and text.upper() == "NULL":
            return {"NULL": True}
        if kind == "punct" and text == "?":
            if self.used_parameters >= len(self.parameters):
                raise ValidationException("Number of parameters in request and statement don't match.")
            value = validate_value(self.parameters[self.used_parameters])
            self.used_parameters += 1
            return value
        if kind == "punct" and text == "{":
            entries: dict[str, dict] = {}
            while not self.punct("}"):
                key_kind, key = self.tok
                if key_kind not in ("string", "quoted"):
                    raise malformed("Expected key")
                self.pos += 1
                self.take_punct(":")
                entries[key[1:-1]] = self.literal("root" if item else f"{path}.{key[1:-1]}")
                if self.punct(","):
                    self.pos += 1
            self.pos += 1
            return {"M": entries}
        if kind == "punct" and text == "[":
            elements: list[dict] = []
            while not self.punct("]"):
                elements.append(self.literal(f"{path}[{len(elements)}]"))
                if self.punct(","):
                    self.pos += 1
            self.pos += 1
            return {"L": elements}
        if kind == "punct" and text == "<<":
            members = []
            while not self.punct(">>"):
                members.append(self.literal())
                if self.punct(","):
                    self.pos += 1
            self.pos += 1
            kinds = {next(iter(m)) for m in members}
            if len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
                raise malformed("Set members must be strings, numbers or binaries of one type")
            set_kind = next(iter(kinds))
            return validate_value({set_kind + "S": [m[set_kind] for m in members]})
        raise malformed(f"Unexpected token: {text}")


def parse_statement(text: str, parameters: list[Any] | None = None) -> Statement:
    if not text or not text.strip():
        raise ValidationException("1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length greater than or equal to 1")
    return _Parser(text, parameters).statement()
