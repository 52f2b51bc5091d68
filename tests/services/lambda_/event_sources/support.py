"""A stream table, a recording function and a sink table, for the event source mapping tests.

The function records every record it is handed as an item of the sink table (keyed by the
record's sequence number and the invocation's request id), so a test reads back what was
delivered, in which batches, how many times. An item whose NewImage has "fail": {"N": "k"}
fails its first k deliveries: by raising, or with MODE=partial by naming it in
batchItemFailures.
"""

from __future__ import annotations

import json
import time
import uuid

from tests.support.lambda_code import ROLE, zip_of

RECORDER = '''
import json, os, time
import boto3

ddb = boto3.client("dynamodb")
SINK = os.environ["SINK"]


def handler(event, context):
    records = event["Records"]
    failures = []
    for index, record in enumerate(records):
        seq = record["dynamodb"]["SequenceNumber"]
        seen = ddb.query(TableName=SINK, KeyConditionExpression="seq = :s",
                         ExpressionAttributeValues={":s": {"S": seq}}, Select="COUNT")["Count"]
        ddb.put_item(TableName=SINK, Item={
            "seq": {"S": seq}, "attempt": {"S": context.aws_request_id},
            "record": {"S": json.dumps(record)}, "size": {"N": str(len(records))},
            "index": {"N": str(index)}, "at": {"N": str(time.time_ns())}})
        fail = int(((record["dynamodb"].get("NewImage") or {}).get("fail") or {}).get("N", "0"))
        if seen < fail:
            if os.environ.get("MODE") == "partial":
                failures.append({"itemIdentifier": seq})
            else:
                raise RuntimeError("failing on purpose: " + seq)
    return {"batchItemFailures": failures}
'''


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def stream_table(ddb, view: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    name = unique("esm-src")
    table = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return name, table["TableDescription"]["LatestStreamArn"]


def recording_function(lam, ddb, mode: str = "") -> tuple[str, str]:
    """(function name, sink table name)."""
    sink = unique("esm-sink")
    ddb.create_table(TableName=sink, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "seq", "AttributeType": "S"},
                                           {"AttributeName": "attempt", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "seq", "KeyType": "HASH"},
                                {"AttributeName": "attempt", "KeyType": "RANGE"}])
    name = unique("esm-fn")
    create_recorder(lam, name, sink, mode)
    return name, sink


def create_recorder(lam, name: str, sink: str, mode: str = "") -> None:
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="recorder.handler",
                        Code={"ZipFile": zip_of({"recorder.py": RECORDER})}, Timeout=30,
                        Environment={"Variables": {"SINK": sink, "MODE": mode}})


def deliveries(ddb, sink: str) -> list[dict]:
    """Every delivery of a record, in the order the function saw them."""
    items: list[dict] = []
    kwargs: dict = {"TableName": sink, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    out = [{"seq": i["seq"]["S"], "attempt": i["attempt"]["S"], "record": json.loads(i["record"]["S"]),
            "size": int(i["size"]["N"]), "index": int(i["index"]["N"]), "at": int(i["at"]["N"])} for i in items]
    return sorted(out, key=lambda d: d["at"])


def wait_deliveries(ddb, sink: str, predicate, timeout: float = 30.0) -> list[dict]:
    """Poll the sink (bounded) until `predicate(deliveries)` holds; returns the deliveries."""
    deadline = time.monotonic() + timeout
    while True:
        seen = deliveries(ddb, sink)
        if predicate(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries not as expected in {timeout}s: {[d['seq'] for d in seen]}")
        time.sleep(0.2)


def wait_state(lam, mapping_id: str, state: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        mapping = lam.get_event_source_mapping(UUID=mapping_id)
        if mapping["State"] == state:
            return mapping
        if time.monotonic() > deadline:
            raise AssertionError(f"mapping {mapping_id} is {mapping['State']}, not {state}")
        time.sleep(0.1)


def keys_delivered(seen: list[dict]) -> list[str]:
    return [d["record"]["dynamodb"]["Keys"]["pk"]["S"] for d in seen]


def wait_result(lam, mapping_id: str, result: str, timeout: float = 30.0) -> dict:
    """Poll until the mapping's LastProcessingResult is `result` (it is set once the function has
    returned, a moment after the function's own writes are visible)."""
    deadline = time.monotonic() + timeout
    while True:
        mapping = lam.get_event_source_mapping(UUID=mapping_id)
        if mapping["LastProcessingResult"] == result:
            return mapping
        if time.monotonic() > deadline:
            raise AssertionError(f"mapping {mapping_id}: {mapping['LastProcessingResult']!r}, not {result!r}")
        time.sleep(0.1)
