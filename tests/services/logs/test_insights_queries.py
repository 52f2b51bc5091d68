"""Logs Insights queries through boto3 and the AWS CLI: the commands, functions and discovered
fields of the query syntax pages, over events put with PutLogEvents."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
import uuid

import pytest

from tests.services.logs.insights_support import make_group, rows, run_query, wait_complete

AWS = "/work/main/.venv/bin/aws"


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


def stamp(ms: int) -> str:
    """How a result gives a timestamp: UTC, milliseconds, a space between date and time."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


@pytest.fixture(scope="module")
def orders(logs):
    """Ten JSON order events a minute apart (newest last), in two streams."""
    base = (int(time.time()) - 1800) * 1000
    events: dict[str, list[tuple[int, str]]] = {"web": [], "worker": []}
    for i in range(10):
        body = {"level": "ERROR" if i % 3 == 0 else "INFO", "n": i, "user": {"name": f"user{i % 2}"},
                "items": [{"sku": f"sku{i}"}], "latency": 10 * i + 5}
        events["web" if i % 2 else "worker"].append((base + i * 60_000, json.dumps(body)))
    return make_group(logs, events), base


def test_default_fields_order_and_pointer(logs, orders):
    group, base = orders
    answer = run_query(logs, "filter level = 'ERROR'", group)
    found = rows(answer)
    # Without fields, "the results show the @timestamp and all log data in the @message field"
    # (the query syntax page); newest first, and each row's @ptr last.
    assert [list(r) for r in found] == [["@timestamp", "@message"]] * 4
    assert [r["@timestamp"] for r in found] == [stamp(base + i * 60_000) for i in (9, 6, 3, 0)]
    assert json.loads(found[0]["@message"])["n"] == 9
    assert all(row[-1]["field"] == "@ptr" for row in answer["results"])
    # The console's default query names the stream and the group (account:name) as well.
    found = rows(run_query(logs, "fields @timestamp, @message, @logStream, @log | sort @timestamp desc | limit 2",
                           group))
    assert [(r["@logStream"], r["@log"]) for r in found] == [("web", f"000000000000:{group}"),
                                                             ("worker", f"000000000000:{group}")]
    assert answer["statistics"]["recordsMatched"] == 4.0
    assert answer["statistics"]["recordsScanned"] == 10.0
    assert answer["statistics"]["bytesScanned"] > 0


