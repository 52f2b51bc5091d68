"""What StartQuery and the other Insights operations refuse, with AWS's code, message and status."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.services.logs.insights_support import group_name, make_group, run_query, wait_complete
from tests.support.errors import error_of, refused


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


@pytest.fixture(scope="module")
def group(logs):
    return make_group(logs, {"s": [(int(time.time() * 1000) - 1000, "hello")]})


def start_refused(logs, group: str, query: str) -> tuple[str, str, int, dict]:
    """How StartQuery refuses `query`: code, message, status, and the queryCompileError member."""
    now = int(time.time())
    with pytest.raises(ClientError) as excinfo:
        logs.start_query(logGroupName=group, startTime=now - 600, endTime=now, queryString=query)
    return (*error_of(excinfo), excinfo.value.response.get("queryCompileError", {}))


def test_unknown_log_group(logs, group):
    missing = group_name()
    code, message, status, _ = start_refused(logs, missing, "fields @message")
    # LocalStack's AWS-validated test_start_query_log_group_not_found recorded these words.
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert message.startswith(f"Log group '{missing}' does not exist for account ID '000000000000' (Service: "
                              "AWSLogs; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: ")
    # One missing group among several refuses the query.
    code, message, status = refused(logs.start_query, logGroupNames=[group, missing], startTime=0, endTime=10,
                                    queryString="fields @message")
    assert code == "ResourceNotFoundException" and f"'{missing}'" in message


@pytest.mark.parametrize(("query", "message", "start", "end"), [
    ("count(*)", "mismatched input 'count' expecting {K_FIELDS, K_DISPLAY, K_FILTER, K_STATS, K_SORT, K_LIMIT, "
                 "K_PARSE, K_DEDUP}", 0, 4),
    ("fields @message | ", "mismatched input '<EOF>' expecting {K_FIELDS, K_DISPLAY, K_FILTER, K_STATS, K_SORT, "
                           "K_LIMIT, K_PARSE, K_DEDUP}", 18, 18),
    ("filter @message like 5", "mismatched input '5' expecting {STRING, REGEX}", 21, 21),
    ("fields @message | limit ten", "mismatched input 'ten' expecting INTEGER", 24, 26),
    ("fields nosuch(@message)", "Unknown function: nosuch", 7, 12),
    ("stats count(*) by bin(7parsecs)", "Invalid time period: 7parsecs", 22, 29),
    ("filter @message like /unclosed", "Unterminated regular expression", 21, 29),
    # After stats only its columns exist (AWS's words quoted in trade-tariff/trade-tariff-backend#3464).
    ("stats count(*) as n by level | sort latency desc", "Unknown symbols found in or after stats: latency", 36, 42),
    ("stats count(*) as n, n * ratio as scaled", "Unknown symbols found in or after stats: ratio", 25, 29),
    ("SOURCE logGroups(bogus: ['x']) | fields a",
     "mismatched input 'bogus' expecting {namePrefix, logGroupClass, accountIdentifiers}", 17, 21),
])
def test_malformed_query_says_where(logs, group, query, message, start, end):
    code, said, status, compile_error = start_refused(logs, group, query)
    assert (code, said, status) == ("MalformedQueryException", message, 400)
    # queryCompileError (API_QueryCompileError): the offending characters' offsets, and the message.
    assert compile_error == {"location": {"startCharOffset": start, "endCharOffset": end}, "message": message}



@pytest.mark.parametrize("query", [
    "filter " + "(" * 3000 + "@message = 'x'" + ")" * 3000,  # within the 10,000 characters
    "filter " + "not " * 2000 + "@message = 'x'",
    "fields " + "-" * 4000 + "1 as x",
    "fields " + "1 + " * 2000 + "1 as x",  # a tree 2,000 deep, which evaluation would recurse
    "filter @message in " + "[" * 3000,
])
def test_deeply_nested_expressions_are_refused_not_failed(logs, group, query):
    # These answered 500 (the parser's recursion ran out of stack) or failed the query.
    code, said, status, _ = start_refused(logs, group, query)
    assert (code, status) == ("MalformedQueryException", 400)
    assert said.startswith("The query's expressions are nested too deeply")


def test_reasonably_nested_expressions_run(logs, group):
    answer = run_query(logs, "filter " + "(" * 40 + "@message = 'hello'" + ")" * 40
                       + " | fields " + "1 + " * 150 + "1 as x", group)
    assert [[cell["value"] for cell in row if cell["field"] == "x"] for row in answer["results"]] == [["151"]]

def test_time_range_and_group_parameters(logs, group):
    now = int(time.time())
    code, message, status = refused(logs.start_query, logGroupName=group, startTime=now, endTime=now - 1,
                                    queryString="fields @message")
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == "The end time of the query must not be before its start time."
    for extra in ({}, {"logGroupName": group, "logGroupNames": [group]}):
        code, message, status = refused(logs.start_query, startTime=now - 60, endTime=now,
                                        queryString="fields @message", **extra)
        assert (code, status) == ("InvalidParameterException", 400)
        assert message == "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified."
    # The model's own bounds: limit from 1 to 100,000.
    code, message, status = refused(logs.start_query, logGroupName=group, startTime=now - 60, endTime=now,
                                    queryString="fields @message", limit=100001)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == ("1 validation error detected: Value '100001' at 'limit' failed to satisfy constraint: "
                       "Member must have value less than or equal to 100000")


def test_unknown_query_ids(logs):
    for call in (logs.get_query_results, logs.stop_query):
        assert refused(call, queryId="00000000-0000-0000-0000-000000000000") == (
            "ResourceNotFoundException", "The specified query could not be found.", 400)


def test_stop_a_finished_query(logs, group):
    answer_id = logs.start_query(logGroupName=group, startTime=int(time.time()) - 600, endTime=int(time.time()),
                                 queryString="fields @message")["queryId"]
    wait_complete(logs, answer_id)
    assert logs.stop_query(queryId=answer_id)["success"] is False


def test_bad_log_record_pointers(logs):
    assert refused(logs.get_log_record, logRecordPointer="not a pointer!") == (
        "InvalidParameterException", "The specified logRecordPointer is invalid.", 400)
    # A pointer's shape with a sequence number past SQLite's integers answered 500.
    raw = json.dumps(["000000000000", "us-east-1", "/g", 10**30], separators=(",", ":")).encode()
    pointer = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert refused(logs.get_log_record, logRecordPointer=pointer) == (
        "InvalidParameterException", "The specified logRecordPointer is invalid.", 400)


def test_log_group_fields_at_a_far_time(logs):
    # `time` is any long: far from every event, no fields (it answered 500).
    group = make_group(logs, {"s": [(int(time.time() * 1000) - 1000, '{"a": 1}')]})
    assert logs.get_log_group_fields(logGroupName=group, time=2**62)["logGroupFields"] == []


def test_log_record_of_a_deleted_group(logs):
    group = make_group(logs, {"s": [(int(time.time() * 1000) - 1000, "soon gone")]})
    answer = run_query(logs, "fields @message", group)
    pointer = answer["results"][0][-1]["value"]
    logs.delete_log_group(logGroupName=group)
    assert refused(logs.get_log_record, logRecordPointer=pointer) == (
        "ResourceNotFoundException", "The specified log record does not exist.", 400)


def test_log_group_fields_of_unknown_group(logs):
    assert refused(logs.get_log_group_fields, logGroupName=group_name()) == (
        "ResourceNotFoundException", "The specified log group does not exist.", 400)
