"""What Overcast's clock drives: TTL deletions reaching functions with their service identity, and
records too old for MaximumRecordAgeInSeconds skipped. Each test moves the clock of a server of
its own."""

from __future__ import annotations

import time

from tests.conftest import make_client
from tests.services.lambda_.event_sources.support import (
    keys_delivered,
    recording_function,
    stream_table,
    wait_deliveries,
    wait_result,
    wait_state,
)
from tests.support.raw_http import move_clock


def test_ttl_deletion_reaches_the_function_with_its_user_identity(fresh_server):
    lam = make_client("lambda", fresh_server.endpoint_url)
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    table, stream = stream_table(ddb)
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    function, sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    ddb.put_item(TableName=table, Item={"pk": {"S": "short-lived"}, "expires": {"N": str(int(time.time()) + 60)}})
    move_clock(fresh_server.endpoint_url, {"advance": 3600})
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 2)
    insert, removal = (d["record"] for d in seen)
    assert insert["eventName"] == "INSERT" and "userIdentity" not in insert
    assert removal["eventName"] == "REMOVE"
    # Lambda's form of the TTL identity (AWS, "DynamoDB Streams and Time to Live").
    assert removal["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert removal["dynamodb"]["OldImage"]["pk"] == {"S": "short-lived"}


def test_records_older_than_maximum_record_age_are_skipped(fresh_server):
    lam = make_client("lambda", fresh_server.endpoint_url)
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST", MaximumRecordAgeInSeconds=60)["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    ddb.put_item(TableName=table, Item={"pk": {"S": "doomed"}, "fail": {"N": "1000000"}})
    wait_deliveries(ddb, sink, lambda s: len(s) >= 2)  # failing, retried (without end: no retry limit)
    wait_result(lam, mapping_id, "PROBLEM: Function call failed")
    move_clock(fresh_server.endpoint_url, {"advance": 120})
    ddb.put_item(TableName=table, Item={"pk": {"S": "fresh"}})
    seen = wait_deliveries(ddb, sink, lambda s: "fresh" in keys_delivered(s))
    assert keys_delivered(seen)[-1] == "fresh"
    assert set(keys_delivered(seen)) == {"doomed", "fresh"}
