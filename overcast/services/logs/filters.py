"""CloudWatch Logs filter patterns (the "Filter and pattern syntax" page of the user guide).

Three kinds:
- terms: words separated by spaces must all occur; "quoted phrases" are one term; ?term makes
  the pattern match when any of the ?terms occurs; -term (or "- term") excludes. Case-sensitive.
- JSON: { $.a.b[0] = "x" && ($.n > 5 || $.flag IS TRUE) }, with =, != (strings, * at either end
  as a wildcard), <, >, <=, >=, = and != on numbers, IS TRUE / IS FALSE / IS NULL, NOT EXISTS.
  A message that is not JSON never matches; a selector that names an object or array never
  matches either (not even with !=).
- space-delimited: [ip, user, ..., status = 4* && bytes > 1000, bytes]: the message is split on
  spaces ("..." and [...] are single fields), each named field may carry conditions on any field
  named, "..." stands for any number of fields and an empty slot for one field without a name.

In all three, %...% is a regular expression, searched anywhere in the text it is matched
against (a term, a JSON value, a field).

An empty pattern matches everything. A JSON or space-delimited pattern that cannot be parsed is
refused, as AWS refuses it: InvalidFilterPattern, which FilterLogEvents answers as
InvalidParameterException "Invalid filter pattern" (or, for a '{' without its '}', AWS's own
sentence for that). One nested past Python's stack, or whose quoted value is no JSON string,
matches everything instead: the pattern may be valid, and nothing is silently filtered out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

Matcher = Callable[[str], bool]
Extractor = Callable[[str], "dict[str, str] | None"]
_MISSING = object()


class InvalidFilterPattern(ValueError):
    """A pattern AWS would refuse; the message is AWS's."""


class _PatternError(ValueError):
    """Where a JSON or space-delimited pattern stops making sense: our reason, for debugging; the
    caller is told AWS's words (InvalidFilterPattern)."""


def compile_pattern(pattern: str | None) -> Matcher:
    pattern = (pattern or "").strip()
    if not pattern:
        return lambda message: True
    if pattern.startswith("{") and not pattern.endswith("}"):
        raise InvalidFilterPattern("If a filter pattern starts with '{' it must end with '}'")
    try:
        if pattern.startswith("{"):
            return _compile_json(pattern[1:-1])
        if pattern.startswith("[") and pattern.endswith("]"):
            fields = _compile_delimited(pattern[1:-1])
            return lambda message: fields(message) is not None
    except _PatternError:
        raise InvalidFilterPattern("Invalid filter pattern") from None
    except (ValueError, RecursionError):  # a quoted value that is no JSON string, or nesting past the stack
        return lambda message: True
    return _compile_terms(pattern)


def compile_extractor(pattern: str) -> Extractor:
    """What TestMetricFilter reports of a message: None when the pattern does not match it, else
    the values a space-delimited pattern extracts ("$name" for a named field, "$N" for the Nth
    field otherwise, as the API reference's examples show), or nothing for the other kinds."""
    pattern = pattern.strip()
    if pattern.startswith("[") and pattern.endswith("]"):
        try:
            return _compile_delimited(pattern[1:-1])
        except _PatternError:
            raise InvalidFilterPattern("Invalid filter pattern") from None
    matches = compile_pattern(pattern)
    return lambda message: {} if matches(message) else None


# -- terms --------------------------------------------------------------------------------------


_TERM = re.compile(r'([-?]?)("[^"]*"|\S+)')


def _compile_terms(pattern: str) -> Matcher:
    # Each word with its sign: a quoted word is a literal whatever it starts with ("-dash" is
    # the text -dash), and a lone sign applies to the word after it ("ERROR" - "Exiting").
    required: list[Matcher] = []
    optional: list[Matcher] = []
    excluded: list[Matcher] = []
    pending = ""
    for attached, word in _TERM.findall(pattern):
        if not attached and word in ("-", "?"):
            pending = word
            continue
        term_sign, pending = attached or pending, ""
        if word.startswith('"'):
            word = word[1:-1] if len(word) > 1 and word.endswith('"') else word[1:]
        if word:
            {"": required, "?": optional, "-": excluded}[term_sign].append(_term_test(word))

    def match(message: str) -> bool:
        if any(t(message) for t in excluded):
            return False
        if optional and not any(t(message) for t in optional):
            return False
        return all(t(message) for t in required)

    return match


