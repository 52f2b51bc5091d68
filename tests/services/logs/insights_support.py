"""Running Logs Insights queries in tests: a group with events, and a query polled (boundedly)
until it completes."""

from __future__ import annotations

import time
import uuid


def group_name(prefix: str = "/insights") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:10]}"


def make_group(logs, messages_by_stream: dict[str, list[tuple[int, str]]], prefix: str = "/insights") -> str:
    """A group whose streams hold (timestamp ms, message) events."""
    group = group_name(prefix)
    logs.create_log_group(logGroupName=group)
    for stream, events in messages_by_stream.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": ts, "message": message} for ts, message in sorted(events)])
    return group


def wait_complete(logs, query_id: str, **params) -> dict:
    """GetQueryResults until the query is no longer Scheduled or Running (at most ~20 s)."""
    for _ in range(400):
        answer = logs.get_query_results(queryId=query_id, **params)
        if answer["status"] not in ("Scheduled", "Running"):
            return answer
        time.sleep(0.05)
    raise AssertionError(f"query {query_id} still {answer['status']}")


def run_query(logs, query: str, groups: list[str] | str, start: int | None = None, end: int | None = None,
              **params) -> dict:
    now = int(time.time())
    key = {"logGroupName": groups} if isinstance(groups, str) else {"logGroupNames": groups}
    query_id = logs.start_query(queryString=query, startTime=now - 3600 if start is None else start,
                                endTime=now + 60 if end is None else end, **key, **params)["queryId"]
    answer = wait_complete(logs, query_id)
    assert answer["status"] == "Complete", answer
    return answer


def rows(answer: dict, keep_ptr: bool = False) -> list[dict[str, str]]:
    """The results as one dict per row (without @ptr unless asked)."""
    return [{cell["field"]: cell["value"] for cell in row if keep_ptr or cell["field"] != "@ptr"}
            for row in answer["results"]]
