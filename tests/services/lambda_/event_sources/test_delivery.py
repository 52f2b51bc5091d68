"""Stream records reaching functions through event source mappings, against a real server."""

from __future__ import annotations

import json
import time

from tests.services.lambda_.event_sources.support import (
    create_recorder,
    deliveries,
    keys_delivered,
    recording_function,
    stream_table,
    wait_deliveries,
    wait_result,
    wait_state,
)


def put(ddb, table: str, key: str, **attributes) -> None:
    item = {"pk": {"S": key}, **attributes}
    ddb.put_item(TableName=table, Item=item)


def test_inserts_updates_deletes_arrive_in_order_with_their_images(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                              StartingPosition="LATEST")
    wait_state(lam, mapping["UUID"], "Enabled")
    put(ddb, table, "a", v={"N": "1"})
    ddb.update_item(TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    put(ddb, table, "b", v={"S": "x"})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 4)
    assert len(seen) == 4
    records = [d["record"] for d in seen]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "a"), ("MODIFY", "a"), ("INSERT", "b"), ("REMOVE", "a")]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence)
    first, modify, _, remove = records
    assert first["eventVersion"] == "1.1" and first["eventSource"] == "aws:dynamodb"
    assert first["awsRegion"] == "us-east-1"
    assert first["eventSourceARN"] == stream
    assert first["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert "OldImage" not in first["dynamodb"]
    assert first["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], (int, float))
    assert abs(first["dynamodb"]["ApproximateCreationDateTime"] - time.time()) < 600
    assert first["dynamodb"]["SizeBytes"] > 0
    assert modify["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert modify["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert remove["dynamodb"]["OldImage"] == {"pk": {"S": "a"}, "v": {"N": "2"}}
    assert "NewImage" not in remove["dynamodb"]
    wait_result(lam, mapping["UUID"], "OK")


def test_batches_hold_at_most_batch_size_records(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    for i in range(7):
        put(ddb, table, f"k{i}")
    # Written before the mapping exists: TRIM_HORIZON reads them all at once, in batches of 3.
    lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream, StartingPosition="TRIM_HORIZON",
                                    BatchSize=3)
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 7)
    assert keys_delivered(seen) == [f"k{i}" for i in range(7)]
    batches: dict[str, list[str]] = {}
    for delivery in seen:
        batches.setdefault(delivery["attempt"], []).append(delivery["seq"])
    assert sorted(len(b) for b in batches.values()) == [1, 3, 3]
    assert all(d["size"] <= 3 for d in seen)


def test_batching_window_gathers_records_into_one_batch(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                              StartingPosition="LATEST", BatchSize=3,
                                              MaximumBatchingWindowInSeconds=30)
    wait_state(lam, mapping["UUID"], "Enabled")
    for i in range(3):
        put(ddb, table, f"w{i}")
    # The batch is handed over when it is full, well before the 30 s window ends.
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 3)
    assert [d["size"] for d in seen] == [3, 3, 3]
    assert len({d["attempt"] for d in seen}) == 1


def test_failing_batch_is_retried_in_order_then_skipped(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    put(ddb, table, "bad", fail={"N": "1000"})
    put(ddb, table, "next")
    mapping = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                              StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=2)
    # One invocation and two retries, the shard held meanwhile; then the batch is skipped.
    seen = wait_deliveries(ddb, sink, lambda s: any(k == "after" for k in keys_delivered(s)) or len(s) >= 3)
    put(ddb, table, "after")
    seen = wait_deliveries(ddb, sink, lambda s: "after" in keys_delivered(s))
    keys = keys_delivered(seen)
    assert keys.count("bad") == 3
    assert "next" not in keys  # it was in the failing batch, after the record that raised
    assert keys[-1] == "after" and keys.count("after") == 1
    wait_result(lam, mapping["UUID"], "OK")


def test_reported_item_failure_resumes_at_the_failed_item(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb, mode="partial")
    put(ddb, table, "r1")
    put(ddb, table, "r2", fail={"N": "1"})
    put(ddb, table, "r3")
    lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream, StartingPosition="TRIM_HORIZON",
                                    FunctionResponseTypes=["ReportBatchItemFailures"])
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 5)
    assert keys_delivered(seen) == ["r1", "r2", "r3", "r2", "r3"]
    first, retry = seen[:3], seen[3:]
    assert [d["size"] for d in first] == [3, 3, 3]
    assert [d["size"] for d in retry] == [2, 2]  # r1 was acknowledged: not handed over again
    put(ddb, table, "r4")
    seen = wait_deliveries(ddb, sink, lambda s: "r4" in keys_delivered(s))
    assert keys_delivered(seen).count("r1") == 1 and keys_delivered(seen).count("r4") == 1


