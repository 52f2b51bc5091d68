"""Control plane through boto3: create, describe, list, update, delete, tags, waiters."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of, refused, unique_name


def test_create_describe_list_delete(ddb):
    name = unique_name()
    created = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        Tags=[{"Key": "team", "Value": "data"}])["TableDescription"]
    assert created["TableStatus"] == "CREATING"
    assert created["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    described = ddb.describe_table(TableName=name)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert described["ItemCount"] == 0
    assert name in [t for page in ddb.get_paginator("list_tables").paginate() for t in page["TableNames"]]
    tags = ddb.list_tags_of_resource(ResourceArn=created["TableArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "data"}]
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_table(TableName=name)
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found", 400)


def test_create_existing_table(ddb, make_table):
    name = make_table()
    with pytest.raises(ClientError) as excinfo:
        make_table(TableName=name)
    assert error_of(excinfo) == ("ResourceInUseException", f"Table already exists: {name}", 400)


@pytest.mark.parametrize("kwargs, message", [
    (dict(KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
          AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}]),
     "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. "
     "Keys: [id], AttributeDefinitions: [other]"),
    (dict(KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}]),
     "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of "
     "attributes defined in AttributeDefinitions"),
    (dict(KeySchema=[{"AttributeName": "id", "KeyType": "RANGE"}],
          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}]),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
])
def test_create_table_validation(ddb, kwargs, message):
    with pytest.raises(ClientError) as excinfo:
        ddb.create_table(TableName=unique_name(), BillingMode="PAY_PER_REQUEST", **kwargs)
    assert error_of(excinfo) == ("ValidationException", message, 400)


def test_provisioned_table_needs_throughput(ddb):
    with pytest.raises(ClientError) as excinfo:
        ddb.create_table(TableName=unique_name(), KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    code, message, _ = error_of(excinfo)
    assert code == "ValidationException"
    assert "ReadCapacityUnits and WriteCapacityUnits must both be specified" in message


def test_data_plane_on_missing_table(ddb):
    with pytest.raises(ClientError) as excinfo:
        ddb.get_item(TableName="no-such-table", Key={"id": {"S": "x"}})
    assert error_of(excinfo) == ("ResourceNotFoundException", "Requested resource not found", 400)


def test_list_tables_pages(ddb, make_table):
    names = sorted(make_table() for _ in range(3))
    seen, start = [], None
    while True:
        kwargs = {"Limit": 2}
        if start:
            kwargs["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kwargs)
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
    assert all(n in seen for n in names)
    assert seen == sorted(seen)


def test_update_table_adds_gsi_with_backfill(ddb, make_table):
    name = make_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "1"}, "color": {"S": "red"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "2"}})
    response = ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-color", "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}}])
    assert response["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by-color"
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    items = ddb.query(TableName=name, IndexName="by-color", KeyConditionExpression="color = :c",
                      ExpressionAttributeValues={":c": {"S": "red"}})["Items"]
    assert items == [{"pk": {"S": "1"}, "color": {"S": "red"}}]
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-color"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]


def test_deletion_protection(ddb, make_table):
    name = make_table(DeletionProtectionEnabled=True)
    with pytest.raises(ClientError) as excinfo:
        ddb.delete_table(TableName=name)
    assert error_of(excinfo)[0] == "ValidationException"
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)


def test_tag_and_untag(ddb, make_table):
    name = make_table()
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "B", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "B", "Value": "2"}]


def test_limits_and_endpoints(ddb):
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] == 40000
    assert ddb.describe_endpoints()["Endpoints"][0]["CachePeriodInMinutes"] == 1440


def test_state_survives_restart(fresh_server):
    import boto3

    client = boto3.client("dynamodb", endpoint_url=fresh_server.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    client.create_table(TableName="durable", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    client.put_item(TableName="durable", Item={"id": {"S": "1"}, "n": {"N": "42"}, "b": {"B": b"\x01"}})
    arn = client.describe_table(TableName="durable")["Table"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "B", "Value": "tag"}])
    fresh_server.kill9()
    fresh_server.start()
    assert client.get_item(TableName="durable", Key={"id": {"S": "1"}})["Item"] == {
        "id": {"S": "1"}, "n": {"N": "42"}, "b": {"B": b"\x01"}}
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "B", "Value": "tag"}]


def test_switch_billing_mode(ddb, make_table):
    name = make_table()
    ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
    described = ddb.describe_table(TableName=name)["Table"]
    # Kept once a table has been on demand: the mode, and when it last switched to on demand.
    assert described["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert "LastUpdateToPayPerRequestDateTime" in described["BillingModeSummary"]
    assert described["ProvisionedThroughput"]["WriteCapacityUnits"] == 7


def test_disabled_stream_stays_readable(ddb, streams, make_table):
    name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert description["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"]


def test_feature_descriptions(ddb, make_table):
    name = make_table()
    assert ddb.describe_kinesis_streaming_destination(TableName=name)["KinesisDataStreamDestinations"] == []
    assert ddb.describe_contributor_insights(TableName=name)["ContributorInsightsStatus"] == "DISABLED"
    assert ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]["ContinuousBackupsStatus"] == "ENABLED"
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    with pytest.raises(ClientError) as excinfo:
        ddb.get_resource_policy(ResourceArn=arn)
    assert error_of(excinfo) == (
        "PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}", 400)
    # moto's aws_verified test_get_resource_policy_from_unknown_resource: a missing table is named so.
    with pytest.raises(ClientError) as excinfo:
        ddb.get_resource_policy(ResourceArn=arn + "unknown")
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Requested resource not found: Table: {name}unknown not found", 400)


def test_contributor_insights_are_switched_and_described(ddb, make_table, fresh_server):
    """UpdateContributorInsights answers ENABLING/DISABLING; Describe then gives the settled
    status, the mode, when it changed and the rules DynamoDB names (partition and sort keys,
    most accessed and most throttled; the throttled ones alone in THROTTLED_KEYS mode)."""
    name = make_table("S", "S", ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                      GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                               "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    answer = ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")
    assert (answer["ContributorInsightsStatus"], answer["ContributorInsightsMode"]) == ("ENABLING", "ACCESSED_AND_THROTTLED_KEYS")
    described = ddb.describe_contributor_insights(TableName=name)
    assert (described["ContributorInsightsStatus"], described["ContributorInsightsMode"]) == ("ENABLED", "ACCESSED_AND_THROTTLED_KEYS")
    assert [rule.rsplit("-", 1)[0] for rule in described["ContributorInsightsRuleList"]] == [
        f"DynamoDBContributorInsights-{kind}-{name}" for kind in ("PKC", "PKT", "SKC", "SKT")]
    assert "LastUpdateDateTime" in described
    index = ddb.update_contributor_insights(TableName=name, IndexName="by-g", ContributorInsightsAction="ENABLE",
                                            ContributorInsightsMode="THROTTLED_KEYS")
    assert (index["IndexName"], index["ContributorInsightsStatus"]) == ("by-g", "ENABLING")
    rules = ddb.describe_contributor_insights(TableName=name, IndexName="by-g")["ContributorInsightsRuleList"]
    assert [rule.rsplit("-", 1)[0] for rule in rules] == [f"DynamoDBContributorInsights-PKT-{name}-by-g"]
    listed = ddb.list_contributor_insights(TableName=name)["ContributorInsightsSummaries"]
    assert [(s.get("IndexName"), s["ContributorInsightsStatus"]) for s in listed] == [(None, "ENABLED"), ("by-g", "ENABLED")]
    assert ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="DISABLE")[
        "ContributorInsightsStatus"] == "DISABLING"
    described = ddb.describe_contributor_insights(TableName=name)
    assert described["ContributorInsightsStatus"] == "DISABLED" and "ContributorInsightsRuleList" not in described
    assert refused(ddb.update_contributor_insights, TableName=name, IndexName="nope", ContributorInsightsAction="ENABLE") == (
        "ResourceNotFoundException", "Requested resource not found: Index: nope not found", 400)
    assert refused(ddb.describe_contributor_insights, TableName="no-such-table-here") == (
        "ResourceNotFoundException", "Requested resource not found: Table: no-such-table-here not found", 400)
    # Kept across a restart.
    from tests.conftest import make_client
    own = make_client("dynamodb", fresh_server.endpoint_url)
    own.create_table(TableName="kept", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    own.update_contributor_insights(TableName="kept", ContributorInsightsAction="ENABLE")
    fresh_server.kill9()
    fresh_server.start()
    own = make_client("dynamodb", fresh_server.endpoint_url)
    assert own.describe_contributor_insights(TableName="kept")["ContributorInsightsStatus"] == "ENABLED"
