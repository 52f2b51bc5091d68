"""A query's life on its own server, where `--logs-query-seconds` holds each query Scheduled for
an hour of Overcast's clock: DescribeQueries by status, StopQuery, the concurrency quota, and
moving the clock to let the queries run."""

from __future__ import annotations

import time

import pytest

from tests.conftest import make_client
from tests.services.logs.insights_support import make_group, rows, wait_complete
from tests.support.errors import refused
from tests.support.raw_http import move_clock
from tests.support.server import ServerProcess


@pytest.fixture
def held_server(tmp_path):
    proc = ServerProcess(tmp_path / "data", extra_args=["--logs-query-seconds", "3600"])
    proc.start()
    yield proc
    proc.stop()


def test_scheduled_cancelled_and_quota(held_server):
    logs = make_client("logs", held_server.endpoint_url)
    group = make_group(logs, {"s": [(int(time.time() * 1000) - 1000, "hello")]})
    now = int(time.time())

    def start(query: str = "fields @message") -> str:
        return logs.start_query(logGroupName=group, startTime=now - 600, endTime=now + 60,
                                queryString=query)["queryId"]

    first = start()
    answer = logs.get_query_results(queryId=first)
    assert answer["status"] == "Scheduled" and answer["results"] == []
    described = logs.describe_queries(logGroupName=group)["queries"]
    assert [q["queryId"] for q in described] == [first]
    # As AWS gives it back (LocalStack's AWS-validated test_describe_queries): the groups and the
    # time range (milliseconds, the end second inclusive) in a SOURCE command before the query.
    assert described[0]["queryString"] == f'SOURCE "{group}" START={(now - 600) * 1000} END={(now + 60) * 1000 + 999}' \
                                          " | fields @message"
    assert described[0]["status"] == "Scheduled" and described[0]["logGroupName"] == group
    assert described[0]["queryLanguage"] == "CWLI" and described[0]["createTime"] > 0
    assert logs.describe_queries(logGroupName=group, status="Complete")["queries"] == []
    assert logs.describe_queries(logGroupName=group, queryLanguage="SQL")["queries"] == []
    assert len(logs.describe_queries(logGroupName=group, queryLanguage="CWLI")["queries"]) == 1

    assert logs.stop_query(queryId=first)["success"] is True
    assert logs.stop_query(queryId=first)["success"] is False  # already stopped
    assert logs.get_query_results(queryId=first)["status"] == "Cancelled"
    assert [q["queryId"] for q in logs.describe_queries(status="Cancelled")["queries"]] == [first]

    # Up to 100 queries at once in an account and Region (API_StartQuery); the next is refused.
    held = [start() for _ in range(100)]
    code, message, status = refused(logs.start_query, logGroupName=group, startTime=now - 600, endTime=now + 60,
                                    queryString="fields @message")
    assert (code, message, status) == ("LimitExceededException",
                                       "Account maximum query concurrency limit of [100] reached.", 400)
    page = logs.describe_queries(maxResults=60)
    rest = logs.describe_queries(maxResults=60, nextToken=page["nextToken"])
    assert len(page["queries"]) + len(rest["queries"]) == 101 and "nextToken" not in rest

    # Moving the clock past their hour runs them.
    move_clock(held_server.endpoint_url, {"advance": 3601})
    assert rows(wait_complete(logs, held[0])) == [{"@message": "hello"}]
    assert all(wait_complete(logs, q)["status"] == "Complete" for q in held)
    assert logs.stop_query(queryId=held[-1])["success"] is False
    assert logs.get_query_results(queryId=first)["status"] == "Cancelled"
    assert len(logs.describe_queries(logGroupName=group, status="Complete")["queries"]) == 100