def test_bisect_splits_a_failing_batch(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    put(ddb, table, "b1")
    put(ddb, table, "b2", fail={"N": "1"})
    lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream, StartingPosition="TRIM_HORIZON",
                                    BisectBatchOnFunctionError=True)
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 4)
    # [b1, b2] fails at b2; the retry hands over the first half alone, then the second.
    assert keys_delivered(seen) == ["b1", "b2", "b1", "b2"]
    assert [d["size"] for d in seen] == [2, 2, 1, 1]


def test_filter_criteria_deliver_only_matching_records(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    patterns = [
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"color": {"S": [{"prefix": "bl"}]}}}},
        {"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">", 10, "<=", 20]}]}}}},
        {"eventName": ["REMOVE"], "dynamodb": {"OldImage": {"color": {"S": [{"anything-but": ["red"]}]}}}},
    ]
    mapping = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(p)} for p in patterns]})
    wait_state(lam, mapping["UUID"], "Enabled")
    put(ddb, table, "blue-1", color={"S": "blue"})      # INSERT, prefix bl: delivered
    put(ddb, table, "red-1", color={"S": "red"})        # no filter matches
    put(ddb, table, "blue-1", color={"S": "blue"}, x={"S": "1"})  # MODIFY: not an INSERT
    put(ddb, table, "num-5", n={"N": "5"})              # out of range
    put(ddb, table, "num-15", n={"N": "15"})            # in range: delivered
    ddb.delete_item(TableName=table, Key={"pk": {"S": "red-1"}})   # REMOVE of red: excluded
    ddb.delete_item(TableName=table, Key={"pk": {"S": "blue-1"}})  # REMOVE of blue: delivered
    put(ddb, table, "blue-2", color={"S": "black"})     # the last one: delivered
    seen = wait_deliveries(ddb, sink, lambda s: "blue-2" in keys_delivered(s))
    assert [(d["record"]["eventName"], k) for d, k in zip(seen, keys_delivered(seen), strict=True)] == [
        ("INSERT", "blue-1"), ("INSERT", "num-15"), ("REMOVE", "blue-1"), ("INSERT", "blue-2")]


def test_disabled_mapping_delivers_nothing_until_enabled(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    put(ddb, table, "one")
    wait_deliveries(ddb, sink, lambda s: keys_delivered(s) == ["one"])
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=False)
    wait_state(lam, mapping_id, "Disabled")
    put(ddb, table, "two")
    put(ddb, table, "three")
    time.sleep(2)  # a disabled mapping hands nothing over, however long it is given
    assert keys_delivered(deliveries(ddb, sink)) == ["one"]
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 3)
    assert keys_delivered(seen) == ["one", "two", "three"]


