"""Global tables, version 2019.11.21: replicas added with UpdateTable, one item store for every
Region, every change in every Region's stream. The refusals are worded as DynamoDB was recorded
answering them (ack-api-quirks' DDB-TABLE findings, aws-cli #4906, terraform-provider-aws #20019)."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from botocore.config import Config

from tests.services.dynamodb.conftest import refused, unique_name
from tests.support.raw_http import move_clock

HOME, OTHER, THIRD = "us-east-1", "eu-west-1", "ap-south-1"


def _client(url: str, region: str, service: str = "dynamodb", **config):
    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}, **config))


@pytest.fixture(scope="module")
def regions(server):
    return {region: _client(server.endpoint_url, region) for region in (HOME, OTHER, THIRD)}


@pytest.fixture(scope="module")
def stream_clients(server):
    return {region: _client(server.endpoint_url, region, "dynamodbstreams") for region in (HOME, OTHER, THIRD)}


def _table(client, name: str | None = None, **extra) -> str:
    name = name or unique_name("global")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"},
                                              {"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}], **extra)
    return name


def _add_replica(home, other, name: str, region: str) -> dict:
    answer = home.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])["TableDescription"]
    other.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    for _ in range(30):  # as Terraform waits: until the replica is ACTIVE in the table's own Region
        replicas = home.describe_table(TableName=name)["Table"].get("Replicas", [])
        if any(r["RegionName"] == region and r["ReplicaStatus"] == "ACTIVE" for r in replicas):
            return answer
        time.sleep(1)
    raise AssertionError(f"replica in {region} never became ACTIVE")


def _records(streams, stream_arn: str) -> list[dict]:
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def test_replica_created_described_in_every_region_and_shares_items(regions):
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)
    home.put_item(TableName=name, Item={"pk": {"S": "before"}, "sk": {"S": "1"}, "g": {"S": "x"}})
    answer = _add_replica(home, other, name, OTHER)
    # The answer: the table UPDATING, already global, the new replica listed only later (and a
    # NEW_AND_OLD_IMAGES stream turned on, as DynamoDB does for a table without one).
    assert answer["TableStatus"] == "UPDATING"
    assert answer["GlobalTableVersion"] == "2019.11.21"
    assert answer["Replicas"] == []
    assert answer["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    here = home.describe_table(TableName=name)["Table"]
    there = other.describe_table(TableName=name)["Table"]
    # Each Region lists the other, never itself; an inherited setting is absent from the entry,
    # which has no ReplicaArn (ack-api-quirks DDB-TABLE-229).
    warm = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    for table, region in ((here, OTHER), (there, HOME)):
        assert table["Replicas"] == [{"RegionName": region, "ReplicaStatus": "ACTIVE", "WarmThroughput": warm,
                                      "GlobalSecondaryIndexes": [{"IndexName": "by-g", "WarmThroughput": warm}],
                                      "GlobalTableSettingsReplicationMode": "ENABLED_WITH_OVERRIDES"}]
        assert table["GlobalTableSettingsReplicationMode"] == "ENABLED_WITH_OVERRIDES"
    assert there["GlobalTableVersion"] == "2019.11.21" and there["TableStatus"] == "ACTIVE"
    assert there["TableArn"] == here["TableArn"].replace(HOME, OTHER)
    assert there["TableId"] != here["TableId"]
    assert there["GlobalSecondaryIndexes"][0]["IndexArn"] == f"{there['TableArn']}/index/by-g"
    assert there["LatestStreamArn"].startswith(there["TableArn"] + "/stream/")
    assert there["KeySchema"] == here["KeySchema"] and there["ItemCount"] == 1
    assert name in other.list_tables()["TableNames"]
    # Items written in either Region are read in the other at once, by every read path.
    other.put_item(TableName=name, Item={"pk": {"S": "there"}, "sk": {"S": "2"}, "g": {"S": "x"}})
    assert home.get_item(TableName=name, Key={"pk": {"S": "there"}, "sk": {"S": "2"}}, ConsistentRead=True)["Item"]["g"] == {"S": "x"}
    assert other.get_item(TableName=name, Key={"pk": {"S": "before"}, "sk": {"S": "1"}})["Item"]["g"] == {"S": "x"}
    assert home.query(TableName=name, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "there"}})["Count"] == 1
    assert other.query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 2
    assert sorted(i["pk"]["S"] for i in home.scan(TableName=name)["Items"]) == ["before", "there"]


def test_conditional_writes_and_transactions_across_regions(regions):
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    key = {"pk": {"S": "k"}, "sk": {"S": "1"}}
    home.put_item(TableName=name, Item={**key, "n": {"N": "1"}})
    code, _, status = refused(other.put_item, TableName=name, Item={**key, "n": {"N": "2"}},
                              ConditionExpression="attribute_not_exists(pk)")
    assert (code, status) == ("ConditionalCheckFailedException", 400)
    other.transact_write_items(TransactItems=[
        {"Update": {"TableName": name, "Key": key, "UpdateExpression": "SET n = n + :one",
                    "ConditionExpression": "n = :n", "ExpressionAttributeValues": {":one": {"N": "1"}, ":n": {"N": "1"}}}},
        {"Put": {"TableName": name, "Item": {"pk": {"S": "k"}, "sk": {"S": "2"}}}},
    ])
    got = home.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": key}},
                                                 {"Get": {"TableName": name, "Key": {"pk": {"S": "k"}, "sk": {"S": "2"}}}}])
    assert got["Responses"][0]["Item"]["n"] == {"N": "2"} and got["Responses"][1]["Item"]
    code, _, _ = refused(home.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": name, "Key": key, "ConditionExpression": "n = :n",
                            "ExpressionAttributeValues": {":n": {"N": "1"}}}}])
    assert code == "TransactionCanceledException"


def test_every_region_stream_carries_every_change(regions, stream_clients):
    home, other = regions[HOME], regions[OTHER]
    name = _table(home, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    _add_replica(home, other, name, OTHER)
    key = {"pk": {"S": "s"}, "sk": {"S": "1"}}
    home.put_item(TableName=name, Item=key)
    other.update_item(TableName=name, Key=key, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "b"}})
    home.delete_item(TableName=name, Key=key)
    for region in (HOME, OTHER):
        table = regions[region].describe_table(TableName=name)["Table"]
        # A replica takes the table's stream view as it is (DDB-TABLE-305).
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
        records = _records(stream_clients[region], table["LatestStreamArn"])
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
        assert {r["awsRegion"] for r in records} == {region}
        assert all(r["dynamodb"]["Keys"] == key for r in records)


def test_index_and_ttl_settings_apply_to_every_replica(regions):
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    other.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "h": {"S": "y"}})
    other.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"}],
                       GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-h", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
                                                                "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    here = home.describe_table(TableName=name)["Table"]
    assert sorted(i["IndexName"] for i in here["GlobalSecondaryIndexes"]) == ["by-g", "by-h"]
    assert {i["IndexArn"] for i in here["GlobalSecondaryIndexes"]} == {f"{here['TableArn']}/index/by-g", f"{here['TableArn']}/index/by-h"}
    home.put_item(TableName=name, Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "h": {"S": "y"}})
    for client in (home, other):
        assert client.query(TableName=name, IndexName="by-h", KeyConditionExpression="h = :h",
                            ExpressionAttributeValues={":h": {"S": "y"}})["Count"] == 2
    home.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    assert other.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    # Deletion protection and tags stay each replica's own.
    other.update_table(TableName=name, DeletionProtectionEnabled=True)
    assert home.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is False
    other.tag_resource(ResourceArn=other.describe_table(TableName=name)["Table"]["TableArn"], Tags=[{"Key": "k", "Value": "v"}])
    assert home.list_tags_of_resource(ResourceArn=here["TableArn"])["Tags"] == []
    code, message, status = refused(home.update_table, TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": OTHER}}])
    assert (code, message, status) == ("ValidationException", "Resource cannot be deleted as it is currently protected "
                                       "against deletion. Disable deletion protection first.", 400)
    other.update_table(TableName=name, DeletionProtectionEnabled=False)


def test_replica_updates_and_table_class_override(regions):
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)
    home.update_table(TableName=name, ReplicaUpdates=[{"Create": {
        "RegionName": OTHER, "TableClassOverride": "STANDARD_INFREQUENT_ACCESS",
        "GlobalSecondaryIndexes": [{"IndexName": "by-g", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50}},
                                   {"IndexName": "no-such-index"}]}}])
    entry = home.describe_table(TableName=name)["Table"]["Replicas"][0]
    assert entry["ReplicaTableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert [{k: v for k, v in i.items() if k != "WarmThroughput"} for i in entry["GlobalSecondaryIndexes"]] == [
        {"IndexName": "by-g", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50}}]
    assert other.describe_table(TableName=name)["Table"]["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert "TableClassSummary" not in home.describe_table(TableName=name)["Table"]
    answer = home.update_table(TableName=name, ReplicaUpdates=[{"Update": {
        "RegionName": OTHER, "TableClassOverride": "STANDARD", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 70}}}])
    assert answer["TableDescription"]["TableStatus"] == "UPDATING"
    entry = home.describe_table(TableName=name)["Table"]["Replicas"][0]
    assert entry["ReplicaTableClassSummary"]["TableClass"] == "STANDARD"
    assert entry["OnDemandThroughputOverride"] == {"MaxReadRequestUnits": 70}


def test_three_regions_each_list_the_others_in_joining_order(regions):
    home, other, third = regions[HOME], regions[OTHER], regions[THIRD]
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    _add_replica(other, third, name, THIRD)  # any member can add one (DDB-TABLE-265)
    listed = {region: [r["RegionName"] for r in regions[region].describe_table(TableName=name)["Table"]["Replicas"]]
              for region in (HOME, OTHER, THIRD)}
    assert listed == {HOME: [OTHER, THIRD], OTHER: [HOME, THIRD], THIRD: [HOME, OTHER]}
    third.put_item(TableName=name, Item={"pk": {"S": "3"}, "sk": {"S": "3"}})
    assert home.get_item(TableName=name, Key={"pk": {"S": "3"}, "sk": {"S": "3"}})["Item"]


def test_refusals_word_for_word(regions, raw):
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)

    def replica_refusal(*updates, client=home, **extra):
        return refused(client.update_table, TableName=name, ReplicaUpdates=list(updates), **extra)

    local = ("ValidationException", "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, "
             "DeleteTable, or UpdateTable as required.", 400)
    assert replica_refusal({"Create": {"RegionName": HOME}}) == local
    assert replica_refusal({"Delete": {"RegionName": HOME}}) == local
    assert replica_refusal({"Create": {"RegionName": OTHER}}, DeletionProtectionEnabled=True) == (
        "ValidationException", "One or more parameter values were invalid: Replica modification must be the only "
        "operation in the request", 400)
    assert replica_refusal({"Create": {"RegionName": OTHER}}, {"Create": {"RegionName": THIRD}}) == (
        "ValidationException", "Update table operation with more than one create or delete replica actions not allowed.", 400)
    assert replica_refusal({"Create": {"RegionName": OTHER}, "Delete": {"RegionName": OTHER}}) == (
        "ValidationException", "Update table operation with more than one type of replica actions not allowed.", 400)
    assert replica_refusal({"Update": {"RegionName": OTHER}}) == (
        "ValidationException", "There are no actions specified in the Replica Update Action of the request.", 400)
    code, message, status = replica_refusal({"Create": {"RegionName": "EU-WEST-1"}})
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("Region EU-WEST-1 is not supported. The latest version of global tables are only "
                              "supported in the following regions: [") and f" {OTHER}," in message
    assert replica_refusal({"Delete": {"RegionName": THIRD}}) == (
        "ValidationException", "Update global table operation failed because one or more replicas were not part of "
        f"the global table. Please retry the request without these replicas: [{THIRD}].", 400)
    # A Region that already holds a table of that name.
    _table(other, name)
    already = ("ValidationException", f"Failed to create a the new replica of table with name: \u2018{name}\u2019 because "
               "one or more replicas already existed as tables.", 400)
    assert replica_refusal({"Create": {"RegionName": OTHER}}) == already
    other.delete_table(TableName=name)
    assert "Replicas" not in home.describe_table(TableName=name)["Table"]  # nothing changed
    # A provisioned table: Overcast has no auto scaling, so never meets AWS's condition.
    provisioned = unique_name("prov")
    home.create_table(TableName=provisioned, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                      ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert refused(home.update_table, TableName=provisioned, ReplicaUpdates=[{"Create": {"RegionName": OTHER}}]) == (
        "ValidationException", "Table write capacity should either be Pay-Per-Request or AutoScaled.", 400)
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.describe_table(TableName=provisioned)
    # With a replica: the same Create again, a stream switched off, a throughput override on demand.
    _add_replica(home, other, name, OTHER)
    assert replica_refusal({"Create": {"RegionName": OTHER}}) == already
    assert refused(other.update_table, TableName=name, StreamSpecification={"StreamEnabled": False}) == (
        "ValidationException", "One or more parameter values were invalid: Disabling Stream is not allowed for a Global "
        "Table replica.", 400)
    assert replica_refusal({"Update": {"RegionName": OTHER, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 5}}}) == (
        "ValidationException", "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
        "PAY_PER_REQUEST", 400)
    assert replica_refusal({"Update": {"RegionName": OTHER, "GlobalSecondaryIndexes": [{"IndexName": "by-g"}]}}) == (
        "ValidationException", "There are no actions specified in the Replica Update Action of the request.", 400)
    # Multi-Region strong consistency is not built: refused, not ignored.
    code, message, status = refused(raw.update_table, TableName=name, MultiRegionConsistency="STRONG")
    assert (code, status) == ("NotImplemented", 501)


def test_delete_replica_then_the_original_while_a_replica_lives(fresh_server):
    home, other, third = (_client(fresh_server.endpoint_url, r) for r in (HOME, OTHER, THIRD))
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    _add_replica(home, third, name, THIRD)
    home.put_item(TableName=name, Item={"pk": {"S": "kept"}, "sk": {"S": "1"}})
    answer = home.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": THIRD}}])["TableDescription"]
    assert answer["TableStatus"] == "UPDATING"
    assert {r["RegionName"]: r["ReplicaStatus"] for r in answer["Replicas"]} == {OTHER: "ACTIVE", THIRD: "DELETING"}
    with pytest.raises(third.exceptions.ResourceNotFoundException):
        third.get_item(TableName=name, Key={"pk": {"S": "kept"}, "sk": {"S": "1"}})
    assert [r["RegionName"] for r in other.describe_table(TableName=name)["Table"]["Replicas"]] == [HOME]
    # The Region replicas were added from stays a day (AWS's rule), by the server's clock.
    held = ("ValidationException", "Replica cannot be deleted because it has acted as a source region for new "
            "replica(s) being added to the table in the last 24 hours.", 400)
    assert refused(home.delete_table, TableName=name) == held
    assert refused(other.update_table, TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": HOME}}]) == held
    move_clock(fresh_server.endpoint_url, {"advance": 24 * 3600 + 60})
    assert home.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    with pytest.raises(home.exceptions.ResourceNotFoundException):
        home.describe_table(TableName=name)
    left = other.describe_table(TableName=name)["Table"]
    assert "Replicas" not in left and "GlobalTableVersion" not in left
    assert other.get_item(TableName=name, Key={"pk": {"S": "kept"}, "sk": {"S": "1"}})["Item"]
    # The name is free again in the original Region, and a new table there is a new one.
    _table(home, name)
    assert home.scan(TableName=name)["Count"] == 0
    assert other.scan(TableName=name)["Count"] == 1
    other.delete_table(TableName=name)
    assert home.scan(TableName=name)["Count"] == 0


def test_ttl_expiry_removes_the_item_everywhere_once(fresh_server):
    home, other = _client(fresh_server.endpoint_url, HOME), _client(fresh_server.endpoint_url, OTHER)
    streams_home = _client(fresh_server.endpoint_url, HOME, "dynamodbstreams")
    streams_other = _client(fresh_server.endpoint_url, OTHER, "dynamodbstreams")
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    other.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    key = {"pk": {"S": "t"}, "sk": {"S": "1"}}
    home.put_item(TableName=name, Item={**key, "expires": {"N": str(int(time.time()) + 3600)}})
    move_clock(fresh_server.endpoint_url, {"advance": 7200})
    for _ in range(100):
        if "Item" not in other.get_item(TableName=name, Key=key):
            break
        time.sleep(0.1)
    assert "Item" not in home.get_item(TableName=name, Key=key)
    removes = []
    for client, streams in ((home, streams_home), (other, streams_other)):
        records = _records(streams, client.describe_table(TableName=name)["Table"]["LatestStreamArn"])
        assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
        removes.append(records[1])
    # The Region that expired the item marks its record as the service's; the replicated delete
    # elsewhere is a plain REMOVE.
    identities = [r.get("userIdentity") for r in removes]
    assert identities.count(None) == 1
    assert {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"} in identities


def test_replicas_survive_kill9(fresh_server):
    home, other = _client(fresh_server.endpoint_url, HOME), _client(fresh_server.endpoint_url, OTHER)
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    other.put_item(TableName=name, Item={"pk": {"S": "durable"}, "sk": {"S": "1"}})
    fresh_server.kill9()
    fresh_server.start()
    home, other = _client(fresh_server.endpoint_url, HOME), _client(fresh_server.endpoint_url, OTHER)
    assert home.describe_table(TableName=name)["Table"]["Replicas"][0]["RegionName"] == OTHER
    assert other.describe_table(TableName=name)["Table"]["Replicas"][0]["RegionName"] == HOME
    assert home.get_item(TableName=name, Key={"pk": {"S": "durable"}, "sk": {"S": "1"}})["Item"]
    # Still one store and both streams after the restart.
    home.put_item(TableName=name, Item={"pk": {"S": "after"}, "sk": {"S": "1"}})
    assert other.get_item(TableName=name, Key={"pk": {"S": "after"}, "sk": {"S": "1"}})["Item"]
    streams_other = _client(fresh_server.endpoint_url, OTHER, "dynamodbstreams")
    records = _records(streams_other, other.describe_table(TableName=name)["Table"]["LatestStreamArn"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["durable", "after"]


def test_backups_and_point_in_time_recovery_of_a_replica_read_the_shared_items(regions):
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    home.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert other.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"  # each Region's own
    other.put_item(TableName=name, Item={"pk": {"S": "written-there"}, "sk": {"S": "1"}})
    restored = unique_name("restored")
    home.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=restored, UseLatestRestorableTime=True)
    assert home.get_item(TableName=restored, Key={"pk": {"S": "written-there"}, "sk": {"S": "1"}})["Item"]
    backup = other.create_backup(TableName=name, BackupName="of-the-replica")["BackupDetails"]["BackupArn"]
    home.put_item(TableName=name, Item={"pk": {"S": "later"}, "sk": {"S": "1"}})
    from_backup = unique_name("from-backup")
    other.restore_table_from_backup(TargetTableName=from_backup, BackupArn=backup)
    assert [i["pk"]["S"] for i in other.scan(TableName=from_backup)["Items"]] == ["written-there"]


def test_concurrent_replica_changes_leave_one_consistent_group(regions, server):
    home = regions[HOME]
    name = _table(home)
    outcomes: dict[str, str] = {}

    def add(region: str) -> None:
        client = _client(server.endpoint_url, HOME)
        try:
            client.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])
            outcomes[region] = "created"
        except client.exceptions.ResourceInUseException as error:
            assert error.response["Error"]["Message"] == "The resource which you are attempting to change is in use."
            outcomes[region] = "in use"

    threads = [threading.Thread(target=add, args=(region,)) for region in (OTHER, THIRD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed = {r["RegionName"] for r in home.describe_table(TableName=name)["Table"].get("Replicas", [])}
    assert listed == {region for region, outcome in outcomes.items() if outcome == "created"} and listed
    for region in (OTHER, THIRD):
        assert _exists(regions[region], name) == (region in listed)


def _exists(client, name: str) -> bool:
    try:
        client.describe_table(TableName=name)
        return True
    except client.exceptions.ResourceNotFoundException:
        return False


def test_a_table_with_its_own_key_needs_a_key_for_each_replica(regions):
    home, other = regions[HOME], regions[OTHER]
    key = "11111111-2222-3333-4444-555555555555"
    name = _table(home, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key})
    assert refused(home.update_table, TableName=name, ReplicaUpdates=[{"Create": {"RegionName": OTHER}}]) == (
        "ValidationException", "One or more parameter values were invalid: KMSMasterKeyId must be specified for each replica.", 400)
    home.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": OTHER, "KMSMasterKeyId": key}}])
    # Named by its ARN in the replica's Region, in both Regions' views.
    there = other.describe_table(TableName=name)["Table"]
    assert there["SSEDescription"]["KMSMasterKeyArn"].endswith(f":key/{key}") and OTHER in there["SSEDescription"]["KMSMasterKeyArn"]
    assert home.describe_table(TableName=name)["Table"]["Replicas"][0]["KMSMasterKeyId"] == there["SSEDescription"]["KMSMasterKeyArn"]


def test_the_2017_operations_answer_as_dynamodb_does_today(regions):
    # AWS creates no 2017.11.29 global tables any more, and its operations do not see 2019.11.21
    # ones (ack-api-quirks DDB-GLOBALTABLE-001, -002, DDB-GLOBALTABLESETTINGS-001).
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    not_supported = ("ValidationException", "One or more parameter values were invalid: DynamoDB global tables version "
                     "2017.11.29 is not supported. We recommend using DynamoDB global tables version 2019.11.21, "
                     "instead of version 2017.11.29 (Legacy).", 400)
    assert refused(home.create_global_table, GlobalTableName=name,
                   ReplicationGroup=[{"RegionName": HOME}, {"RegionName": THIRD}]) == not_supported
    assert refused(home.update_global_table, GlobalTableName="no-such-global-table",
                   ReplicaUpdates=[{"Create": {"RegionName": THIRD}}]) == not_supported
    missing = ("GlobalTableNotFoundException", f"Global table with name: '{name}' does not exist.", 400)
    assert refused(home.describe_global_table, GlobalTableName=name) == missing
    assert refused(other.describe_global_table_settings, GlobalTableName=name) == missing
    assert refused(home.update_global_table_settings, GlobalTableName=name, GlobalTableBillingMode="PAY_PER_REQUEST") == missing
    assert refused(home.update_global_table, GlobalTableName=name, ReplicaUpdates=[{"Delete": {"RegionName": OTHER}}]) == missing
    assert home.list_global_tables()["GlobalTables"] == []
    assert [r["RegionName"] for r in home.describe_table(TableName=name)["Table"]["Replicas"]] == [OTHER]  # untouched


def test_a_client_request_token_is_one_regions(regions):
    # Each Region's DynamoDB is its own service: the same token sent to two Regions is two
    # requests, both applied; a retry within one Region is applied once.
    home, other = regions[HOME], regions[OTHER]
    name = _table(home)
    _add_replica(home, other, name, OTHER)
    request = {"TransactItems": [{"Update": {"TableName": name, "Key": {"pk": {"S": "n"}, "sk": {"S": "1"}},
                                             "UpdateExpression": "ADD hits :one",
                                             "ExpressionAttributeValues": {":one": {"N": "1"}}}}],
               "ClientRequestToken": "order-0001"}
    home.transact_write_items(**request)
    home.transact_write_items(**request)  # a retry: applied once
    other.transact_write_items(**request)
    item = home.get_item(TableName=name, Key={"pk": {"S": "n"}, "sk": {"S": "1"}}, ConsistentRead=True)["Item"]
    assert item["hits"] == {"N": "2"}
    # Two plain tables of one name in two Regions: the second Region's put is not a replay.
    lone = _table(home)
    _table(other, lone)
    put = {"TransactItems": [{"Put": {"TableName": lone, "Item": {"pk": {"S": "p"}, "sk": {"S": "1"}}}}],
           "ClientRequestToken": "order-0002"}
    home.transact_write_items(**put)
    other.transact_write_items(**put)
    assert other.get_item(TableName=lone, Key={"pk": {"S": "p"}, "sk": {"S": "1"}})["Item"] == {"pk": {"S": "p"}, "sk": {"S": "1"}}


def test_a_new_replica_of_an_on_demand_table_takes_no_provisioned_override(regions):
    # As an Update action's override is refused; the Create action's was taken and kept nowhere.
    home = regions[HOME]
    name = _table(home)
    with pytest.raises(home.exceptions.ClientError) as refusal:
        home.update_table(TableName=name, ReplicaUpdates=[{"Create": {
            "RegionName": OTHER, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 5}}}])
    error = refusal.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ValidationException",
        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST", 400)
    assert "Replicas" not in home.describe_table(TableName=name)["Table"]
