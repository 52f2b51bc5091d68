"""InvocationType=Event: destinations, retries with backoff on Overcast's clock, and durability."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.conftest import make_client
from tests.services.lambda_.helpers import create_python, wait_for

RECORDER = "import json\ndef handler(event, context):\n    print('DESTINATION ' + json.dumps(event))\n"
FAILING = "def handler(event, context):\n    print('attempt')\n    raise RuntimeError('always fails')\n"


def advance(server, seconds: float) -> None:
    request = urllib.request.Request(server.endpoint_url + "/_overcast/clock", method="POST",
                                     data=json.dumps({"advance": seconds}).encode())
    with urllib.request.urlopen(request) as resp:
        resp.read()


def destination_records(logs, name: str) -> list[dict]:
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="DESTINATION")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [json.loads(e["message"].split("DESTINATION ", 1)[1]) for e in events]


def count_lines(logs, name: str, text: str) -> int:
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern=f'"{text}"')["events"]
    except logs.exceptions.ResourceNotFoundException:
        return 0
    return sum(1 for e in events if e["message"].startswith(text))


def test_event_invoke_success_destination(lam, logs):
    recorder = create_python(lam, RECORDER)
    name = create_python(lam, "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={
        "OnSuccess": {"Destination": f"arn:aws:lambda:us-east-1:000000000000:function:{recorder}"}})
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 21}')["StatusCode"] == 202
    records = wait_for(lambda: destination_records(logs, recorder))
    record = records[0]
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["functionArn"].endswith(f":{name}:$LATEST")
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"n": 21}
    assert record["responsePayload"] == {"doubled": 42}


@pytest.fixture
def fresh_clients(fresh_server):
    return make_client("lambda", fresh_server.endpoint_url), make_client("logs", fresh_server.endpoint_url)


def test_retries_then_failure_destination(fresh_server, fresh_clients):
    lam, logs = fresh_clients
    recorder = create_python(lam, RECORDER)
    name = create_python(lam, FAILING)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2, DestinationConfig={
        "OnFailure": {"Destination": f"arn:aws:lambda:us-east-1:000000000000:function:{recorder}"}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"k": "v"}')
    wait_for(lambda: count_lines(logs, name, "attempt") == 1)
    assert destination_records(logs, recorder) == []
    advance(fresh_server, 61)
    wait_for(lambda: count_lines(logs, name, "attempt") == 2)
    advance(fresh_server, 121)
    wait_for(lambda: count_lines(logs, name, "attempt") == 3)
    record = wait_for(lambda: destination_records(logs, recorder))[0]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always fails"
    assert record["requestPayload"] == {"k": "v"}


def test_queued_retry_survives_restart(fresh_server, fresh_clients):
    lam, logs = fresh_clients
    recorder = create_python(lam, RECORDER)
    name = create_python(lam, FAILING)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1, DestinationConfig={
        "OnFailure": {"Destination": f"arn:aws:lambda:us-east-1:000000000000:function:{recorder}"}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"survives": true}')
    wait_for(lambda: count_lines(logs, name, "attempt") == 1)
    fresh_server.restart()
    lam, logs = make_client("lambda", fresh_server.endpoint_url), make_client("logs", fresh_server.endpoint_url)
    lam.list_functions()  # Lambda loads on its first request
    advance(fresh_server, 61)
    record = wait_for(lambda: destination_records(logs, recorder))[0]
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"survives": True}


def test_event_older_than_maximum_age_goes_to_failure_destination(fresh_server, fresh_clients):
    lam, logs = fresh_clients
    recorder = create_python(lam, RECORDER)
    name = create_python(lam, FAILING)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60,
                                         DestinationConfig={"OnFailure": {
                                             "Destination": f"arn:aws:lambda:us-east-1:000000000000:function:{recorder}"}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    wait_for(lambda: count_lines(logs, name, "attempt") == 1)
    advance(fresh_server, 61)
    record = wait_for(lambda: destination_records(logs, recorder))[0]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert count_lines(logs, name, "attempt") == 1