def test_mapping_of_a_deleted_function_waits_for_it(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    lam.delete_function(FunctionName=function)
    put(ddb, table, "while-gone")
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    # Lambda's words for it (quoted by users: "PROBLEM: Function not found: arn:...").
    wait_result(lam, mapping_id, f"PROBLEM: Function not found: {arn}")
    # A function of that name again: the record held back reaches it.
    create_recorder(lam, function, sink)
    seen = wait_deliveries(ddb, sink, lambda s: "while-gone" in keys_delivered(s))
    assert keys_delivered(seen) == ["while-gone"]


def test_exhausted_batch_is_described_for_the_on_failure_destination(lam, ddb, server):
    # Overcast has no SQS yet: the record Lambda would send the queue is written to the server's
    # log instead, in the shape of LocalStack's AWS-validated on-failure snapshot.
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    queue = "arn:aws:sqs:us-east-1:000000000000:esm-failures"
    put(ddb, table, "poison", fail={"N": "1000"})
    mapping = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                              StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=1,
                                              DestinationConfig={"OnFailure": {"Destination": queue}})
    wait_deliveries(ddb, sink, lambda s: len(s) >= 2)  # the batch in hand holds the poison record alone
    put(ddb, table, "after")
    seen = wait_deliveries(ddb, sink, lambda s: "after" in keys_delivered(s))
    poison_seq = seen[0]["seq"]
    deadline = time.monotonic() + 30
    while True:
        lines = [line for line in server.log_tail(2000).splitlines()
                 if mapping["UUID"] in line and "on-failure record" in line]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert lines, server.log_tail(50)
    message = json.loads(lines[-1][lines[-1].index("{"):])
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 2
    assert message["requestContext"]["functionArn"] == mapping["FunctionArn"]
    assert message["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                          "functionError": "Unhandled"}
    assert message["version"] == "1.0"
    info = message["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == poison_seq
    assert info["batchSize"] == 1 and info["streamArn"] == stream
    assert info["shardId"].startswith("shardId-")


def test_update_moves_delivery_to_another_function_without_losing_the_position(lam, ddb):
    table, stream = stream_table(ddb)
    first, first_sink = recording_function(lam, ddb)
    second, second_sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=first, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    put(ddb, table, "to-first")
    wait_deliveries(ddb, first_sink, lambda s: len(s) >= 1)
    lam.update_event_source_mapping(UUID=mapping_id, FunctionName=second)
    wait_state(lam, mapping_id, "Enabled")
    put(ddb, table, "to-second")
    seen = wait_deliveries(ddb, second_sink, lambda s: len(s) >= 1)
    assert keys_delivered(seen) == ["to-second"]
    assert keys_delivered(deliveries(ddb, first_sink)) == ["to-first"]


def test_quick_disable_enable_delivers_each_record_once_in_order(lam, ddb):
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST", BatchSize=1)["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    for i in range(4):
        put(ddb, table, f"q{i}")
        lam.update_event_source_mapping(UUID=mapping_id, Enabled=False)
        lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)
    seen = wait_deliveries(ddb, sink, lambda s: len(set(keys_delivered(s))) >= 4)
    # A disabled poller finishes and acknowledges the batch in hand before the next one starts.
    assert keys_delivered(seen) == [f"q{i}" for i in range(4)]
    wait_state(lam, mapping_id, "Enabled")


def test_parallelization_keeps_each_item_in_order_and_lets_other_items_pass_a_stuck_one(lam, ddb):
    # ParallelizationFactor: several batches of one shard at once, an item's changes in order
    # (AWS, "Concurrent batches per shard"); a failing item holds only its own part.
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    put(ddb, table, "stuck", fail={"N": "1000000"})
    for version in range(1, 4):
        put(ddb, table, "m", v={"N": str(version)})
    others = [f"k{i}" for i in range(12)]
    for key in others:
        put(ddb, table, key)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="TRIM_HORIZON", BatchSize=5,
                                                 ParallelizationFactor=10)["UUID"]
    seen = wait_deliveries(ddb, sink, lambda s: keys_delivered(s).count("stuck") >= 2
                           and any(k in others for k in keys_delivered(s)))
    assert any(k in others for k in keys_delivered(seen))
    # Unblocked by an update: the stuck record is given up on at its next failure.
    lam.update_event_source_mapping(UUID=mapping_id, MaximumRetryAttempts=0)
    seen = wait_deliveries(ddb, sink, lambda s: set(others) | {"m"} <= set(keys_delivered(s)))
    put(ddb, table, "later")
    seen = wait_deliveries(ddb, sink, lambda s: "later" in keys_delivered(s))
    keys = keys_delivered(seen)
    versions = [d["record"]["dynamodb"]["NewImage"]["v"]["N"] for d in seen if keys_delivered([d]) == ["m"]]
    assert versions == ["1", "2", "3"]
    assert all(keys.count(k) == 1 for k in others + ["later"])
    assert keys[-1] == "later"
