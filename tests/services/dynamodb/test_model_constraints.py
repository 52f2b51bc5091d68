"""DynamoDB checks its input against the model's constraints before it looks at any table:
enums, lengths, ranges and patterns, each problem worded as Coral words it, and a refused
request changes nothing. boto3 checks only minimums, so these are what a typo meets.
(Members whose refusals DynamoDB words its own way are tested beside their operations.)"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.services.dynamodb.conftest import refused, unique_name

PK = [{"AttributeName": "pk", "KeyType": "HASH"}]
PK_DEFINED = [{"AttributeName": "pk", "AttributeType": "S"}]
G_DEFINED = [{"AttributeName": "g", "AttributeType": "S"}]


def one_error(value: str, path: str, constraint: str) -> tuple[str, str, int]:
    return ("ValidationException",
            f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: Member {constraint}",
            400)


def enum(*values: str) -> str:
    return f"must satisfy enum value set: [{', '.join(values)}]"


NAME_PATTERN = "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"


def table_names(ddb) -> set[str]:
    names: set[str] = set()
    kwargs: dict = {}
    while True:
        page = ddb.list_tables(**kwargs)
        names.update(page["TableNames"])
        if "LastEvaluatedTableName" not in page:
            return names
        kwargs = {"ExclusiveStartTableName": page["LastEvaluatedTableName"]}


@pytest.mark.parametrize("extra, expected", [
    ({"BillingMode": "ON_DEMAND"}, one_error("ON_DEMAND", "billingMode", enum("PROVISIONED", "PAY_PER_REQUEST"))),
    ({"BillingMode": "PAY_PER_REQUEST", "SSESpecification": {"Enabled": True, "SSEType": "AES"}},
     one_error("AES", "sSESpecification.sSEType", enum("AES256", "KMS"))),
    ({"BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": PK_DEFINED + G_DEFINED,
      "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "EVERYTHING"}}]},
     one_error("EVERYTHING", "globalSecondaryIndexes.1.member.projection.projectionType",
               enum("ALL", "INCLUDE", "KEYS_ONLY"))),
    ({"BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": PK_DEFINED + G_DEFINED,
      "GlobalSecondaryIndexes": [{"IndexName": "by g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "ALL"}}]},
     one_error("by g", "globalSecondaryIndexes.1.member.indexName", NAME_PATTERN)),
    ({"ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 5}},
     one_error("0", "provisionedThroughput.readCapacityUnits", "must have value greater than or equal to 1")),
    ({"BillingMode": "PAY_PER_REQUEST", "Tags": [{"Key": "k" * 129, "Value": "v"}]},
     one_error("k" * 129, "tags.1.member.key", "must have length less than or equal to 128")),
], ids=["billing-mode", "sse-type", "projection-type", "index-name", "capacity-units", "tag-key"])
def test_create_table_refuses_what_breaks_the_model_and_creates_nothing(raw, ddb, extra, expected):
    name = unique_name()
    arguments = {"TableName": name, "KeySchema": PK, "AttributeDefinitions": PK_DEFINED, **extra}
    assert refused(raw.create_table, **arguments) == expected
    assert name not in table_names(ddb)


def test_every_problem_is_reported_in_one_message(raw):
    code, message, status = refused(raw.create_table, TableName=unique_name(), KeySchema=PK,
                                    AttributeDefinitions=PK_DEFINED, BillingMode="ON_DEMAND",
                                    SSESpecification={"Enabled": True, "SSEType": "AES"})
    assert (code, status) == ("ValidationException", 400)
    prefix = "2 validation errors detected: "
    assert message.startswith(prefix)
    assert sorted(message[len(prefix):].split("; ")) == sorted([
        "Value 'ON_DEMAND' at 'billingMode' failed to satisfy constraint: Member "
        + enum("PROVISIONED", "PAY_PER_REQUEST"),
        "Value 'AES' at 'sSESpecification.sSEType' failed to satisfy constraint: Member " + enum("AES256", "KMS"),
    ])


def test_read_enums_are_refused_before_the_table_is_looked_up(raw, make_table):
    table = make_table()
    # DynamoDB lists these two enums in an order of its own, not the model's (dynalite's tests,
    # recorded against DynamoDB).
    select = enum("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES")
    assert refused(raw.scan, TableName=table, Select="COUNTS") == one_error("COUNTS", "select", select)
    assert refused(raw.query, TableName=unique_name("missing"), KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "a"}}, Select="ALL") == one_error("ALL", "select", select)
    assert refused(raw.get_item, TableName=table, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="ALL") == \
        one_error("ALL", "returnConsumedCapacity", enum("INDEXES", "TOTAL", "NONE"))
    assert refused(raw.scan, TableName=table, ConditionalOperator="XOR",
                   ScanFilter={"x": {"ComparisonOperator": "NOT_NULL"}, "y": {"ComparisonOperator": "NULL"}}) == \
        one_error("XOR", "conditionalOperator", enum("OR", "AND"))


def test_a_refused_write_writes_nothing(raw, ddb, make_table):
    table = make_table()
    assert refused(raw.put_item, TableName=table, Item={"pk": {"S": "a"}}, ReturnItemCollectionMetrics="ALL") == \
        one_error("ALL", "returnItemCollectionMetrics", enum("SIZE", "NONE"))
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}, "n": {"N": "1"}})
    assert refused(raw.update_item, TableName=table, Key={"pk": {"S": "b"}}, UpdateExpression="SET n = n + :one",
                   ExpressionAttributeValues={":one": {"N": "1"}}, ReturnConsumedCapacity="EVERYTHING") == \
        one_error("EVERYTHING", "returnConsumedCapacity", enum("INDEXES", "TOTAL", "NONE"))
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "b"}})["Item"]["n"] == {"N": "1"}


def test_table_settings_are_checked_on_update_and_change_nothing(raw, ddb, make_table):
    table = make_table()
    assert refused(raw.update_table, TableName=table, BillingMode="ON_DEMAND") == \
        one_error("ON_DEMAND", "billingMode", enum("PROVISIONED", "PAY_PER_REQUEST"))
    assert refused(raw.update_time_to_live, TableName=table,
                   TimeToLiveSpecification={"Enabled": True, "AttributeName": "t" * 256}) == \
        one_error("t" * 256, "timeToLiveSpecification.attributeName", "must have length less than or equal to 255")
    assert ddb.describe_table(TableName=table)["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    assert refused(raw.list_backups, TableName=table, BackupType="MINE") == \
        one_error("MINE", "backupType", enum("USER", "SYSTEM", "AWS_BACKUP", "ALL"))


@pytest.mark.skipif(shutil.which("aws") is None, reason="AWS CLI not installed")
def test_the_aws_cli_meets_the_same_refusal(aws_cli_env):
    result = subprocess.run(["aws", "dynamodb", "scan", "--table-name", unique_name("missing"), "--select", "EVERYTHING"],
                            env=aws_cli_env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "(ValidationException)" in result.stderr
    assert ("Value 'EVERYTHING' at 'select' failed to satisfy constraint: Member must satisfy enum value set: "
            "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]") in result.stderr


def test_streams_check_the_model_before_looking_for_the_stream(raw_streams, make_table, ddb):
    table = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    assert refused(raw_streams.describe_stream, StreamArn=arn, Limit=0) == \
        one_error("0", "limit", "must have value greater than or equal to 1")
    assert refused(raw_streams.describe_stream, StreamArn="arn:short") == \
        one_error("arn:short", "streamArn", "must have length greater than or equal to 37")
    assert refused(raw_streams.get_shard_iterator, StreamArn=arn, ShardId="shard", ShardIteratorType="LATEST") == \
        one_error("shard", "shardId", "must have length greater than or equal to 28")
    assert refused(raw_streams.list_streams, TableName="no spaces") == \
        one_error("no spaces", "tableName", NAME_PATTERN)


def test_a_long_value_is_refused_for_its_length_at_once(raw):
    # The model's pattern for S3Bucket backtracks for seconds on a long value; past the maximum
    # length only the length is reported (the operation itself is not offered).
    bucket = "a" * 1200 + "!"
    assert refused(raw.export_table_to_point_in_time, TableArn="arn:aws:dynamodb:us-east-1:000000000000:table/t",
                   S3Bucket=bucket) == one_error(bucket, "s3Bucket", "must have length less than or equal to 255")


def test_patterns_read_letters_as_java_does(raw):
    # Java's \w is ASCII: an accented letter does not belong to the S3Bucket pattern's \w.
    bucket = "export\u00e9bucket"
    assert refused(raw.export_table_to_point_in_time, TableArn="arn:aws:dynamodb:us-east-1:000000000000:table/t",
                   S3Bucket=bucket) == \
        one_error(bucket, "s3Bucket", "must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$")


def test_null_elements_are_printed_as_java_prints_them(raw):
    definitions = PK_DEFINED + G_DEFINED
    index = {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n" * 256, None]}}
    code, message, _ = refused(raw.create_table, TableName=unique_name(), KeySchema=PK,
                               AttributeDefinitions=definitions, BillingMode="PAY_PER_REQUEST",
                               GlobalSecondaryIndexes=[index])
    assert code == "ValidationException"
    assert f"Value '[{'n' * 256}, null]' at 'globalSecondaryIndexes.1.member.projection.nonKeyAttributes'" in message


def test_statement_lists_keep_dynamodb_wording(raw, make_table):
    # As the transaction lists: past the maximum the list is not echoed (left to the handler).
    table = make_table()
    statement = {"Statement": f'SELECT * FROM "{table}" WHERE pk = ?', "Parameters": [{"S": "x"}]}
    assert refused(raw.batch_execute_statement, Statements=[statement] * 26) == (
        "ValidationException", "1 validation error detected: Value at 'statements' failed to satisfy constraint: "
        "Member must have length less than or equal to 25", 400)
    assert refused(raw.execute_transaction, TransactStatements=[statement] * 101) == (
        "ValidationException", "1 validation error detected: Value at 'transactStatements' failed to satisfy "
        "constraint: Member must have length less than or equal to 100", 400)


@pytest.mark.parametrize("statement, bound", [("", "greater than or equal to 1"), ("S" * 8193, "less than or equal to 8192")],
                         ids=["empty", "too-long"])
def test_statements_are_left_out_of_the_message(raw, statement, bound):
    assert refused(raw.execute_statement, Statement=statement) == (
        "ValidationException", "1 validation error detected: Value at 'statement' failed to satisfy constraint: "
        f"Member must have length {bound}", 400)


# Coral lists some members' problems in its own order (paritysuite/dynamodb-conformance,
# validation-ordering/createTable.test.ts and transactions.test.ts).
def test_problems_listed_in_coral_member_order(raw, make_table):
    def index(name: str, local: bool) -> dict:
        schema = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lr", "KeyType": "RANGE"}] if local \
            else [{"AttributeName": "gh", "KeyType": "HASH"}]
        return {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}

    assert refused(raw.create_table, TableName="coral-order", BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "lr", "gh")],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                   LocalSecondaryIndexes=[index("aa", True)], GlobalSecondaryIndexes=[index("zz", False)]) == (
        "ValidationException", "2 validation errors detected: Value 'zz' at 'globalSecondaryIndexes.1.member.indexName' "
        "failed to satisfy constraint: Member must have length greater than or equal to 3; Value 'aa' at "
        "'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater "
        "than or equal to 3", 400)
    table = make_table("S")
    assert refused(raw.transact_write_items, TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}}],
                   ClientRequestToken="x" * 37, ReturnConsumedCapacity="BOGUS") == (
        "ValidationException", "2 validation errors detected: Value '" + "x" * 37 + "' at 'clientRequestToken' failed "
        "to satisfy constraint: Member must have length less than or equal to 36; Value 'BOGUS' at "
        "'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        400)


# paritysuite/dynamodb-conformance, validation-ordering/updateItem.test.ts: a missing required
# member is listed with the request's other problems, in one message.
def test_a_missing_member_is_listed_with_the_other_problems(raw):
    assert refused(raw.update_item, TableName="", UpdateExpression="SET a = :a",
                   ExpressionAttributeValues={":a": {"S": "x"}}) == (
        "ValidationException", "2 validation errors detected: Value '' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value null at 'key' failed to satisfy constraint: "
        "Member must not be null", 400)
    assert refused(raw.update_item, TableName="some-table", UpdateExpression="SET a = :a",
                   ExpressionAttributeValues={":a": {"S": "x"}}) == (
        "ValidationException", "1 validation error detected: Value null at 'key' failed to satisfy constraint: "
        "Member must not be null", 400)


def test_a_table_name_is_refused_for_each_rule_it_breaks(raw):
    # moto's aws_verified test_update_item_with_invalid_table_name: too short and off the pattern.
    assert refused(raw.update_item, TableName="x!", Key={"pk": {"S": "k"}}, UpdateExpression="SET a = :a",
                   ExpressionAttributeValues={":a": {"S": "x"}}) == (
        "ValidationException", "2 validation errors detected: Value 'x!' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3; Value 'x!' at 'tableName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", 400)
    assert refused(raw.get_item, TableName="ab", Key={"pk": {"S": "k"}}) == (
        "ValidationException", "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3", 400)
