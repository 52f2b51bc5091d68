"""The stats functions (the "Functions to use with stats" section of the stats page): an
accumulator per function, fed one event's argument values at a time, so that stats streams over
the events and holds only what a group's answer needs (count_distinct and pct keep values)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from overcast.services.logs.insights.values import Timestamp, sort_key, to_number


class Accumulator:
    def add(self, values: list[Any], timestamp: int) -> None:
        raise NotImplementedError

    def result(self) -> Any:
        raise NotImplementedError


class Count(Accumulator):
    """count(*) and count() count events; count(field) those where the field has a value."""

    def __init__(self, counts_all: bool):
        self.counts_all, self.n = counts_all, 0

    def add(self, values: list[Any], timestamp: int) -> None:
        if self.counts_all or values[0] is not None:
            self.n += 1

    def result(self) -> Any:
        return self.n


class CountDistinct(Accumulator):
    def __init__(self) -> None:
        self.seen: set[Any] = set()

    def add(self, values: list[Any], timestamp: int) -> None:
        if values[0] is not None:
            self.seen.add(values[0])

    def result(self) -> Any:
        return len(self.seen)


class Numeric(Accumulator):
    """sum, avg, min, max and stddev over the values that are numbers; none: no value."""

    def __init__(self, kind: str):
        self.kind, self.n, self.total, self.squares = kind, 0, 0.0, 0.0
        self.low: float | None = None
        self.high: float | None = None
        self.all_int = True

    def add(self, values: list[Any], timestamp: int) -> None:
        # A timestamp stays one, so that min(@timestamp) prints as a date.
        number = values[0] if isinstance(values[0], Timestamp) else to_number(values[0])
        if number is None:
            return
        self.all_int = self.all_int and isinstance(number, int)
        self.n += 1
        self.total += number
        self.squares += float(number) * float(number)
        self.low = number if self.low is None or number < self.low else self.low
        self.high = number if self.high is None or number > self.high else self.high

    def result(self) -> Any:
        if not self.n:
            return None
        if self.kind == "sum":
            return int(self.total) if self.all_int else self.total
        if self.kind == "avg":
            return self.total / self.n
        if self.kind == "min":
            return self.low
        if self.kind == "max":
            return self.high
        mean = self.total / self.n  # stddev: the sample standard deviation
        return math.sqrt(max(0.0, (self.squares - self.n * mean * mean) / (self.n - 1))) if self.n > 1 else 0.0


class Percentile(Accumulator):
    """pct(field, p): the value at the p-th percentile (nearest rank) of the numbers seen."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.rank: float | None = None

    def add(self, values: list[Any], timestamp: int) -> None:
        number = to_number(values[0])
        if self.rank is None:
            self.rank = to_number(values[1]) if len(values) > 1 else None
        if number is not None:
            self.values.append(number)

    def result(self) -> Any:
        if not self.values or self.rank is None:
            return None
        ordered = sorted(self.values)
        index = max(0, min(len(ordered) - 1, math.ceil(float(self.rank) / 100 * len(ordered)) - 1))
        return ordered[index]


class Extreme(Accumulator):
    """earliest(field) and latest(field): the value from the event with the lowest or highest
    @timestamp (among those where the field has one)."""

    def __init__(self, latest: bool):
        self.latest = latest
        self.best: tuple[int, Any] | None = None

    def add(self, values: list[Any], timestamp: int) -> None:
        if values[0] is None:
            return
        if self.best is None or (timestamp > self.best[0] if self.latest else timestamp < self.best[0]):
            self.best = (timestamp, values[0])

    def result(self) -> Any:
        return None if self.best is None else self.best[1]


class SortsFirst(Accumulator):
    """sortsFirst(field) and sortsLast(field): the value that sorts first or last, in the sort
    command's natural order."""

    def __init__(self, last: bool):
        self.last = last
        self.best: tuple[Any, Any] | None = None

    def add(self, values: list[Any], timestamp: int) -> None:
        key = sort_key(values[0])
        if key is None:
            return
        if self.best is None or (key > self.best[0] if self.last else key < self.best[0]):
            self.best = (key, values[0])

    def result(self) -> Any:
        return None if self.best is None else self.best[1]


@dataclass(frozen=True)
class AggregateSpec:
    arity: tuple[int, int]
    make: Any  # (argument count) -> Accumulator


AGGREGATES: dict[str, AggregateSpec] = {
    "count": AggregateSpec((0, 1), lambda args: Count(counts_all=args == 0)),
    "count_distinct": AggregateSpec((1, 1), lambda args: CountDistinct()),
    "sum": AggregateSpec((1, 1), lambda args: Numeric("sum")),
    "avg": AggregateSpec((1, 1), lambda args: Numeric("avg")),
    "min": AggregateSpec((1, 1), lambda args: Numeric("min")),
    "max": AggregateSpec((1, 1), lambda args: Numeric("max")),
    "stddev": AggregateSpec((1, 1), lambda args: Numeric("stddev")),
    "pct": AggregateSpec((2, 2), lambda args: Percentile()),
    "percentile": AggregateSpec((2, 2), lambda args: Percentile()),
    "earliest": AggregateSpec((1, 1), lambda args: Extreme(latest=False)),
    "latest": AggregateSpec((1, 1), lambda args: Extreme(latest=True)),
    "sortsfirst": AggregateSpec((1, 1), lambda args: SortsFirst(last=False)),
    "sortslast": AggregateSpec((1, 1), lambda args: SortsFirst(last=True)),
}
