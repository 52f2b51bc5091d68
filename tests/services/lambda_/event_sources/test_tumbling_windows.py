"""Tumbling windows: invocations carry the window, the state the last one returned, and a final
invocation hands over the window's aggregate once the window has ended (AWS, "Using tumbling
windows with Lambda functions"). The test moves the clock of a server of its own."""

from __future__ import annotations

import time

from tests.conftest import make_client
from tests.services.lambda_.event_sources.support import (
    deliveries,
    recording_function,
    stream_table,
    unique,
    wait_deliveries,
    wait_state,
)
from tests.support.lambda_code import ROLE, zip_of
from tests.support.raw_http import move_clock

AGGREGATOR = '''
import json, os, time
import boto3

ddb = boto3.client("dynamodb")


def handler(event, context):
    state = dict(event["state"])
    keys = state.get("keys", "") + "".join(r["dynamodb"]["Keys"]["pk"]["S"] + "," for r in event["Records"])
    seen = {k: v for k, v in event.items() if k != "Records"}
    seen["keys"] = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
    ddb.put_item(TableName=os.environ["SINK"], Item={
        "seq": {"S": context.aws_request_id}, "attempt": {"S": context.aws_request_id},
        "record": {"S": json.dumps(seen)}, "size": {"N": str(len(event["Records"]))},
        "index": {"N": "0"}, "at": {"N": str(time.time_ns())}})
    return {"state": {"keys": keys}}
'''


def test_state_is_carried_through_a_window_and_handed_over_at_its_end(fresh_server):
    lam = make_client("lambda", fresh_server.endpoint_url)
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    # A minute starts just now: the records below all fall in the same 60 s window.
    window_start = (int(time.time()) // 60 + 1) * 60
    move_clock(fresh_server.endpoint_url, {"set": window_start + 1})
    table, stream = stream_table(ddb)
    _, sink = recording_function(lam, ddb)
    function = unique("esm-agg")
    lam.create_function(FunctionName=function, Runtime="python3.12", Role=ROLE, Handler="agg.handler",
                        Code={"ZipFile": zip_of({"agg.py": AGGREGATOR})}, Timeout=30,
                        Environment={"Variables": {"SINK": sink}})
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST", BatchSize=2,
                                                 TumblingWindowInSeconds=60)["UUID"]
    assert lam.get_event_source_mapping(UUID=mapping_id)["TumblingWindowInSeconds"] == 60
    wait_state(lam, mapping_id, "Enabled")
    for key in ("a", "b", "c"):
        ddb.put_item(TableName=table, Item={"pk": {"S": key}})
    seen = wait_deliveries(ddb, sink, lambda s: sum(d["size"] for d in s) >= 3)
    calls = [d["record"] for d in seen]
    assert [k for call in calls for k in call["keys"]] == ["a", "b", "c"]
    assert all(not call["isFinalInvokeForWindow"] and not call["isWindowTerminatedEarly"] for call in calls)
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(window_start))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(window_start + 60))
    assert all(call["window"] == {"start": start, "end": end} for call in calls)
    assert all(call["eventSourceARN"] == stream and call["shardId"].startswith("shardId-") for call in calls)
    assert calls[0]["state"] == {}
    assert calls[-1]["state"]["keys"] in ("a,", "a,b,")  # what the calls before it returned

    move_clock(fresh_server.endpoint_url, {"advance": 120})
    seen = wait_deliveries(ddb, sink, lambda s: any(d["record"]["isFinalInvokeForWindow"] for d in s))
    final = seen[-1]["record"]
    assert final["isFinalInvokeForWindow"] is True and final["keys"] == []
    assert final["state"] == {"keys": "a,b,c,"}
    assert final["window"] == {"start": start, "end": end}
    # A record of a later window starts a new state.
    ddb.put_item(TableName=table, Item={"pk": {"S": "d"}})
    seen = wait_deliveries(ddb, sink, lambda s: any(d["record"]["keys"] == ["d"] for d in s))
    assert seen[-1]["record"]["state"] == {}
    assert seen[-1]["record"]["window"]["start"] != start
    assert len(deliveries(ddb, sink)) == len(seen)


def test_window_state_survives_a_restart(fresh_server):
    lam = make_client("lambda", fresh_server.endpoint_url)
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    window_start = (int(time.time()) // 300 + 1) * 300
    move_clock(fresh_server.endpoint_url, {"set": window_start + 1})
    table, stream = stream_table(ddb)
    _, sink = recording_function(lam, ddb)
    function = unique("esm-agg")
    lam.create_function(FunctionName=function, Runtime="python3.12", Role=ROLE, Handler="agg.handler",
                        Code={"ZipFile": zip_of({"agg.py": AGGREGATOR})}, Timeout=30,
                        Environment={"Variables": {"SINK": sink}})
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST", TumblingWindowInSeconds=300)["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    wait_deliveries(ddb, sink, lambda s: len(s) >= 1)
    # Disabled first, so the state the call returned is stored before the server stops.
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=False)
    wait_state(lam, mapping_id, "Disabled")
    offset = move_clock(fresh_server.endpoint_url, {"advance": 0})["offset"]
    fresh_server.restart()
    # The clock's offset is the server's own: set it again after the restart.
    move_clock(fresh_server.endpoint_url, {"set": time.time() + offset})
    lam = make_client("lambda", fresh_server.endpoint_url)
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)
    wait_state(lam, mapping_id, "Enabled")
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}})
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 2)
    assert seen[-1]["record"]["keys"] == ["b"]
    assert seen[-1]["record"]["state"] == {"keys": "a,"}