def test_fields_flattened_json_and_expressions(logs, orders):
    group, _ = orders
    answer = run_query(logs, "fields n, user.name, items.0.sku, latency / 5 as fifth, "
                             "concat(level, '-', n) as tag | filter n >= 7", group)
    assert rows(answer) == [
        {"n": str(n), "user.name": f"user{n % 2}", "items.0.sku": f"sku{n}", "fifth": str((10 * n + 5) // 5),
         "tag": f"{'ERROR' if n % 3 == 0 else 'INFO'}-{n}"} for n in (9, 8, 7)]


def test_discovered_name_starting_with_at(logs):
    # A JSON key that starts with @ is shown with a second @ (the discovered-fields page).
    now = int(time.time() * 1000)
    group = make_group(logs, {"s": [(now - 1000, json.dumps({"@example.com": "x", "@timestamp": "not ours"}))]})
    found = rows(run_query(logs, "fields `@@example.com`, @@timestamp, @timestamp", group))
    assert found == [{"@@example.com": "x", "@@timestamp": "not ours", "@timestamp": stamp(now - 1000)}]


def test_filter_operators(logs, orders):
    group, _ = orders

    def numbers(query: str) -> list[int]:
        return sorted(int(r["n"]) for r in rows(run_query(logs, query + " | fields n", group)))

    assert numbers("filter n in [1, 4, 40]") == [1, 4]
    assert numbers("filter n not in [1, 4] and n < 6") == [0, 2, 3, 5]
    assert numbers("filter @message like /\"n\": [12],/") == [1, 2]
    assert numbers("filter @message like 'user1' and not (n > 5)") == [1, 3, 5]
    assert numbers("filter level =~ /^ERR/ or n = 2") == [0, 2, 3, 6, 9]
    assert numbers("filter user.name != 'user0' and latency % 40 = 15") == [1, 5, 9]
    assert numbers("filter ispresent(items.0.sku) and not isPresent(nothing) and n * 2 + 1 > 15") == [8, 9]
    assert numbers("filter isempty(nothing) and n - 8 >= 0") == [8, 9]
    assert numbers("filter @message not like /ERROR/ and n <= 2") == [1, 2]


def test_sort_limit_and_query_limit(logs, orders):
    group, _ = orders
    answer = run_query(logs, "fields n, latency | sort latency asc | limit 3", group)
    assert [r["n"] for r in rows(answer)] == ["0", "1", "2"]
    answer = run_query(logs, "fields n | sort level desc, n asc", group)
    assert [r["n"] for r in rows(answer)] == ["1", "2", "4", "5", "7", "8", "0", "3", "6", "9"]
    # StartQuery's limit caps the rows; the statistics still count every match.
    answer = run_query(logs, "fields n", group, limit=2)
    assert [r["n"] for r in rows(answer)] == ["9", "8"]
    assert answer["statistics"]["recordsMatched"] == 10.0


def test_stats_by_field_and_aggregates(logs, orders):
    group, _ = orders
    answer = run_query(logs, "stats count(*) as events, count(nothing) as none, sum(n), avg(latency), min(n), "
                             "max(n), pct(latency, 50), count_distinct(user.name) as users by level | sort level",
                       group)
    assert rows(answer) == [
        {"level": "ERROR", "events": "4", "none": "0", "sum(n)": "18", "avg(latency)": "50", "min(n)": "0",
         "max(n)": "9", "pct(latency, 50)": "35", "users": "2"},
        {"level": "INFO", "events": "6", "none": "0", "sum(n)": "27", "avg(latency)": "50", "min(n)": "1",
         "max(n)": "8", "pct(latency, 50)": "45", "users": "2"},
    ]
    assert not any(cell["field"] == "@ptr" for row in answer["results"] for cell in row)
    assert answer["statistics"]["recordsMatched"] == 10.0


def test_stats_earliest_latest_and_bin(logs, orders):
    group, base = orders
    found = rows(run_query(logs, "stats earliest(n) as first, latest(n) as last, count(*) as c, "
                                 "sortsFirst(items.0.sku) as low, sortsLast(items.0.sku) as high", group))
    # sortsFirst/sortsLast: the values that come first and last in the sort command's order.
    assert found == [{"first": "0", "last": "9", "c": "10", "low": "sku0", "high": "sku9"}]
    # No event matched: no row, not a row of zeros.
    assert run_query(logs, "filter n > 100 | stats count(*)", group)["results"] == []
    found = rows(run_query(logs, "stats count(*) as c by bin(5m) as slot | sort slot asc", group))
    expected: dict[int, int] = {}
    for i in range(10):
        ms = base + i * 60_000
        expected[ms - ms % 300_000] = expected.get(ms - ms % 300_000, 0) + 1
    assert found == [{"slot": stamp(ms), "c": str(c)} for ms, c in sorted(expected.items())]
    found = rows(run_query(logs, "fields datefloor(@timestamp, 1h) as hour | stats count(*) by hour", group))
    assert sum(int(r["count(*)"]) for r in found) == 10
    assert all(r["hour"].endswith(":00:00.000") for r in found)


def test_parse_glob_and_regex(logs):
    now = int(time.time() * 1000)
    group = make_group(logs, {"app": [
        (now - 3000, "user=alice action=login took 12ms"),
        (now - 2000, "user=bob action=logout took 7ms"),
        (now - 1000, "health check ok"),
    ]})
    answer = run_query(logs, "parse @message 'user=* action=* took *ms' as who, what, ms | filter ispresent(who) "
                             "| fields who, what, ms * 2 as double", group)
    assert rows(answer) == [{"who": "bob", "what": "logout", "double": "14"},
                            {"who": "alice", "what": "login", "double": "24"}]
    # Events without the field make a group of their own, whose row lacks it.
    answer = run_query(logs, "parse @message /user=(?<who>\\w+) action=(?<what>\\w+)/ | stats count(*) by what "
                             "| sort what", group)
    assert rows(answer) == [{"what": "login", "count(*)": "1"}, {"what": "logout", "count(*)": "1"},
                            {"count(*)": "1"}]


def test_string_functions_display_and_dedup(logs):
    now = int(time.time() * 1000)
    group = make_group(logs, {"s": [(now - 3000 + i, json.dumps({"name": f"  Item{i % 2}  ", "code": "a-b-c"}))
                                    for i in range(4)]})
    answer = run_query(logs, "fields trim(name) as t, toupper(trim(name)) as up, tolower(trim(name)) as low, "
                             "strlen(name) as len, substr(code, 2) as tail, substr(code, 0, 1) as head, "
                             "replace(code, '-', '+') as plus, coalesce(missing, code) as either "
                             "| dedup t | display t, up, low, len, tail, head, plus, either", group)
    assert rows(answer) == [
        {"t": "Item1", "up": "ITEM1", "low": "item1", "len": "9", "tail": "b-c", "head": "a", "plus": "a+b+c",
         "either": "a-b-c"},
        {"t": "Item0", "up": "ITEM0", "low": "item0", "len": "9", "tail": "b-c", "head": "a", "plus": "a+b+c",
         "either": "a-b-c"},
    ]


def test_function_examples_of_the_syntax_page(logs):
    # The examples the query syntax page gives for its string and datetime functions.
    now = int(time.time() * 1000)
    group = make_group(logs, {"s": [(now - 1000, json.dumps({"s": "xyZfooxyZ", "f": "foo", "x": 10}))]})
    [found] = rows(run_query(logs, "fields ltrim(s, 'xyZ') as l, rtrim(s, 'xyZ') as r, trim(s, 'xyZ') as t, "
                                   "substr(s, 3, 3) as sub, replace(f, 'o', '0') as rep, strcontains(s, 'foo') as c, "
                                   "2 ^ 3 as p, x % 3 as m, abs(3 - x) as a, greatest(1, x, 4) as g, "
                                   "datefloor(@timestamp, 1h) as fl, dateceil(@timestamp, 1h) as ce", group))
    hour = (now - 1000) - (now - 1000) % 3_600_000
    assert found == {"l": "fooxyZ", "r": "xyZfoo", "t": "foo", "sub": "foo", "rep": "f00", "c": "1", "p": "8",
                     "m": "1", "a": "7", "g": "10", "fl": stamp(hour),
                     "ce": stamp(hour if hour == now - 1000 else hour + 3_600_000)}


def test_time_range_is_inclusive_seconds(logs):
    second = int(time.time()) - 600
    group = make_group(logs, {"s": [((second - 1) * 1000 + 999, "before"), (second * 1000, "first"),
                                    ((second + 1) * 1000 + 999, "last"), ((second + 2) * 1000, "after")]})
    answer = run_query(logs, "fields @message", group, start=second, end=second + 1)
    assert [r["@message"] for r in rows(answer)] == ["last", "first"]
    assert answer["statistics"]["recordsScanned"] == 2.0



def test_time_range_to_the_end_of_time(logs):
    # endTime is any long: a query up to the model's largest second reads every event from its
    # start on (it failed, its milliseconds past SQLite's integers).
    now = int(time.time())
    group = make_group(logs, {"s": [(now * 1000 - 2000, "old"), (now * 1000 + 3_600_000, "later")]})
    answer = run_query(logs, "fields @message", group, start=now - 60, end=2**63 - 1)
    assert [r["@message"] for r in rows(answer)] == ["later", "old"]
    answer = run_query(logs, "fields @message", group, start=2**62, end=2**63 - 1)
    assert rows(answer) == []


def test_group_named_twice_is_read_once(logs):
    now = int(time.time() * 1000)
    group = make_group(logs, {"s": [(now - 2000, "a"), (now - 1000, "b")]})
    answer = run_query(logs, "fields @message", [group, group])
    assert [r["@message"] for r in rows(answer)] == ["b", "a"]
    assert answer["statistics"]["recordsScanned"] == 2.0
    query_id = logs.start_query(logGroupIdentifiers=[group, f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"],
                                startTime=now // 1000 - 60, endTime=now // 1000 + 60,
                                queryString="stats count(*) as c")["queryId"]
    answer = wait_complete(logs, query_id)
    assert answer["status"] == "Complete" and rows(answer) == [{"c": "2"}]

def test_several_groups_interleave_newest_first(logs):
    now = int(time.time() * 1000)
    one = make_group(logs, {"s": [(now - 4000, "one-a"), (now - 2000, "one-b")]})
    two = make_group(logs, {"s": [(now - 3000, "two-a"), (now - 1000, "two-b")]})
    answer = run_query(logs, "fields @message, @log", [one, two])
    assert [r["@message"] for r in rows(answer)] == ["two-b", "one-b", "two-a", "one-a"]
    query_id = logs.start_query(logGroupIdentifiers=[f"arn:aws:logs:us-east-1:000000000000:log-group:{one}", two],
                                startTime=now // 1000 - 60, endTime=now // 1000 + 60,
                                queryString="stats count(*) as c by @log | sort @log")["queryId"]
    # (The rows' order is Insights' natural sort of the names, tested on its own elsewhere.)
    counted = sorted(rows(wait_complete(logs, query_id)), key=lambda row: row["@log"])
    assert counted == [{"@log": f"000000000000:{name}", "c": "2"} for name in sorted((one, two))]


def test_get_log_record_from_pointer(logs, orders):
    group, base = orders
    answer = run_query(logs, "fields n | filter n = 4", group)
    pointer = next(cell["value"] for cell in answer["results"][0] if cell["field"] == "@ptr")
    record = logs.get_log_record(logRecordPointer=pointer)["logRecord"]
    # Every field of the event, not only those the query asked for; times in epoch milliseconds.
    assert record["@timestamp"] == str(base + 4 * 60_000)
    assert record["@logStream"] == "worker" and record["@log"] == f"000000000000:{group}"
    assert json.loads(record["@message"])["n"] == 4
    assert record["n"] == "4" and record["user.name"] == "user0" and record["items.0.sku"] == "sku4"
    assert int(record["@ingestionTime"]) >= base


def test_get_log_group_fields(logs):
    now = int(time.time())
    group = make_group(logs, {"s": [(now * 1000 - 2000, json.dumps({"a": 1, "b": {"c": 2}})),
                                    (now * 1000 - 1000, "plain text")]})
    listed = logs.get_log_group_fields(logGroupName=group, time=now)["logGroupFields"]
    # The five system fields of every event, then the discovered ones, most frequent first.
    assert listed == [{"name": name, "percent": 100} for name in
                      ("@ingestionTime", "@log", "@logStream", "@message", "@timestamp")] + [
        {"name": "a", "percent": 50}, {"name": "b.c", "percent": 50}]
    # Events far from `time` are not looked at.
    assert logs.get_log_group_fields(logGroupName=group, time=now - 7200)["logGroupFields"] == []


def test_paging_results(logs, orders):
    group, _ = orders
    query_id = logs.start_query(logGroupName=group, startTime=int(time.time()) - 3600, endTime=int(time.time()) + 60,
                                queryString="fields n")["queryId"]
    wait_complete(logs, query_id)
    first = logs.get_query_results(queryId=query_id, maxItems=4)
    second = logs.get_query_results(queryId=query_id, maxItems=4, nextToken=first["nextToken"])
    third = logs.get_query_results(queryId=query_id, maxItems=4, nextToken=second["nextToken"])
    assert [r["n"] for r in rows(first) + rows(second) + rows(third)] == [str(n) for n in range(9, -1, -1)]
    assert "nextToken" not in third


def test_aws_cli_start_query_and_results(logs, orders, aws_cli_env):
    group, _ = orders
    now = int(time.time())
    started = subprocess.run([AWS, "logs", "start-query", "--log-group-name", group, "--start-time", str(now - 3600),
                              "--end-time", str(now + 60), "--query-string",
                              "filter level = 'ERROR' | stats count(*) as errors"],
                             env=aws_cli_env, capture_output=True, text=True, check=True)
    query_id = json.loads(started.stdout)["queryId"]
    wait_complete(logs, query_id)
    answer = subprocess.run([AWS, "logs", "get-query-results", "--query-id", query_id], env=aws_cli_env,
                            capture_output=True, text=True, check=True)
    parsed = json.loads(answer.stdout)
    assert parsed["status"] == "Complete"
    assert parsed["results"] == [[{"field": "errors", "value": "4"}]]


# The sort page's example of its natural order, ascending.
NATURAL_ORDER = ["!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh", "0", "01",
                 "1", "2", "3"]


def test_sort_natural_order(logs):
    now = int(time.time() * 1000)
    shuffled = NATURAL_ORDER[7:] + NATURAL_ORDER[:7]
    group = make_group(logs, {"s": [(now - 5000 + i, json.dumps({"v": v})) for i, v in enumerate(shuffled)]
                                   + [(now - 1000, json.dumps({"other": 1}))]})
    ascending = [r.get("v") for r in rows(run_query(logs, "fields v | sort v asc", group))]
    assert ascending == NATURAL_ORDER + [None]  # the event without the field comes last
    descending = [r.get("v") for r in rows(run_query(logs, "fields v | sort v desc", group))]
    assert descending == NATURAL_ORDER[::-1] + [None]


def test_limit_any_stops_early(logs, orders):
    group, _ = orders
    answer = run_query(logs, "fields n | limit any 2", group)
    assert len(answer["results"]) == 2
    # It stops reading there; a plain limit reads every event (the limit page).
    assert answer["statistics"]["recordsScanned"] == 2.0
    assert run_query(logs, "fields n | limit 2", group)["statistics"]["recordsScanned"] == 10.0


def test_default_row_cap(logs):
    # Without limit, at most 10,000 rows (the limit page); StartQuery's limit lowers it.
    now = int(time.time() * 1000)
    group = make_group(logs, {"a": [(now - 20_000 + i, f"a{i}") for i in range(6000)],
                              "b": [(now - 10_000 + i, f"b{i}") for i in range(4001)]})
    answer = run_query(logs, "fields @message", group)
    assert len(answer["results"]) == 10000 and "nextToken" not in answer
    assert answer["statistics"]["recordsMatched"] == 10001.0
    assert answer["results"][0][0] == {"field": "@message", "value": "b4000"}  # newest first
    assert answer["results"][-1][0] == {"field": "@message", "value": "a1"}
    assert len(run_query(logs, "fields @message | limit 20", group, limit=5)["results"]) == 5


def test_source_command_selects_groups(logs):
    # SOURCE logGroups(...) in the query instead of the group parameters (API_StartQuery, the
    # SOURCE page): by name prefix, Standard-class groups unless another class is named.
    now = int(time.time() * 1000)
    prefix = f"/source-{uuid.uuid4().hex[:8]}"
    first = make_group(logs, {"s": [(now - 3000, "first")]}, prefix=prefix)
    second = make_group(logs, {"s": [(now - 2000, "second")]}, prefix=prefix)
    make_group(logs, {"s": [(now - 1000, "elsewhere")]})
    rare = f"{prefix}/rare"
    logs.create_log_group(logGroupName=rare, logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_stream(logGroupName=rare, logStreamName="s")
    logs.put_log_events(logGroupName=rare, logStreamName="s", logEvents=[{"timestamp": now - 500, "message": "rare"}])

    def messages(query: str) -> list[str]:
        query_id = logs.start_query(startTime=now // 1000 - 60, endTime=now // 1000 + 60,
                                    queryString=query)["queryId"]
        return [r["@message"] for r in rows(wait_complete(logs, query_id))]

    assert messages(f"SOURCE logGroups(namePrefix: ['{prefix}']) | fields @message") == ["second", "first"]
    assert messages(f"SOURCE logGroups(namePrefix: ['{prefix}'], class: ['INFREQUENT_ACCESS']) "
                    "| fields @message") == ["rare"]
    query_id = logs.start_query(startTime=now // 1000 - 60, endTime=now // 1000 + 60,
                                queryString=f"SOURCE logGroups(namePrefix: ['{prefix}']) | stats count(*) as c")[
        "queryId"]
    assert rows(wait_complete(logs, query_id)) == [{"c": "2"}]
    [described] = [q for q in logs.describe_queries()["queries"] if q["queryId"] == query_id]
    sources = " ".join(f'"{group}"' for group in sorted((first, second)))
    assert described["queryString"].startswith(f"SOURCE {sources} START=")
    assert described["queryString"].endswith(" | stats count(*) as c")
