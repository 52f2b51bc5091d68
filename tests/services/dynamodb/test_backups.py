"""On-demand backups and point-in-time recovery."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.dynamodb.conftest import error_of, on_demand_table, unique_name
from tests.support.raw_http import move_clock


def test_backup_and_restore(ddb, make_table):
    name = make_table("S")
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    details = ddb.create_backup(TableName=name, BackupName="first")["BackupDetails"]
    assert details["BackupStatus"] == "AVAILABLE"
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})
    described = ddb.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert described["SourceTableDetails"]["TableName"] == name
    assert described["SourceTableDetails"]["ItemCount"] == 1
    summaries = ddb.list_backups(TableName=name)["BackupSummaries"]
    assert [s["BackupArn"] for s in summaries] == [details["BackupArn"]]
    target = unique_name("restored")
    by_arn = ddb.list_backups(TableName=ddb.describe_table(TableName=name)["Table"]["TableArn"])["BackupSummaries"]
    assert [s["BackupArn"] for s in by_arn] == [details["BackupArn"]]
    restored = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=details["BackupArn"])["TableDescription"]
    # RestoreDateTime is the backup's time ("point in time or source backup time").
    assert restored["RestoreSummary"] == {
        "SourceBackupArn": details["BackupArn"], "SourceTableArn": described["SourceTableDetails"]["TableArn"],
        "RestoreDateTime": details["BackupCreationDateTime"], "RestoreInProgress": True}
    assert restored["TableStatus"] == "CREATING"
    ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert ddb.describe_table(TableName=target)["Table"]["RestoreSummary"] == {
        **restored["RestoreSummary"], "RestoreInProgress": False}
    assert ddb.scan(TableName=target)["Items"] == [{"pk": {"S": "a"}, "v": {"N": "1"}}]
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=details["BackupArn"])
    assert error_of(excinfo) == ("TableAlreadyExistsException", f"Table already exists: {target}", 400)
    ddb.delete_backup(BackupArn=details["BackupArn"])
    with pytest.raises(ClientError) as excinfo:
        ddb.describe_backup(BackupArn=details["BackupArn"])
    assert error_of(excinfo) == ("BackupNotFoundException", f"Backup not found: {details['BackupArn']}", 400)
    ddb.delete_table(TableName=target)


def test_backup_of_missing_table(ddb):
    with pytest.raises(ClientError) as excinfo:
        ddb.create_backup(TableName="missing-table", BackupName="xyz")
    assert error_of(excinfo) == ("TableNotFoundException", "Table not found: missing-table", 400)


def test_point_in_time_recovery(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client, "pitr")
    with pytest.raises(ClientError) as excinfo:
        client.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=name + "-r", UseLatestRestorableTime=True)
    assert error_of(excinfo) == ("PointInTimeRecoveryUnavailableException",
                                 f"Point in time recovery is not enabled for table '{name}'", 400)
    client.put_item(TableName=name, Item={"pk": {"S": "old"}, "v": {"N": "1"}})
    status = client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert status["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    def advance(seconds: int) -> None:
        move_clock(fresh_server.endpoint_url, {"advance": seconds})

    advance(60)
    client.put_item(TableName=name, Item={"pk": {"S": "old"}, "v": {"N": "2"}})
    client.put_item(TableName=name, Item={"pk": {"S": "new"}})
    middle = json.loads(urllib.request.urlopen(fresh_server.endpoint_url + "/_overcast/clock").read())["now"]
    advance(60)
    client.delete_item(TableName=name, Key={"pk": {"S": "new"}})
    advance(60)
    restored = client.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=name + "-r",
                                                     RestoreDateTime=datetime.fromtimestamp(middle + 1, tz=UTC))
    # The point in time asked for (to the millisecond, as DynamoDB's timestamps go).
    assert abs(restored["TableDescription"]["RestoreSummary"]["RestoreDateTime"].timestamp() - (middle + 1)) < 0.001
    items = sorted(client.scan(TableName=name + "-r")["Items"], key=lambda i: i["pk"]["S"])
    assert items == [{"pk": {"S": "new"}}, {"pk": {"S": "old"}, "v": {"N": "2"}}]
    with pytest.raises(ClientError) as excinfo:
        client.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=name + "-x",
                                              RestoreDateTime=datetime.fromtimestamp(time.time() - 86400 * 10, tz=UTC))
    assert error_of(excinfo)[0] == "InvalidRestoreTimeException"


def test_restore_overrides(ddb, make_table):
    name = make_table("S")
    backup = ddb.create_backup(TableName=name, BackupName="over")["BackupDetails"]["BackupArn"]
    target = unique_name("provisioned")
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup, BillingModeOverride="PROVISIONED",
                                  ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
                                  SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"})
    table = ddb.describe_table(TableName=target)["Table"]
    assert (table["ProvisionedThroughput"]["ReadCapacityUnits"], table["ProvisionedThroughput"]["WriteCapacityUnits"]) == (7, 3)
    assert table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == "PROVISIONED"
    assert table["SSEDescription"]["SSEType"] == "KMS" and table["SSEDescription"]["Status"] == "ENABLED"
    ddb.delete_table(TableName=target)


def test_provisioned_restore_needs_capacity(ddb, make_table):
    name = make_table("S", ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}], GlobalSecondaryIndexes=[
        {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    backup = ddb.create_backup(TableName=name, BackupName="prov")["BackupDetails"]["BackupArn"]
    target = unique_name("prov")
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup, BillingModeOverride="PROVISIONED")
    assert error_of(excinfo) == ("ValidationException", "One or more parameter values were invalid: "
                                 "ProvisionedThroughput must be specified when BillingMode is PROVISIONED", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup, BillingModeOverride="PROVISIONED",
                                      ProvisionedThroughputOverride={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2})
    assert error_of(excinfo)[1] == "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: by-g"
    assert target not in ddb.list_tables()["TableNames"]
