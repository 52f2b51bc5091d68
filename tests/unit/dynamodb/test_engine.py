"""Engine behaviour that boto3 cannot reach (its own validation stops the request) or that needs
the clock moved by hand."""

from __future__ import annotations

import pytest

from overcast.services.dynamodb.errors import ValidationException


def test_limit_zero_rejected_by_engine(engine):
    engine("create_table", TableName="limits", BillingMode="PAY_PER_REQUEST",
           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    with pytest.raises(ValidationException) as excinfo:
        engine("scan", TableName="limits", Limit=0)
    assert excinfo.value.message == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")


def test_point_in_time_history_is_trimmed_outside_the_window(engine):
    engine("create_table", TableName="history", BillingMode="PAY_PER_REQUEST",
           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    engine("update_continuous_backups", TableName="history",
           PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 1})
    clock = engine.provider.clock
    for value in ("1", "2", "3"):
        engine("put_item", TableName="history", Item={"pk": {"S": "k"}, "v": {"N": value}})
        clock.advance(3600)
    clock.advance(2 * 86400)
    engine.provider.trim_history(clock.time())
    rows = engine.provider.db.fetchall("SELECT item FROM dynamodb_item_history")
    assert len(rows) == 1 and '"3"' in rows[0][0]
    engine("restore_table_to_point_in_time", SourceTableName="history", TargetTableName="history-copy",
           UseLatestRestorableTime=True)
    assert engine("scan", TableName="history-copy")["Items"] == [{"pk": {"S": "k"}, "v": {"N": "3"}}]


def test_a_global_tables_history_is_trimmed_to_the_widest_window_of_its_replicas(engine):
    # The replicas share one item history, each reading it through its own recovery window: a
    # replica whose recovery began later must not trim away what the older replica restores from.
    engine("create_table", TableName="shared", BillingMode="PAY_PER_REQUEST",
           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    engine("update_continuous_backups", TableName="shared",
           PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    clock = engine.provider.clock
    engine("put_item", TableName="shared", Item={"pk": {"S": "k"}, "v": {"N": "1"}})
    first = clock.time()
    clock.advance(2 * 86400)
    engine("put_item", TableName="shared", Item={"pk": {"S": "k"}, "v": {"N": "2"}})
    engine("update_table", TableName="shared", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    engine.ctx.region = "eu-west-1"
    engine("update_continuous_backups", TableName="shared",
           PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    clock.advance(3600)
    engine("put_item", TableName="shared", Item={"pk": {"S": "k"}, "v": {"N": "3"}})
    engine.provider.trim_history(clock.time())
    engine.ctx.region = "us-east-1"
    engine("restore_table_to_point_in_time", SourceTableName="shared", TargetTableName="shared-then",
           RestoreDateTime=first + 1)
    assert engine("scan", TableName="shared-then")["Items"] == [{"pk": {"S": "k"}, "v": {"N": "1"}}]
