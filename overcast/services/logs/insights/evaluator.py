"""Runs a parsed query over a stream of event records, command by command, each a generator
over the one before, so that events flow through without the group being held: fields, parse,
filter, display and dedup pass records on; stats and sort gather (stats one accumulator per
group, sort followed by limit only the rows it keeps).

Without a sort command and before any stats, records arrive newest first, which is Insights'
default order; the rows a query returns are capped by StartQuery's limit and its limit
command, else by 10,000 (DEFAULT_LIMIT)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from overcast.services.logs.insights.aggregates import AGGREGATES, Accumulator
from overcast.services.logs.insights.expressions import FieldRef, truthy
from overcast.services.logs.insights.parser import (
    Command,
    Dedup,
    Display,
    Fields,
    Filter,
    Limit,
    Parse,
    Sort,
    Stats,
)
from overcast.services.logs.insights.values import sort_key, to_text

# "If you omit limit, the query defaults to returning up to 10,000 log events" (the limit page;
# StartQuery's limit: "The default is 10,000").
DEFAULT_LIMIT = 10000
# What a query with no fields, display or stats command shows of each event: "the results show
# the @timestamp and all log data in the @message field" (the query syntax page, on
# `filter (duration>2000)`).
DEFAULT_COLUMNS = ["@timestamp", "@message"]

Record = dict[str, Any]


@dataclass
class Counters:
    """GetQueryResults' statistics: events read, the bytes of their messages, and how many got
    through the query's filters (up to its first stats, whose input they are)."""

    scanned: int = 0
    matched: int = 0
    bytes: int = 0


@dataclass
class Plan:
    commands: list[Command]
    columns: list[str] | None = None
    limit_command: bool = False


def plan(commands: list[Command]) -> Plan:
    """Which columns the rows carry: the fields named by fields commands (after the last stats,
    which replaces the rows with its own columns), or exactly a display command's."""
    out = Plan(commands)
    columns: list[str] | None = None
    display: list[str] | None = None
    for command in commands:
        if isinstance(command, Fields):
            columns = _union(columns or [], [name for name, _ in command.items])
        elif isinstance(command, Stats):
            columns = [name for name, _ in command.groups] + [name for name, _ in command.items]
            display = None
        elif isinstance(command, Display):
            display = list(command.names)
        elif isinstance(command, Limit):
            out.limit_command = True
    out.columns = display if display is not None else columns
    return out


def _union(left: list[str], right: list[str]) -> list[str]:
    return left + [name for name in right if name not in left]


def run(query: Plan, events: Iterable[Record], counters: Counters, limit: int | None) -> list[list[dict[str, str]]]:
    stream: Iterator[Record] = _counted_source(events, counters)
    matched_counted = False
    commands = query.commands
    # StartQuery's limit caps the rows; without it, a limit command has cut them already, or
    # the default does.
    cap = limit or (None if query.limit_command else DEFAULT_LIMIT)
    for i, command in enumerate(commands):
        if isinstance(command, Stats) and not matched_counted:
            stream, matched_counted = _count_matched(stream, counters), True
        keep = _rows_kept(commands[i + 1:], cap) if isinstance(command, Sort) else None
        stream = _STAGES[type(command)](command, stream, keep)
    if not matched_counted:
        stream = _count_matched(stream, counters)
    columns = query.columns or DEFAULT_COLUMNS
    rows: list[list[dict[str, str]]] = []
    for record in stream:
        if cap is None or len(rows) < cap:
            rows.append(_row(record, columns))
    return rows


def _rows_kept(following: list[Command], cap: int | None) -> int | None:
    """How many of a sort's first rows can reach the results: the fewest of the limits before
    any command that drops or regroups rows (filter, dedup, stats, another sort), else the
    query's cap. A sort then holds only those rows, never the whole time range's events."""
    kept = cap
    for command in following:
        if isinstance(command, Limit):
            return command.count if kept is None else min(kept, command.count)
        if not isinstance(command, (Fields, Display, Parse)):
            return None
    return kept


def _row(record: Record, columns: list[str]) -> list[dict[str, str]]:
    row = [{"field": name, "value": to_text(record[name])} for name in columns if record.get(name) is not None]
    if "@ptr" in record and "@ptr" not in columns:
        row.append({"field": "@ptr", "value": str(record["@ptr"])})
    return row