def _regex(text: str) -> re.Pattern[str] | None:
    """%...%: a regular expression (the user guide's "Using regular expressions in filter
    patterns"), searched anywhere in the text; None for anything else or an invalid one."""
    if len(text) > 2 and text.startswith("%") and text.endswith("%"):
        try:
            return re.compile(text[1:-1])
        except re.error:
            raise _PatternError(f"bad regular expression {text}") from None
    return None


def _term_test(word: str) -> Callable[[str], bool]:
    """A term: a substring of the message, or a regular expression found in it."""
    try:
        regex = _regex(word)
    except _PatternError:
        regex = None  # not a usable expression: the text itself is looked for
    if regex is not None:
        return lambda message: regex.search(message) is not None
    return lambda message: word in message


# -- values shared by JSON and space-delimited patterns ----------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _wildcard(text: str) -> Callable[[str], bool]:
    """A string value: '*' at its start or end matches any text there; elsewhere it is literal."""
    if text == "*":
        return lambda value: True
    starts, ends = text.startswith("*"), text.endswith("*")
    core = text[1 if starts else 0:len(text) - 1 if ends and len(text) > 1 else len(text)]
    if starts and ends:
        return lambda value: core in value
    if starts:
        return lambda value: value.endswith(core)
    if ends:
        return lambda value: value.startswith(core)
    return lambda value: value == core


def _condition(op: str, raw: str, quoted: bool) -> Callable[[Any], bool]:
    """A test of one value (a JSON scalar, or a field's text) against `op raw`."""
    number = None if quoted or not _NUMBER.fullmatch(raw) else float(raw)
    if op not in ("=", "!=") and number is None:
        raise _PatternError(f"{op} needs a number")
    regex = None if quoted else _regex(raw)
    text_matches = (lambda text: regex.search(text) is not None) if regex is not None else _wildcard(raw)

    def test(value: Any) -> bool:
        if value is _MISSING or isinstance(value, (dict, list)):
            return False
        if number is not None and not isinstance(value, bool):
            as_number = _as_number(value)
            if as_number is not None:
                return _COMPARE[op](as_number, number)
        if op not in ("=", "!="):
            return False
        text = value if isinstance(value, str) else json.dumps(value)
        return text_matches(text) == (op == "=")

    return test


def _as_number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


