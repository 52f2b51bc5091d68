"""Tokens of a Logs Insights query.

A '/' starts a regular expression where an operand is expected (after `like`, `=~`, a comma, an
open parenthesis, the start of a command) and is division after an operand, as in the query
syntax pages' examples (`filter @message like /Exception/`, `fields bytes / 1024`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from overcast.services.logs.insights.errors import MalformedQuery


@dataclass(frozen=True)
class Token:
    kind: str  # name, field (a backquoted name), number, duration, string, regex, op, end
    text: str  # the value (a string's or regex's contents, unescaped)
    start: int  # offsets in the query string, for MalformedQueryException's location
    end: int


_NAME = re.compile(r"[@A-Za-z_][A-Za-z0-9_.@$]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([A-Za-z]+)")
_OPERATORS = ("!=", "<=", ">=", "=~", "==", "||", "&&", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-",
              "*", "/", "%", "^", ":")
# After these a '/' divides; after anything else it opens a regular expression.
_OPERAND_END = {"name", "field", "number", "duration", "string", "regex"}
_KEYWORDS = {"like", "and", "or", "not", "in", "by", "as", "parse", "filter", "fields", "stats", "display", "sort",
             "dedup", "limit"}


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":  # a comment runs to the end of its line
            newline = query.find("\n", i)
            i = n if newline < 0 else newline + 1
            continue
        if ch in "\"'":
            i = _string(query, i, tokens)
            continue
        if ch == "`":
            close = query.find("`", i + 1)
            if close < 0:
                raise MalformedQuery("Unterminated quoted field name", i, n - 1)
            tokens.append(Token("field", query[i + 1:close], i, close))
            i = close + 1
            continue
        if ch == "/" and not _operand_before(tokens):
            i = _regex(query, i, tokens)
            continue
        if ch.isdigit():
            duration = _DURATION.match(query, i)
            number = _NUMBER.match(query, i)
            assert number is not None
            if duration and duration.end() > number.end() and not re.match(r"[eE][+-]?\d", query[number.end() - 1:]):
                tokens.append(Token("duration", duration.group(0), i, duration.end() - 1))
                i = duration.end()
            else:
                tokens.append(Token("number", number.group(0), i, number.end() - 1))
                i = number.end()
            continue
        name = _NAME.match(query, i)
        if name:
            tokens.append(Token("name", name.group(0), i, name.end() - 1))
            i = name.end()
            continue
        for op in _OPERATORS:
            if query.startswith(op, i):
                tokens.append(Token("op", op, i, i + len(op) - 1))
                i += len(op)
                break
        else:
            raise MalformedQuery(f"token recognition error at: '{ch}'", i, i)
    tokens.append(Token("end", "<EOF>", n, n))
    return tokens


def _operand_before(tokens: list[Token]) -> bool:
    if not tokens:
        return False
    last = tokens[-1]
    if last.kind == "name" and last.text.lower() in _KEYWORDS:
        return False
    if len(tokens) > 1 and tokens[-2].kind == "name" and tokens[-2].text.lower() == "parse":
        return False  # parse @message /(?<a>...)/: the field to parse, then its pattern
    return last.kind in _OPERAND_END or last.text in (")", "]")


def _string(query: str, i: int, tokens: list[Token]) -> int:
    quote, j, out = query[i], i + 1, []
    while j < len(query):
        ch = query[j]
        if ch == "\\" and j + 1 < len(query):
            nxt = query[j + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            j += 2
            continue
        if ch == quote:
            tokens.append(Token("string", "".join(out), i, j))
            return j + 1
        out.append(ch)
        j += 1
    raise MalformedQuery("Unterminated string literal", i, len(query) - 1)


def _regex(query: str, i: int, tokens: list[Token]) -> int:
    j, out = i + 1, []
    while j < len(query):
        ch = query[j]
        if ch == "\\" and j + 1 < len(query):
            # "\/" is a slash inside the expression; other escapes belong to the regex itself.
            out.append("/" if query[j + 1] == "/" else query[j:j + 2])
            j += 2
            continue
        if ch == "/":
            tokens.append(Token("regex", "".join(out), i, j))
            return j + 1
        out.append(ch)
        j += 1
    raise MalformedQuery("Unterminated regular expression", i, len(query) - 1)
