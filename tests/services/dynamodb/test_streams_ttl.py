"""DynamoDB Streams records for every change, and the TTL sweeper driven by the server's clock."""

from __future__ import annotations

import time

import boto3
import pytest

from tests.conftest import make_client
from tests.services.dynamodb.conftest import on_demand_table
from tests.support.raw_http import move_clock


def _records(streams, stream_arn: str) -> list[dict]:
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = []
    for _ in range(10):
        page = streams.get_records(ShardIterator=iterator)
        records += page["Records"]
        iterator = page.get("NextShardIterator")
        if not page["Records"] or not iterator:
            break
    return records


def test_stream_records_in_order(ddb, streams, make_table):
    name = make_table("S", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "never-existed"}})
    records = _records(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert records[0]["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert "OldImage" not in records[0]["dynamodb"]
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert records[2]["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert records[0]["eventSource"] == "aws:dynamodb"
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence)
    # The shard starts before its first record (LocalStack's AWS-validated
    # test_dynamodb_stream_records_with_update_item: insert > starting sequence number).
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert int(shard["SequenceNumberRange"]["StartingSequenceNumber"]) < sequence[0]
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed[0]["StreamArn"] == arn


def test_keys_only_stream_and_latest_iterator(ddb, streams, make_table):
    name = make_table("S", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "before"}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "after"}, "x": {"S": "y"}})
    records = streams.get_records(ShardIterator=latest)["Records"]
    assert [r["dynamodb"]["Keys"] for r in records] == [{"pk": {"S": "after"}}]
    assert "NewImage" not in records[0]["dynamodb"]


def test_stream_enabled_by_update_table(ddb, streams, make_table):
    name = make_table("S")
    description = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    arn = description["TableDescription"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "z"}})
    assert [r["eventName"] for r in _records(streams, arn)] == ["INSERT"]


def test_ttl_sweeper_deletes_expired_items(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    stream_client = make_client("dynamodbstreams", fresh_server.endpoint_url)
    name = on_demand_table(client, "ttl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert client.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    now = int(time.time())
    client.put_item(TableName=name, Item={"pk": {"S": "soon"}, "expires": {"N": str(now + 3600)}})
    client.put_item(TableName=name, Item={"pk": {"S": "later"}, "expires": {"N": str(now + 30 * 86400)}})
    client.put_item(TableName=name, Item={"pk": {"S": "never"}})
    assert "Item" in client.get_item(TableName=name, Key={"pk": {"S": "soon"}})
    move_clock(fresh_server.endpoint_url, {"advance": 7200})
    # The sweep may be running on the scheduler's own thread when the clock call returns.
    for _ in range(100):
        remaining = sorted(i["pk"]["S"] for i in client.scan(TableName=name)["Items"])
        if "soon" not in remaining:
            break
        time.sleep(0.05)
    assert remaining == ["later", "never"]
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    records = _records(stream_client, arn)
    removal = [r for r in records if r["eventName"] == "REMOVE"]
    assert len(removal) == 1
    assert removal[0]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert removal[0]["dynamodb"]["OldImage"]["pk"] == {"S": "soon"}
    with pytest.raises(client.exceptions.ClientError):
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})


def test_sequence_numbers_keep_growing_after_every_record_is_trimmed(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    stream_client = make_client("dynamodbstreams", fresh_server.endpoint_url)
    name = on_demand_table(client, "trim", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    for key in "abc":
        client.put_item(TableName=name, Item={"pk": {"S": key}})
    last_read = _records(stream_client, arn)[-1]["dynamodb"]["SequenceNumber"]
    move_clock(fresh_server.endpoint_url, {"advance": 25 * 3600})
    for _ in range(100):  # the trim runs on the scheduler's thread
        if not _records(stream_client, arn):
            break
        time.sleep(0.05)
    assert _records(stream_client, arn) == []
    client.put_item(TableName=name, Item={"pk": {"S": "d"}})
    [record] = _records(stream_client, arn)
    assert int(record["dynamodb"]["SequenceNumber"]) > int(last_read)
    shard = stream_client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    # The shard starts just before its first record (AWS numbers that record after the start).
    assert int(last_read) <= int(shard["SequenceNumberRange"]["StartingSequenceNumber"]) < int(
        record["dynamodb"]["SequenceNumber"])
    at_start = stream_client.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=shard["SequenceNumberRange"]["StartingSequenceNumber"])["ShardIterator"]
    assert [r["dynamodb"]["Keys"] for r in stream_client.get_records(ShardIterator=at_start)["Records"]] == [
        {"pk": {"S": "d"}}]
    # A record already trimmed before the shard's start cannot be read from.
    with pytest.raises(stream_client.exceptions.TrimmedDataAccessException) as trimmed:
        stream_client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
                                         SequenceNumber=f"{int(last_read) - 1:021d}")
    assert trimmed.value.response["Error"]["Message"] == (
        "The operation attempted to read past the oldest stream record in a shard.")
    assert trimmed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A consumer resuming after the last record it read gets the new one.
    iterator = stream_client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], SequenceNumber=last_read,
                                                ShardIteratorType="AFTER_SEQUENCE_NUMBER")["ShardIterator"]
    assert [r["dynamodb"]["Keys"] for r in stream_client.get_records(ShardIterator=iterator)["Records"]] == [
        {"pk": {"S": "d"}}]


def test_describe_stream_pages_after_exclusive_start_shard(ddb, streams, make_table):
    name = make_table("S", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) == 1
    after = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shards[0]["ShardId"])
    assert after["StreamDescription"]["Shards"] == []


def test_ttl_changes_at_most_once_an_hour(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client, "ttlonce")
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    error = excinfo.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ValidationException", "Time to live has been modified multiple times within a fixed interval", 400)
    assert client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    move_clock(fresh_server.endpoint_url, {"advance": 3601})
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert client.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}


def test_streams_are_read_in_their_own_region(ddb, make_table, server):
    name = make_table("S", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    elsewhere = boto3.client("dynamodbstreams", endpoint_url=server.endpoint_url, region_name="us-west-2",
                             aws_access_key_id="test", aws_secret_access_key="test")
    with pytest.raises(elsewhere.exceptions.ResourceNotFoundException) as excinfo:
        elsewhere.describe_stream(StreamArn=arn)
    assert excinfo.value.response["Error"]["Message"] == f"Requested resource not found: Stream: {arn} not found"
    assert arn not in [s["StreamArn"] for s in elsewhere.list_streams()["Streams"]]