# -- JSON ---------------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r"""\s*(?:
    (?P<sel>\$(?:\.[A-Za-z0-9_\-@]+|\[\d+\])*)
  | (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<word>[^\s()&|=<>!"]+)
)""", re.VERBOSE)


def _json_tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        found = _JSON_TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise _PatternError(f"unexpected text at {pos}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        pos = found.end()
    return tokens


def _compile_json(body: str) -> Matcher:
    tokens = _json_tokens(body)
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        if position >= len(tokens):
            raise _PatternError("pattern ends early")
        position += 1
        return tokens[position - 1]

    def parse_or() -> Callable[[Any], bool]:
        parts = [parse_and()]
        while peek() == ("op", "||"):
            take()
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda doc: any(p(doc) for p in parts))

    def parse_and() -> Callable[[Any], bool]:
        parts = [parse_unary()]
        while peek() == ("op", "&&"):
            take()
            parts.append(parse_unary())
        return parts[0] if len(parts) == 1 else (lambda doc: all(p(doc) for p in parts))

    def parse_unary() -> Callable[[Any], bool]:
        if peek() == ("op", "("):
            take()
            inner = parse_or()
            if take() != ("op", ")"):
                raise _PatternError("unbalanced parenthesis")
            return inner
        kind, selector = take()
        if kind != "sel":
            raise _PatternError("a selector ($.name) was expected")
        path = _selector_path(selector)
        kind, word = take()
        if kind == "word" and word.upper() in ("IS", "NOT"):
            _, what = take()
            check = {("IS", "TRUE"): lambda v: v is True, ("IS", "FALSE"): lambda v: v is False,
                     ("IS", "NULL"): lambda v: v is None, ("NOT", "EXISTS"): lambda v: v is _MISSING,
                     }.get((word.upper(), what.upper()))
            if check is None:
                raise _PatternError(f"unknown test {word} {what}")
            return lambda doc: check(_select(doc, path))
        if kind != "op" or word not in _COMPARE:
            raise _PatternError("an operator was expected")
        value_kind, raw = take()
        if value_kind == "str":
            test = _condition(word, json.loads(raw), quoted=True)
        elif value_kind == "word":
            test = _condition(word, raw, quoted=False)
        else:
            raise _PatternError("a value was expected")
        return lambda doc: test(_select(doc, path))

    expression = parse_or()
    if position != len(tokens):
        raise _PatternError("text after the expression")

    def match(message: str) -> bool:
        try:
            document = json.loads(message)
            return isinstance(document, (dict, list)) and expression(document)
        except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
            return False

    return match


def _selector_path(selector: str) -> list[str | int]:
    return [int(step[1:-1]) if step.startswith("[") else step[1:]
            for step in re.findall(r"\.[^.\[]+|\[\d+\]", selector[1:])]


def _select(document: Any, path: list[str | int]) -> Any:
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
        elif not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


# -- space-delimited ----------------------------------------------------------------------------------

_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')
_CONDITION = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_\-]*)\s*(!=|<=|>=|=|<|>)\s*("(?:[^"\\]|\\.)*"|[^\s&|]+)\s*')


def _compile_delimited(body: str) -> Extractor:
    """The message's fields by name ("$name", or "$N" for the Nth field when its slot has no
    name or the ellipsis covers it) when the pattern matches, else None."""
    slots = [s.strip() for s in body.split(",")] if body.strip() else ["..."]  # "[]": any fields
    names: list[str | None] = []  # None: the ellipsis
    checks: list[Callable[[dict[str, str]], bool]] = []
    for slot in slots:
        if slot == "...":
            names.append(None)
            continue
        if slot == "":  # [..., status_code=4*,]: an empty slot is a field without a name
            names.append("")
            continue
        name = re.match(r"[A-Za-z_][A-Za-z0-9_\-]*", slot)
        if not name:
            raise _PatternError(f"bad field {slot!r}")
        names.append(name.group(0))
        if slot[name.end():].strip():
            checks.append(_delimited_conditions(slot))
    if names.count(None) > 1:
        raise _PatternError("one ellipsis at most")
    cut = names.index(None) if None in names else -1

    def extract(message: str) -> dict[str, str] | None:
        fields = [found.group(found.lastindex or 0) for found in _FIELD.finditer(message)]
        if cut >= 0:
            before, after = names[:cut], names[cut + 1:]
            covered = len(fields) - len(before) - len(after)
            if covered < 0:
                return None
            slot_names = before + [""] * covered + after
        else:
            if len(fields) != len(names):
                return None
            slot_names = names
        values = {name: value for name, value in zip(slot_names, fields, strict=True) if name}
        if not all(check(values) for check in checks):
            return None
        return {f"${name or position}": value
                for position, (name, value) in enumerate(zip(slot_names, fields, strict=True), start=1)}

    return extract


def _delimited_conditions(slot: str) -> Callable[[dict[str, str]], bool]:
    """'status = 4* && bytes > 1000' or 'w1 = ERROR || w1 = WARN': && binds tighter than ||."""
    alternatives = []
    for alternative in slot.split("||"):
        tests = []
        for part in alternative.split("&&"):
            found = _CONDITION.fullmatch(part)
            if not found:
                raise _PatternError(f"bad condition {part!r}")
            name, op, raw = found.groups()
            quoted = raw.startswith('"')
            tests.append((name, _condition(op, json.loads(raw) if quoted else raw, quoted)))
        alternatives.append(tests)

    def check(values: dict[str, str]) -> bool:
        return any(all(test(values.get(name, _MISSING)) for name, test in tests) for tests in alternatives)

    return check
