"""Logs Insights' sort holds only the rows that can reach the results (the query's cap, or the
limit after it), not every event of the time range: the events a sort passes over are let go."""

from __future__ import annotations

from overcast.services.logs.insights.evaluator import Counters, plan, run
from overcast.services.logs.insights.parser import parse_query
from overcast.services.logs.insights.records import event_record


class _Live:
    now = 0
    most = 0


class Tracked(dict):
    """An event record that counts how many of its kind are alive at once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _Live.now += 1
        _Live.most = max(_Live.most, _Live.now)

    def __del__(self):
        _Live.now -= 1


def events(count: int):
    for i in range(count):
        yield Tracked(event_record("000000000000", "us-east-1", "g", i + 1, "s", 1_700_000_000_000 + i,
                                   1_700_000_000_000 + i, f'{{"n": {(i * 7919) % count}}}'))


def most_alive(query: str, count: int, limit: int | None = None) -> tuple[int, list]:
    _Live.now = _Live.most = 0
    rows = run(plan(parse_query(query).commands), events(count), Counters(), limit)
    return _Live.most, rows


def test_sort_without_limit_holds_only_the_default_cap():
    most, rows = most_alive("fields n | sort n asc", 12_000)
    assert len(rows) == 10_000
    assert [row[0]["value"] for row in rows[:3]] == ["0", "1", "2"]
    assert most <= 10_000 + 2


def test_sort_holds_only_start_query_limit_and_limit_command():
    most, rows = most_alive("sort n desc | fields n", 5_000, limit=10)
    assert [row[0]["value"] for row in rows] == [str(n) for n in range(4999, 4989, -1)]
    assert most <= 12
    most, rows = most_alive("sort n asc | display n | limit 3", 5_000)
    assert [row[0]["value"] for row in rows] == ["0", "1", "2"]
    assert most <= 5


def test_sort_before_filter_still_sees_every_event():
    # A filter after the sort may drop rows, so the sort cannot stop at the cap.
    _, rows = most_alive("sort n asc | filter n >= 4990 | fields n | limit 3", 5_000)
    assert [row[0]["value"] for row in rows] == ["4990", "4991", "4992"]
