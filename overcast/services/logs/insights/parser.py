"""A recursive-descent parser for Logs Insights queries: commands joined by '|' (fields, display,
filter, stats, sort, limit, parse, dedup), and the expressions inside them, from loosest to
tightest: or, and, not, comparison (=, !=, <, <=, >, >=, like, not like, =~, in, not in),
+ -, * / %, ^, unary minus, and operands (numbers, strings, /regex/, fields, function calls,
[lists], parentheses). Keywords are case-insensitive, as in the syntax pages' examples."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from overcast.services.logs.insights.aggregates import AGGREGATES
from overcast.services.logs.insights.errors import MalformedQuery
from overcast.services.logs.insights.expressions import (
    Aggregate,
    Binary,
    Call,
    Expression,
    FieldRef,
    In,
    Like,
    ListOf,
    Literal,
    Negate,
    Not,
    Period,
    Regex,
    walk,
)
from overcast.services.logs.insights.functions import SCALAR, period_unit
from overcast.services.logs.insights.lexer import Token, tokenize

Named = tuple[str, Expression]


@dataclass
class Fields:
    items: list[Named]


@dataclass
class Display:
    names: list[str]
    refs: list[FieldRef] = field(default_factory=list)


@dataclass
class Filter:
    condition: Expression


@dataclass
class Stats:
    items: list[Named]
    groups: list[Named]
    aggregates: list[Aggregate] = field(default_factory=list)


@dataclass
class Sort:
    keys: list[tuple[Expression, bool]]  # (key, descending)


@dataclass
class Limit:
    count: int
    any: bool = False  # `limit any N`: stop reading once N events have come through


@dataclass
class Parse:
    source: Expression
    pattern: re.Pattern[str]
    names: list[str]


@dataclass
class Dedup:
    names: list[str]
    refs: list[FieldRef] = field(default_factory=list)


Command = Fields | Display | Filter | Stats | Sort | Limit | Parse | Dedup
COMMANDS = ("fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup")
# How ANTLR names what it expected (the form of the error quoted in boto/boto3#3450).
_EXPECTED_COMMAND = "{" + ", ".join(f"K_{name.upper()}" for name in COMMANDS) + "}"
_slots = itertools.count()


@dataclass
class Source:
    """SOURCE logGroups(namePrefix: [...], logGroupClass: [...], accountIdentifiers: [...]): the
    log groups a query names itself (the SOURCE page; the API and CLI only)."""

    prefixes: list[str]
    classes: list[str]
    accounts: list[str]


# The SOURCE page's keywords; `class` as well, the form of its own examples.
_SOURCE_KEYS = {"nameprefix": "prefixes", "class": "classes",
                "accountidentifiers": "accounts", "accountidentifier": "accounts", "loggroupclass": "classes"}


@dataclass
class ParsedQuery:
    source: Source | None
    commands: list[Command]
    body: str  # the query after its SOURCE command, if it has one


# How deeply a query's expressions may nest: parentheses, function arguments, lists and chains
# of not, unary minus or ^ (each level costs the recursive-descent parser about ten frames of
# Python's stack), and how deep an expression's tree may grow (evaluation recurses down it).
MAX_NESTING = 50
MAX_TREE_DEPTH = 200
NESTED_TOO_DEEPLY = (f"The query's expressions are nested too deeply (at most {MAX_NESTING} levels of nesting "
                     f"and {MAX_TREE_DEPTH} operators deep)")


def _tree_depth(expression: Expression) -> int:
    deepest, todo = 0, [(expression, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in node.children())
    return deepest


def parse_query(query: str) -> ParsedQuery:
    return _Parser(query).query()


class _Parser:
    def __init__(self, query: str):
        self.query_text = query
        self.tokens = tokenize(query)
        self.pos = 0
        self.depth = 0  # expressions and prefix operators being parsed, one inside the other

    # -- tokens -----------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.token.kind == "name" and self.token.text.lower() in words

    def at_op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def fail(self, expecting: str, token: Token | None = None) -> MalformedQuery:
        token = token or self.token
        return MalformedQuery(f"mismatched input '{token.text}' expecting {expecting}", token.start, token.end)

    def expect_op(self, op: str) -> Token:
        if not self.at_op(op):
            raise self.fail(f"'{op}'")
        return self.advance()

    def source(self, first: Token, last: Token) -> str:
        return self.query_text[first.start:last.end + 1].strip()

    # -- commands ---------------------------------------------------------------------------

    def query(self) -> ParsedQuery:
        source = None
        if self.at_keyword("source"):
            self.advance()
            source = self.source_command()
            self.expect_op("|")
        body = self.query_text[self.token.start:] if source is not None else self.query_text
        commands = [self.command()]
        while self.at_op("|"):
            self.advance()
            commands.append(self.command())
        if self.token.kind != "end":
            raise self.fail("{<EOF>, '|'}")
        scope = _Scope()
        for command in commands:
            scope.check(command)
        return ParsedQuery(source, commands, body)

    def source_command(self) -> Source:
        if not self.at_keyword("loggroups"):
            raise self.fail("K_LOGGROUPS")
        self.advance()
        self.expect_op("(")
        found: dict[str, list[str]] = {"prefixes": [], "classes": [], "accounts": []}
        while not self.at_op(")"):
            key = self.token
            if key.kind != "name" or key.text.lower() not in _SOURCE_KEYS:
                raise self.fail("{namePrefix, logGroupClass, accountIdentifiers}")
            self.advance()
            self.expect_op(":")
            values = self.operand()
            items = values.items if isinstance(values, ListOf) else [values]
            if not all(isinstance(item, Literal) and isinstance(item.value, str) for item in items):
                raise MalformedQuery("SOURCE values are strings in a list", key.start, self.tokens[self.pos - 1].end)
            found[_SOURCE_KEYS[key.text.lower()]].extend(str(item.evaluate({})) for item in items)
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(")")
        return Source(found["prefixes"], found["classes"], found["accounts"])

    def command(self) -> Command:
        if not self.at_keyword(*COMMANDS):
            raise self.fail(_EXPECTED_COMMAND)
        word = self.advance().text.lower()
        self.named: list[FieldRef] = []
        command = getattr(self, "command_" + word)()
        if isinstance(command, (Display, Dedup)):
            command.refs = self.named
        return command

    def command_fields(self) -> Fields:
        return Fields(self.named_list(allow_aggregates=False))

    def command_display(self) -> Display:
        return Display(self.name_list(remember=True))

    def command_dedup(self) -> Dedup:
        return Dedup(self.name_list(remember=True))

    def command_filter(self) -> Filter:
        condition = self.expression()
        self.no_aggregates(condition)
        return Filter(condition)

    def command_stats(self) -> Stats:
        items = self.named_list(allow_aggregates=True)
        groups: list[Named] = []
        if self.at_keyword("by"):
            self.advance()
            groups = self.named_list(allow_aggregates=False)
        aggregates = []
        for _, expression in items:
            found = [node for node in walk(expression) if isinstance(node, Aggregate)]
            aggregates.extend(found)
        if not aggregates:
            first = self.tokens[max(0, self.pos - 1)]
            raise MalformedQuery("stats must contain at least one aggregate function", first.start, first.end)
        return Stats(items, groups, aggregates)

    def command_sort(self) -> Sort:
        keys = []
        while True:
            key = self.expression()
            descending = False
            if self.at_keyword("asc", "desc"):
                descending = self.advance().text.lower() == "desc"
            keys.append((key, descending))
            if not self.at_op(","):
                return Sort(keys)
            self.advance()

    def command_limit(self) -> Limit:
        early = self.at_keyword("any")
        if early:
            self.advance()
        token = self.token
        if token.kind != "number" or not token.text.isdigit() or int(token.text) < 1:
            raise self.fail("INTEGER")
        self.advance()
        return Limit(int(token.text), early)

    def command_parse(self) -> Parse:
        if self.token.kind in ("string", "regex"):
            source: Expression = FieldRef("@message")  # `parse "..."`: the message, as the examples use it
        else:
            source = self.operand()
        token = self.token
        if token.kind == "regex":
            self.advance()
            pattern = _compile_regex(token)
            names = list(pattern.groupindex)
            if not names:
                raise MalformedQuery("A parse regular expression needs at least one named group", token.start,
                                     token.end)
            return Parse(source, pattern, names)
        if token.kind != "string":
            raise self.fail("{STRING, REGEX}")
        self.advance()
        stars = token.text.count("*")
        if not self.at_keyword("as"):
            raise self.fail("K_AS")
        self.advance()
        names = self.name_list()
        if stars != len(names):
            raise MalformedQuery(f"The number of fields ({len(names)}) does not match the number of wildcards "
                                 f"({stars}) in the pattern", token.start, token.end)
        return Parse(source, _glob(token.text), names)

    def named_list(self, allow_aggregates: bool) -> list[Named]:
        items: list[Named] = []
        while True:
            first = self.token
            expression = self.expression()
            last = self.tokens[self.pos - 1]
            if not allow_aggregates:
                self.no_aggregates(expression)
            name = expression.name if isinstance(expression, FieldRef) else self.source(first, last)
            if self.at_keyword("as"):
                self.advance()
                name = self.field_name()
            items.append((name, expression))
            if not self.at_op(","):
                return items
            self.advance()

    def name_list(self, remember: bool = False) -> list[str]:
        """Field names separated by commas; `remember` keeps them as references, for scope()."""
        first = self.pos
        names = [self.field_name()]
        while self.at_op(","):
            self.advance()
            names.append(self.field_name())
        if remember:
            self.named = [FieldRef(t.text, t.start, t.end) for t in self.tokens[first:self.pos] if t.kind != "op"]
        return names

    def field_name(self) -> str:
        if self.token.kind not in ("name", "field"):
            raise self.fail("FIELD")
        return self.advance().text

    def no_aggregates(self, expression: Expression) -> None:
        for node in walk(expression):
            if isinstance(node, Aggregate):
                raise MalformedQuery(f"Aggregate function {node.name} can only be used in stats", 0,
                                     len(self.query_text) - 1)

    # -- expressions ------------------------------------------------------------------------

    def deeper(self, parse: Callable[[], Expression]) -> Expression:
        """Parses one level further in; past MAX_NESTING the query is refused (Python's stack
        would end first, an internal error), and so is an expression whose tree is deeper than
        MAX_TREE_DEPTH (a + b + ... + z thousands long, which evaluation could not recurse)."""
        if self.depth >= MAX_NESTING:
            token = self.token
            raise MalformedQuery(NESTED_TOO_DEEPLY, token.start, token.end)
        self.depth += 1
        start = self.token
        try:
            expression = parse()
        finally:
            self.depth -= 1
        if self.depth == 0 and _tree_depth(expression) > MAX_TREE_DEPTH:
            raise MalformedQuery(NESTED_TOO_DEEPLY, start.start, self.tokens[self.pos - 1].end)
        return expression

    def expression(self) -> Expression:
        return self.deeper(self._expression)

    def _expression(self) -> Expression:
        left = self.conjunction()
        while self.at_keyword("or") or self.at_op("||"):
            self.advance()
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self) -> Expression:
        left = self.negation()
        while self.at_keyword("and") or self.at_op("&&"):
            self.advance()
            left = Binary("and", left, self.negation())
        return left

    def negation(self) -> Expression:
        if self.at_keyword("not"):
            self.advance()
            return Not(self.deeper(self.negation))
        return self.comparison()

    def comparison(self) -> Expression:
        left = self.additive()
        negated = False
        if self.at_keyword("not") and self.tokens[self.pos + 1].kind == "name" \
                and self.tokens[self.pos + 1].text.lower() in ("like", "in"):
            self.advance()
            negated = True
        if self.at_keyword("like") or self.at_op("=~"):
            regex_only = self.advance().text == "=~"
            token = self.token
            if token.kind == "regex":
                self.advance()
                return Like(left, _compile_regex(token), None, negated)
            if token.kind == "string" and not regex_only:
                self.advance()
                return Like(left, None, token.text, negated)
            raise self.fail("{STRING, REGEX}" if not regex_only else "REGEX")
        if self.at_keyword("in"):
            self.advance()
            options = self.operand()
            if not isinstance(options, ListOf):
                raise self.fail("'['")
            return In(left, options.items, negated)
        if negated:
            raise self.fail("{K_LIKE, K_IN}")
        if self.at_op("=", "==", "!=", "<", "<=", ">", ">="):
            op = self.advance().text
            return Binary(op, left, self.additive())
        return left

    def additive(self) -> Expression:
        left = self.multiplicative()
        while self.at_op("+", "-"):
            left = Binary(self.advance().text, left, self.multiplicative())
        return left

    def multiplicative(self) -> Expression:
        left = self.power()
        while self.at_op("*", "/", "%"):
            left = Binary(self.advance().text, left, self.power())
        return left

    def power(self) -> Expression:
        base = self.unary()
        if self.at_op("^"):
            self.advance()
            return Binary("^", base, self.deeper(self.power))
        return base

    def unary(self) -> Expression:
        if self.at_op("-"):
            self.advance()
            return Negate(self.deeper(self.unary))
        return self.operand()

    def operand(self) -> Expression:
        token = self.token
        if token.kind == "number":
            self.advance()
            return Literal(float(token.text) if any(c in token.text for c in ".eE") else int(token.text))
        if token.kind == "string":
            self.advance()
            return Literal(token.text)
        if token.kind == "regex":
            self.advance()
            return Regex(_compile_regex(token))
        if token.kind == "duration":
            self.advance()
            return _period(token)
        if token.kind == "field":
            self.advance()
            return FieldRef(token.text, token.start, token.end)
        if token.kind == "name":
            self.advance()
            if self.at_op("("):
                return self.call(token)
            lowered = token.text.lower()
            if lowered in ("true", "false"):
                return Literal(lowered == "true")
            return FieldRef(token.text, token.start, token.end)
        if self.at_op("("):
            self.advance()
            inner = self.expression()
            self.expect_op(")")
            return inner
        if self.at_op("["):
            self.advance()
            items: list[Expression] = []
            if not self.at_op("]"):
                items.append(self.expression())
                while self.at_op(","):
                    self.advance()
                    items.append(self.expression())
            self.expect_op("]")
            return ListOf(items)
        raise self.fail("{FIELD, NUMBER, STRING, REGEX, '(', '['}")

    def call(self, name_token: Token) -> Expression:
        self.expect_op("(")
        name = name_token.text
        lowered = name.lower()
        args: list[Expression] = []
        if lowered == "count" and self.at_op("*"):
            self.advance()
        elif not self.at_op(")"):
            args.append(self.expression())
            while self.at_op(","):
                self.advance()
                args.append(self.expression())
        self.expect_op(")")
        if lowered in AGGREGATES:
            arity = AGGREGATES[lowered].arity
            if not arity[0] <= len(args) <= arity[1]:
                raise MalformedQuery(f"Wrong number of arguments for {name}", name_token.start, name_token.end)
            return Aggregate(lowered, args, slot=f"\0agg{next(_slots)}")
        if lowered == "bin":  # bin(period): the event's @timestamp floored to the period
            if len(args) != 1 or not isinstance(args[0], Period):
                raise MalformedQuery("bin expects one period such as 5m", name_token.start, name_token.end)
            return Call("datefloor", [FieldRef("@timestamp"), args[0]])
        canonical = next((f for f in SCALAR if f.lower() == lowered), None)
        if canonical is None:
            raise MalformedQuery(f"Unknown function: {name}", name_token.start, name_token.end)
        return Call(canonical, args)


class _Scope:
    """After a stats command only its columns exist, and the fields later commands make: a
    reference to any other field is refused, in AWS's words ("Unknown symbols found in or after
    stats: request_source", quoted from AWS in trade-tariff/trade-tariff-backend#3464). Inside
    a stats command, what lies outside its aggregate functions may name its by-fields and the
    items before it (the query examples page's `provisonedMemoryMB - maxMemoryUsedMB`)."""

    def __init__(self) -> None:
        self.known: set[str] | None = None  # None: before any stats, every field may exist

    def check(self, command: Command) -> None:
        if isinstance(command, Stats):
            for _, expression in command.groups:
                self.require(expression)
            for aggregate in command.aggregates:
                for arg in aggregate.args:
                    self.require(arg)
            visible = {name for name, _ in command.groups}
            for name, expression in command.items:
                self.require(expression, visible)
                visible.add(name)
            self.known = visible
        elif isinstance(command, Fields):
            for name, expression in command.items:
                self.require(expression)
                if self.known is not None:
                    self.known.add(name)
        elif isinstance(command, Filter):
            self.require(command.condition)
        elif isinstance(command, Sort):
            for expression, _ in command.keys:
                self.require(expression)
        elif isinstance(command, Parse):
            self.require(command.source)
            if self.known is not None:
                self.known.update(command.names)
        elif isinstance(command, (Display, Dedup)):
            for ref in command.refs:
                self.require(ref)

    def require(self, expression: Expression, names: set[str] | None = None) -> None:
        names = self.known if names is None else names
        if names is None:
            return
        unknown = [node for node in walk(expression) if isinstance(node, FieldRef) and node.name not in names
                   and node.start >= 0]
        if unknown:
            unknown.sort(key=lambda node: node.start)
            listed = ", ".join(dict.fromkeys(node.name for node in unknown))
            raise MalformedQuery(f"Unknown symbols found in or after stats: {listed}", unknown[0].start,
                                 unknown[0].end)


def _period(token: Token) -> Period:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]+)", token.text)
    unit = period_unit(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise MalformedQuery(f"Invalid time period: {token.text}", token.start, token.end)
    return Period(float(match.group(1)), unit)


def _compile_regex(token: Token) -> re.Pattern[str]:
    # Insights writes named groups as Java does, (?<name>...); Python spells them (?P<name>...).
    text = re.sub(r"\(\?<([A-Za-z][A-Za-z0-9_]*)>", r"(?P<\1>", token.text)
    try:
        return re.compile(text)
    except re.error as exc:
        raise MalformedQuery(f"Invalid regular expression: {exc}", token.start, token.end) from None


def _glob(pattern: str) -> re.Pattern[str]:
    """A parse glob: each * captures (lazily, but the last one takes the rest of the text), the
    rest is literal."""
    parts = pattern.split("*")
    regex = ""
    for i, part in enumerate(parts):
        regex += re.escape(part)
        if i < len(parts) - 1:
            regex += "(.*)" if i == len(parts) - 2 and parts[-1] == "" else "(.*?)"
    return re.compile(regex, re.DOTALL)
