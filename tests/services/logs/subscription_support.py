"""A Lambda function that records what CloudWatch Logs delivers to it, and reading that back.

The function prints each event it is invoked with, as one JSON line, into its own log group
(/aws/lambda/<name>); the tests decode the awslogs envelope themselves, so what they check is
what the function was handed."""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid

from tests.support.lambda_code import ROLE, unique, zip_of

ACCOUNT = "000000000000"
REGION = "us-east-1"
MARK = "SUBSCRIPTION-EVENT "

RECORDER = f"""
import json

def handler(event, context):
    print({MARK!r} + json.dumps(event))
    return None
"""


def group_name() -> str:
    return f"/subscribed/{uuid.uuid4().hex[:10]}"


def group_arn(group: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"


def create_recorder(lam) -> tuple[str, str]:
    """A recording function: (name, ARN)."""
    name = unique("sub")
    arn = lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="lambda_function.handler",
                              Code={"ZipFile": zip_of({"lambda_function.py": RECORDER})})["FunctionArn"]
    return name, arn


def allow_logs(lam, function: str, group: str, principal: str = "logs.amazonaws.com", **extra) -> None:
    """The resource-policy statement CloudWatch Logs needs to invoke `function` for `group`."""
    lam.add_permission(FunctionName=function, StatementId=uuid.uuid4().hex[:12], Action="lambda:InvokeFunction",
                       Principal=principal, SourceArn=extra.pop("SourceArn", group_arn(group)), **extra)


def decode(event: dict) -> dict:
    """The DATA_MESSAGE inside an {"awslogs": {"data": base64(gzip(JSON))}} event."""
    assert list(event) == ["awslogs"] and list(event["awslogs"]) == ["data"]
    return json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))


def received(logs, function: str) -> list[dict]:
    """Every message the recording function has been invoked with so far, decoded."""
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [decode(json.loads(e["message"][len(MARK):])) for e in events if e["message"].startswith(MARK)]


def wait_for_messages(logs, function: str, count: int, timeout: float = 30.0) -> list[dict]:
    """The function's messages once it has been handed at least `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        messages = received(logs, function)
        if len(messages) >= count:
            return messages
        if time.monotonic() > deadline:
            raise AssertionError(f"{function} received {len(messages)} messages, not {count}: {messages}")
        time.sleep(0.1)


def now_ms() -> int:
    return int(time.time() * 1000)