def _counted_source(events: Iterable[Record], counters: Counters) -> Iterator[Record]:
    for record in events:
        counters.scanned += 1
        counters.bytes += len(record["@message"].encode())
        yield record


def _count_matched(stream: Iterator[Record], counters: Counters) -> Iterator[Record]:
    for record in stream:
        counters.matched += 1
        yield record


# -- stages ------------------------------------------------------------------------------------

def _fields(command: Fields, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    for record in stream:
        for name, expression in command.items:
            if not (isinstance(expression, FieldRef) and expression.name == name):
                value = expression.evaluate(record)
                if value is None:
                    record.pop(name, None)
                else:
                    record[name] = value
        yield record


def _filter(command: Filter, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    for record in stream:
        if truthy(command.condition.evaluate(record)):
            yield record


def _parse(command: Parse, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    for record in stream:
        value = command.source.evaluate(record)
        match = command.pattern.search(to_text(value)) if value is not None else None
        if match is not None:
            groups = match.groupdict() if command.pattern.groupindex else dict(zip(command.names, match.groups(), strict=True))
            for name in command.names:
                if groups.get(name) is not None:
                    record[name] = groups[name]
        yield record


def _display(command: Display, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    return stream  # display chooses the columns (plan()); the records keep their fields


def _dedup(command: Dedup, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    seen: set[tuple[Any, ...]] = set()
    for record in stream:
        values = tuple(record.get(name) for name in command.names)
        if any(value is None for value in values):
            yield record  # the dedup page: events with a null in a dedup field are all kept
            continue
        if values not in seen:
            seen.add(values)
            yield record


def _limit(command: Limit, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    """The first N; the rest are still read (the statistics count them), unless `limit any N`
    asks to stop there ("the query completes early once enough results are found", the
    limit page)."""
    taken = 0
    for record in stream:
        if taken < command.count:
            taken += 1
            yield record
            if command.any and taken == command.count:
                return  # before asking for one more event


class _SortKey:
    """Compares records by the sort keys, each descending or not; absent values come last."""

    __slots__ = ("values", "descending")

    def __init__(self, values: list[Any], descending: list[bool]):
        self.values, self.descending = values, descending

    def __lt__(self, other: _SortKey) -> bool:
        for mine, theirs, descending in zip(self.values, other.values, self.descending, strict=True):
            if mine == theirs:
                continue
            if mine is None or theirs is None:
                return theirs is None
            return mine > theirs if descending else mine < theirs
        return False


def _sort(command: Sort, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    directions = [descending for _, descending in command.keys]

    def key(record: Record) -> _SortKey:
        return _SortKey([sort_key(expression.evaluate(record)) for expression, _ in command.keys], directions)

    if keep is not None:  # sort | limit n: only the n first are held
        yield from heapq.nsmallest(keep, stream, key=key)
    else:
        yield from sorted(stream, key=key)


def _stats(command: Stats, stream: Iterator[Record], keep: int | None) -> Iterator[Record]:
    groups: dict[tuple[Any, ...], tuple[Record, list[Accumulator]]] = {}
    for record in stream:
        values = tuple(expression.evaluate(record) for _, expression in command.groups)
        entry = groups.get(values)
        if entry is None:
            first = {name: value for (name, _), value in zip(command.groups, values, strict=True)}
            entry = (first, [AGGREGATES[a.name].make(len(a.args)) for a in command.aggregates])
            groups[values] = entry
        timestamp = int(record.get("@timestamp") or 0)
        for aggregate, accumulator in zip(command.aggregates, entry[1], strict=True):
            accumulator.add([arg.evaluate(record) for arg in aggregate.args], timestamp)
    for output, accumulators in groups.values():
        for aggregate, accumulator in zip(command.aggregates, accumulators, strict=True):
            output[aggregate.slot] = accumulator.result()
        for name, expression in command.items:
            value = expression.evaluate(output)
            if value is not None:
                output[name] = value  # later items may use this one's alias
        for aggregate in command.aggregates:
            output.pop(aggregate.slot, None)
        yield output


_STAGES: dict[type, Callable[[Any, Iterator[Record], int | None], Iterator[Record]]] = {
    Fields: _fields, Filter: _filter, Parse: _parse, Display: _display, Dedup: _dedup, Limit: _limit,
    Sort: _sort, Stats: _stats}
