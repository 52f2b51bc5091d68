"""Table management as DynamoDB answers it: the validation messages of CreateTable, UpdateTable,
tags, TTL, backups and streams, and the table description UpdateTable leaves behind.

Messages come from DynamoDB's own answers as quoted by users and conformance suites (sources in
the audit report); requests go through a client without botocore's own checks, so that the
server's answer is what is tested.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.services.dynamodb.conftest import refused, unique_name

INVALID = "One or more parameter values were invalid: "
PK = [{"AttributeName": "pk", "KeyType": "HASH"}]
PK_DEFINED = [{"AttributeName": "pk", "AttributeType": "S"}]


def gsi(name: str, attribute: str = "g", **extra) -> dict:
    return {"IndexName": name, "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}, **extra}


G_DEFINED = PK_DEFINED + [{"AttributeName": "g", "AttributeType": "S"}]
ON_DEMAND = {"BillingMode": "PAY_PER_REQUEST"}
THROUGHPUT = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}


@pytest.mark.parametrize("request_members, message", [
    (dict(AttributeDefinitions=PK_DEFINED * 2, KeySchema=PK, **ON_DEMAND), "Attribute Name is duplicated: pk"),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK + [{"AttributeName": "sk", "KeyType": "RANGE"}], **ON_DEMAND),
     "Invalid KeySchema: Some index key attribute have no definition"),
    (dict(KeySchema=PK, **ON_DEMAND),
     "1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null"),
    (dict(AttributeDefinitions=G_DEFINED, KeySchema=PK, GlobalSecondaryIndexes=[gsi("by-g", Projection={})], **ON_DEMAND),
     INVALID + "Unknown ProjectionType: null"),
    (dict(AttributeDefinitions=G_DEFINED, KeySchema=PK, **ON_DEMAND, GlobalSecondaryIndexes=[
        gsi("by-g", Projection={"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]})]),
     INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"),
    (dict(AttributeDefinitions=G_DEFINED, KeySchema=PK, **ON_DEMAND, GlobalSecondaryIndexes=[
        gsi("by-g", Projection={"ProjectionType": "INCLUDE"})]),
     INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
    (dict(AttributeDefinitions=G_DEFINED, KeySchema=PK, **ON_DEMAND, GlobalSecondaryIndexes=[
        gsi("by-g", Projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "a"]})]),
     INVALID + "Duplicate element in NonKeyAttributes: a"),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK, GlobalSecondaryIndexes=[], **ON_DEMAND),
     INVALID + "List of GlobalSecondaryIndexes is empty"),
    (dict(AttributeDefinitions=G_DEFINED, KeySchema=PK, GlobalSecondaryIndexes=[gsi("by-g", ProvisionedThroughput=THROUGHPUT)],
          **ON_DEMAND),
     INVALID + "ProvisionedThroughput should not be specified for index: by-g when BillingMode is PAY_PER_REQUEST"),
    (dict(AttributeDefinitions=G_DEFINED, KeySchema=PK, GlobalSecondaryIndexes=[gsi("by-g")], ProvisionedThroughput=THROUGHPUT),
     INVALID + "ProvisionedThroughput is not specified for index: by-g"),
    (dict(AttributeDefinitions=G_DEFINED + [{"AttributeName": "spare", "AttributeType": "N"}], KeySchema=PK,
          GlobalSecondaryIndexes=[gsi("by-g")], **ON_DEMAND),
     INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: [pk, g, spare], keys used: [pk, g]"),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK, StreamSpecification={"StreamEnabled": True}, **ON_DEMAND),
     INVALID + "Table is being created with a stream enabled, UpdateViewType is required"),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK, **ON_DEMAND,
          StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}),
     INVALID + "Table is being created with a stream disabled, UpdateViewType should not be specified"),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK, TableClass="COLD", **ON_DEMAND),
     "Invalid table-class parameter provided. Please try again with a valid table-class value: "
     "[STANDARD, STANDARD_INFREQUENT_ACCESS]."),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK, SSESpecification={"Enabled": False, "SSEType": "KMS"}, **ON_DEMAND),
     INVALID + "SSEType can not be specified if Enabled is false"),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK, SSESpecification={"Enabled": True, "SSEType": "AES256"}, **ON_DEMAND),
     INVALID + "SSEType AES256 is not supported"),
    (dict(AttributeDefinitions=PK_DEFINED, KeySchema=PK, Tags=[{"Key": "aws:owner", "Value": "x"}], **ON_DEMAND),
     "Tag Key cannot be prefixed with aws:, Key: aws:owner"),
])
def test_create_table_refusals(raw, request_members, message):
    assert refused(raw.create_table, TableName=unique_name(), **request_members) == ("ValidationException", message, 400)


def test_update_table_with_nothing_to_change(raw, make_table):
    name = make_table()
    message = ("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
               "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, "
               "DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required")
    assert refused(raw.update_table, TableName=name, AttributeDefinitions=PK_DEFINED) == ("ValidationException", message, 400)


def test_strongly_consistent_global_table_changes_are_refused_not_ignored(raw, ddb, make_table):
    # Multi-Region strong consistency is not built (replicas are: test_global_tables.py): saying
    # yes would tell Terraform its strongly consistent group exists.
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    before = ddb.describe_table(TableName=name)["Table"]
    consistency = refused(raw.update_table, TableName=name, MultiRegionConsistency="STRONG")
    assert consistency == ("NotImplemented", "Overcast does not implement DynamoDB multi-Region strong consistency yet "
                           "(UpdateTable with MultiRegionConsistency).", 501)
    both = refused(raw.update_table, TableName=name, MultiRegionConsistency="STRONG",
                   GlobalTableWitnessUpdates=[{"Create": {"RegionName": "us-west-2"}}])
    assert both[1].endswith("(UpdateTable with MultiRegionConsistency, GlobalTableWitnessUpdates).")
    after = ddb.describe_table(TableName=name)["Table"]
    assert "Replicas" not in after and after["TableStatus"] == before["TableStatus"] == "ACTIVE"


def test_throughput_changes(raw, ddb):
    name = unique_name()
    ddb.create_table(TableName=name, KeySchema=PK, AttributeDefinitions=PK_DEFINED,
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    try:
        assert refused(raw.update_table, TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}) == (
            "ValidationException",
            "The provisioned throughput for the table will not change. The requested value equals the current value. "
            "Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5. "
            "Current WriteCapacityUnits provisioned for the table: 5. Requested WriteCapacityUnits: 5. "
            "Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", 400)
        ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 5})
        ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 9})
        throughput = ddb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
        assert throughput["NumberOfDecreasesToday"] == 1
        assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (3, 9)
        assert throughput["LastDecreaseDateTime"] <= throughput["LastIncreaseDateTime"]
        assert refused(raw.update_table, TableName=name, BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=True) == (
            "ValidationException", INVALID + "DeletionProtection modification must be the only operation in the request", 400)
        ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
        assert refused(raw.update_table, TableName=name, BillingMode="PROVISIONED") == (
            "ValidationException", INVALID + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED", 400)
    finally:
        ddb.delete_table(TableName=name)


@pytest.mark.parametrize("updates, message", [
    ([{}], "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
           "GlobalSecondaryIndexUpdate.Delete must not be null"),
    ([{"Delete": {"IndexName": "by-g"}, "Create": gsi("by-h")}],
     "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object"),
    ([{"Delete": {"IndexName": "by-g"}}, {"Delete": {"IndexName": "by-g"}}],
     "Only one global secondary index update per index is allowed simultaneously. Index: by-g"),
    ([{"Create": gsi("by-h", ProvisionedThroughput=THROUGHPUT)}],
     "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: by-h when BillingMode is PAY_PER_REQUEST"),
    ([{"Update": {"IndexName": "by-g", "ProvisionedThroughput": THROUGHPUT}}],
     "The only Updates for index: by-g when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"),
])
def test_index_update_refusals(raw, make_table, updates, message):
    name = make_table(ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}], GlobalSecondaryIndexes=[gsi("by-g")])
    assert refused(raw.update_table, TableName=name, AttributeDefinitions=G_DEFINED, GlobalSecondaryIndexUpdates=updates) == (
        "ValidationException", INVALID + message, 400)


def test_new_index_keys_come_from_the_request(raw, make_table):
    name = make_table(ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}], GlobalSecondaryIndexes=[gsi("by-g")])
    # "g" is defined on the table, but UpdateTable wants the new index's keys in its own AttributeDefinitions.
    create = [{"Create": gsi("by-g-too")}]
    assert refused(raw.update_table, TableName=name, GlobalSecondaryIndexUpdates=create) == (
        "ValidationException", INVALID + "AttributeDefinitions is not specified for index: by-g-too", 400)
    assert refused(raw.update_table, TableName=name, GlobalSecondaryIndexUpdates=create,
                   AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}]) == (
        "ValidationException", INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
        "Keys: [g], AttributeDefinitions: [other]", 400)


def test_attribute_definitions_follow_the_indexes(ddb, make_table):
    name = make_table(ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}], GlobalSecondaryIndexes=[gsi("by-g")])
    ddb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "N"},
                                                           {"AttributeName": "unused", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": gsi("by-h", "h")}])
    # Sorted by name, as DynamoDB answers them.
    assert ddb.describe_table(TableName=name)["Table"]["AttributeDefinitions"] == [
        {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "h", "AttributeType": "N"},
        {"AttributeName": "pk", "AttributeType": "S"}]
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    assert ddb.describe_table(TableName=name)["Table"]["AttributeDefinitions"] == [
        {"AttributeName": "h", "AttributeType": "N"}, {"AttributeName": "pk", "AttributeType": "S"}]


def test_local_index_is_not_updatable(raw, make_table):
    name = make_table("S", "S", ExtraDefinitions=[{"AttributeName": "l", "AttributeType": "S"}], LocalSecondaryIndexes=[
        {"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}}])
    assert refused(raw.update_table, TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-l"}}]) == (
        "ValidationException", "Cannot delete an index that is not a GlobalSecondaryIndex: by-l", 400)


def test_stream_and_encryption_updates(raw, make_table):
    name = make_table()
    assert refused(raw.update_table, TableName=name, StreamSpecification={"StreamEnabled": False}) == (
        "ValidationException", f"Table has no stream to disable: TableName: {name}", 400)
    assert refused(raw.update_table, TableName=name, StreamSpecification={"StreamEnabled": True}) == (
        "ValidationException", INVALID + "If stream is being enabled then UpdateViewType is required", 400)
    assert refused(raw.update_table, TableName=name, StreamSpecification={"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"}) == (
        "ValidationException", INVALID + "If stream is being disabled, then UpdateViewType must not be specified", 400)
    assert refused(raw.update_table, TableName=name, SSESpecification={"Enabled": False}) == (
        "ValidationException", INVALID + "Table is already encrypted by default", 400)
    assert refused(raw.update_table, TableName=name, SSESpecification={"Enabled": True}, DeletionProtectionEnabled=True) == (
        "ValidationException", INVALID + "Server-Side Encryption modification must be the only operation in the request", 400)
    assert refused(raw.update_table, TableName=name, TableClass="GLACIER") == (
        "ValidationException", "Invalid table-class parameter provided. Please try again with a valid table-class value: "
        "[STANDARD, STANDARD_INFREQUENT_ACCESS].", 400)


def test_tag_refusals(raw, make_table):
    arn = raw.describe_table(TableName=make_table())["Table"]["TableArn"]
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    cases = [
        (raw.tag_resource, dict(ResourceArn=arn, Tags=[]), "Atleast one Tag needs to be provided as Input."),
        (raw.untag_resource, dict(ResourceArn=arn, TagKeys=[]), "Atleast one Tag Key needs to be provided as Input."),
        (raw.tag_resource, dict(ResourceArn=arn, Tags=[{"Key": "AWS:x", "Value": "v"}]), "Tag Key cannot be prefixed with aws:, Key: AWS:x"),
        (raw.tag_resource, dict(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]),
         "Duplicate Tag Keys provided as input: Duplicate Tag Key found a"),
        (raw.tag_resource, dict(ResourceArn=arn, Tags=many), "Number of Tags exceed the current limit for the provided ResourceArn"),
        (raw.list_tags_of_resource, dict(ResourceArn="table/x"), INVALID + "ARNs must start with 'arn:': table/x"),
    ]
    for call, kwargs, message in cases:
        assert refused(call, **kwargs) == ("ValidationException", message, 400), message
    assert raw.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    missing = arn.rsplit("/", 1)[0] + "/no-such-table"
    for call, kwargs in ((raw.tag_resource, dict(Tags=[{"Key": "a", "Value": "1"}])), (raw.untag_resource, dict(TagKeys=["a"])),
                         (raw.list_tags_of_resource, {})):
        assert refused(call, ResourceArn=missing, **kwargs) == (
            "ResourceNotFoundException", f"Requested resource not found: ResourcArn: {missing} not found", 400)
    # The tags are looked at before the table is.
    assert refused(raw.tag_resource, ResourceArn=missing, Tags=[{"Key": "aws:x", "Value": "1"}]) == (
        "ValidationException", "Tag Key cannot be prefixed with aws:, Key: aws:x", 400)


def test_ttl_on_another_attribute(raw, make_table):
    name = make_table()
    raw.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    for enabled in (True, False):
        assert refused(raw.update_time_to_live, TableName=name,
                       TimeToLiveSpecification={"Enabled": enabled, "AttributeName": "other"}) == (
            "ValidationException", "TimeToLive is active on a different AttributeName: current AttributeName is expires", 400)


def test_backup_request_refusals(raw, make_table):
    name = make_table()
    assert refused(raw.update_continuous_backups, TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7}) == (
        "ValidationException", "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.", 400)
    assert refused(raw.update_continuous_backups, TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36}) == (
        "ValidationException", "1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' "
        "failed to satisfy constraint: Member must have value less than or equal to 35", 400)
    assert refused(raw.list_backups, TimeRangeLowerBound=datetime(2030, 1, 1, tzinfo=UTC),
                   TimeRangeUpperBound=datetime(2020, 1, 1, tzinfo=UTC)) == (
        "ValidationException", INVALID + "Time range lower bound must be less than or equal to upper bound", 400)
    assert refused(raw.create_backup, TableName=name, BackupName="nightly copy") == (
        "ValidationException", "1 validation error detected: Value 'nightly copy' at 'backupName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", 400)
    assert refused(raw.list_backups, Limit=0) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        400)


def test_stream_limits_of_zero(raw, raw_streams, make_table):
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = raw.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = raw_streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = raw_streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    message = ("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
               "Member must have value greater than or equal to 1")
    assert refused(raw_streams.get_records, ShardIterator=iterator, Limit=0) == ("ValidationException", message, 400)
    assert refused(raw_streams.list_streams, Limit=0) == ("ValidationException", message, 400)


def test_disabled_stream_leaves_its_arn(ddb, make_table):
    name = make_table()
    enabled = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    assert enabled["TableDescription"]["TableStatus"] == "UPDATING"
    arn = enabled["TableDescription"]["LatestStreamArn"]
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    described = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in described
    assert described["LatestStreamArn"] == arn
    assert described["LatestStreamLabel"] == arn.rsplit("/", 1)[1]


def test_encryption_and_table_class_descriptions(ddb, make_table):
    # SSEType alone turns KMS encryption on (Enabled is inferred); an empty specification leaves the default.
    kms = ddb.describe_table(TableName=make_table(SSESpecification={"SSEType": "KMS"}))["Table"]["SSEDescription"]
    assert kms["Status"] == "ENABLED" and kms["SSEType"] == "KMS"
    assert kms["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:000000000000:key/")
    aliased = ddb.describe_table(TableName=make_table(SSESpecification={"Enabled": True, "SSEType": "KMS",
                                                                        "KMSMasterKeyId": "alias/aws/dynamodb"}))["Table"]
    assert aliased["SSEDescription"]["KMSMasterKeyArn"] == kms["KMSMasterKeyArn"]  # the account's one managed key
    assert "SSEDescription" not in ddb.describe_table(TableName=make_table(SSESpecification={}))["Table"]
    summary = ddb.describe_table(TableName=make_table(TableClass="STANDARD_INFREQUENT_ACCESS"))["Table"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert isinstance(summary["LastUpdateDateTime"], datetime)


def test_turning_kms_encryption_off_answers_the_key_on_its_way_out(ddb, make_table):
    # LocalStack's AWS-recorded test_dynamodb_create_table_with_partial_sse_specification.
    name = make_table(SSESpecification={"Enabled": True})
    kms = ddb.describe_table(TableName=name)["Table"]["SSEDescription"]
    answered = ddb.update_table(TableName=name, SSESpecification={"Enabled": False})["TableDescription"]
    assert answered["SSEDescription"] == {**kms, "Status": "UPDATING"}
    assert "SSEDescription" not in ddb.describe_table(TableName=name)["Table"]  # the default key from then on


def test_restored_index_override_is_described_whole(ddb, make_table):
    name = make_table(ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}], GlobalSecondaryIndexes=[gsi("by-g")])
    backup = ddb.create_backup(TableName=name, BackupName="before-change")["BackupDetails"]["BackupArn"]
    target = unique_name("restored")
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup, GlobalSecondaryIndexOverride=[
        gsi("by-g", Projection={"ProjectionType": "KEYS_ONLY"})])
    try:
        described = ddb.describe_table(TableName=target)["Table"]
        assert described["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] == {
            "NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", described["TableId"])
    finally:
        ddb.delete_table(TableName=target)


def _gsi(name: str) -> dict:
    return {"IndexName": name, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}


G_DEFINITION = [{"AttributeName": "g", "AttributeType": "S"}]


def test_one_online_index_change_at_a_time(raw, make_table):
    name = make_table()
    limit = ("LimitExceededException",
             "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table", 400)
    assert refused(raw.update_table, TableName=name, AttributeDefinitions=G_DEFINITION,
                   GlobalSecondaryIndexUpdates=[{"Create": _gsi("gsi-a")}, {"Create": _gsi("gsi-b")}]) == limit
    assert "GlobalSecondaryIndexes" not in raw.describe_table(TableName=name)["Table"]


def test_twenty_first_global_index_refused(raw, make_table):
    name = make_table(ExtraDefinitions=G_DEFINITION, GlobalSecondaryIndexes=[_gsi(f"index{n}") for n in range(20)])
    assert refused(raw.update_table, TableName=name, AttributeDefinitions=G_DEFINITION,
                   GlobalSecondaryIndexUpdates=[{"Create": _gsi("one-more")}]) == (
        "LimitExceededException",
        "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20", 400)


def test_switch_to_provisioned_needs_every_global_index_throughput(raw, make_table):
    name = make_table(ExtraDefinitions=G_DEFINITION, GlobalSecondaryIndexes=[_gsi("index-A"), _gsi("index-B")])
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    assert refused(raw.update_table, TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=throughput) == (
        "ValidationException",
        "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: index-A,index-B",
        400)
    assert refused(raw.update_table, TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=throughput,
                   GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "index-A",
                                                            "ProvisionedThroughput": throughput}}])[1].endswith(
        "ProvisionedThroughput must be specified for index: index-B")
    raw.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=throughput,
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": i, "ProvisionedThroughput": throughput}}
                                                  for i in ("index-A", "index-B")])
    indexes = raw.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert [i["ProvisionedThroughput"]["ReadCapacityUnits"] for i in indexes] == [1, 1]


def test_on_demand_index_update_of_on_demand_throughput_accepted(raw, make_table):
    name = make_table(ExtraDefinitions=G_DEFINITION, GlobalSecondaryIndexes=[_gsi("gsi1")])
    raw.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "gsi1", "OnDemandThroughput": {"MaxReadRequestUnits": 5000, "MaxWriteRequestUnits": 5000}}}])
    index = raw.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["OnDemandThroughput"] == {"MaxReadRequestUnits": 5000, "MaxWriteRequestUnits": 5000}
    # Leaving on demand leaves its limits behind.
    throughput = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    raw.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=throughput,
                     GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gsi1", "ProvisionedThroughput": throughput}}])
    assert "OnDemandThroughput" not in raw.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]


def test_warm_throughput_shown_and_raised(raw, make_table):
    name = make_table(ExtraDefinitions=G_DEFINITION, GlobalSecondaryIndexes=[_gsi("gsi1")])
    table = raw.describe_table(TableName=name)["Table"]
    on_demand = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    assert table["WarmThroughput"] == on_demand
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == on_demand
    raw.update_table(TableName=name, WarmThroughput={"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 4000})
    assert raw.describe_table(TableName=name)["Table"]["WarmThroughput"]["ReadUnitsPerSecond"] == 15000
    assert refused(raw.update_table, TableName=name, WarmThroughput={"ReadUnitsPerSecond": 13000}) == (
        "ValidationException", "One or more parameter values were invalid: Requested ReadUnitsPerSecond for "
        "WarmThroughput for table is lower than current WarmThroughput, decreasing WarmThroughput is not supported", 400)


def test_provisioned_warm_throughput_follows_the_highest_capacity(raw):
    name = unique_name()
    raw.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    try:
        raw.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 5})
        raw.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})
        warm = raw.describe_table(TableName=name)["Table"]["WarmThroughput"]
        assert (warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"]) == (50, 5)
    finally:
        raw.delete_table(TableName=name)


def test_on_demand_throughput_kept_and_cleared(raw, make_table):
    name = make_table(OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 10})
    assert raw.describe_table(TableName=name)["Table"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 10}
    raw.update_table(TableName=name, OnDemandThroughput={"MaxReadRequestUnits": 1000, "MaxWriteRequestUnits": -1})
    assert raw.describe_table(TableName=name)["Table"]["OnDemandThroughput"] == {"MaxReadRequestUnits": 1000}
    assert refused(raw.update_table, TableName=name, OnDemandThroughput={"MaxReadRequestUnits": 0}) == (
        "ValidationException", "One or more parameter values were invalid: Requested MaxReadRequestUnits for "
        "OnDemandThroughput for table is outside of valid range", 400)


def test_create_table_answer_as_the_cli_examples_show(raw):
    """AWS CLI create-table examples 2 and 4: definitions sorted by name; an on-demand table's
    summary without the time it went on demand (DescribeTable has it)."""
    name = unique_name()
    answer = raw.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("Artist", "SongTitle", "AlbumTitle")],
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "SongTitle", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{"IndexName": "AlbumTitleIndex", "KeySchema": [
            {"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "AlbumTitle", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}])["TableDescription"]
    try:
        assert [d["AttributeName"] for d in answer["AttributeDefinitions"]] == ["AlbumTitle", "Artist", "SongTitle"]
        assert answer["BillingModeSummary"] == {"BillingMode": "PAY_PER_REQUEST"}
        described = raw.describe_table(TableName=name)["Table"]
        assert "LastUpdateToPayPerRequestDateTime" in described["BillingModeSummary"]
    finally:
        raw.delete_table(TableName=name)


def test_capacity_beyond_what_dynamodb_reads(raw):
    assert refused(raw.create_table, TableName=unique_name(), KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   ProvisionedThroughput={"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1}) == (
        "ValidationException", "Given value 1000000000001 for ReadCapacityUnits is out of bounds", 400)
