"""Query and Scan against DynamoDB's own answers: legacy parameters and their validation, the
starting key's checks, parallel-scan segments, local indexes reading unprojected attributes.

Sources for the messages: dynalite's test suite (run against DynamoDB), the floci, ExtendDB and
ScyllaDB Alternator reports measured against the live service (cited beside each test)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of

INVALID = "One or more parameter values were invalid: "
MIXED = "Can not use both expression and non-expression parameters in the same request: "


def _eq(value: dict) -> dict:
    return {"ComparisonOperator": "EQ", "AttributeValueList": [value]}


@pytest.fixture
def indexed_table(ddb, make_table):
    """pk/sk strings; an LSI on l (KEYS_ONLY), a GSI on g/gr (INCLUDE x); five items in "p"."""
    name = make_table(
        "S", "S",
        ExtraDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("l", "g", "gr")],
        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                                    {"AttributeName": "gr", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}])
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "l": {"S": f"l{i}"},
                                           "g": {"S": "G"}, "gr": {"S": f"r{i}"}, "x": {"S": "x"},
                                           "y": {"S": f"y{i % 2}"}})
    return name


def _fails(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


KCE = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}


# floci-io/floci#2894 (measured on the live service): any legacy parameter beside any expression
# parameter is refused, not only its own counterpart; dynalite's suite lists them all in order.
@pytest.mark.parametrize("extra, non_expression, expression", [
    ({"QueryFilter": {"x": {"ComparisonOperator": "NOT_NULL"}}}, "QueryFilter", "KeyConditionExpression"),
    ({"AttributesToGet": ["x"]}, "AttributesToGet", "KeyConditionExpression"),
    ({"ConditionalOperator": "OR"}, "ConditionalOperator", "KeyConditionExpression"),
    ({"AttributesToGet": ["x"], "QueryFilter": {"x": {"ComparisonOperator": "NOT_NULL"}}, "ConditionalOperator": "OR",
      "FilterExpression": "x = :p", "ProjectionExpression": "x"},
     "AttributesToGet, QueryFilter, ConditionalOperator", "ProjectionExpression, FilterExpression, KeyConditionExpression"),
])
def test_query_refuses_legacy_beside_any_expression(ddb, indexed_table, extra, non_expression, expression):
    assert _fails(ddb.query, TableName=indexed_table, **KCE, **extra) == (
        "ValidationException", f"{MIXED}Non-expression parameters: {{{non_expression}}} Expression parameters: {{{expression}}}", 400)


def test_scan_refuses_legacy_beside_any_expression_and_key_conditions_go_with_a_filter(ddb, indexed_table):
    assert _fails(ddb.scan, TableName=indexed_table, ProjectionExpression="x",
                  ScanFilter={"x": {"ComparisonOperator": "NOT_NULL"}}) == (
        "ValidationException", f"{MIXED}Non-expression parameters: {{ScanFilter}} Expression parameters: {{ProjectionExpression}}", 400)
    # KeyConditions is the one legacy parameter allowed beside FilterExpression.
    page = ddb.query(TableName=indexed_table, KeyConditions={"pk": _eq({"S": "p"})}, FilterExpression="y = :y",
                     ExpressionAttributeValues={":y": {"S": "y1"}})
    assert [item["sk"]["S"] for item in page["Items"]] == ["s1", "s3"]


def test_validation_comes_before_the_table_lookup(ddb):
    # dynalite "should check table exists before checking key validity": a malformed key
    # condition is refused whether or not the table exists.
    assert _fails(ddb.query, TableName="no-such-table-here", KeyConditionExpression="pk = :p OR sk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}}) == (
        "ValidationException", "Invalid operator used in KeyConditionExpression: OR", 400)


# dynalite test/query.js: "querying with non-indexable operations", "Conditions can be of length
# 1 or 2 only", "querying with unsupported conditions" (hash-only table), "invalid ComparisonOperator
# types", "AttributeValueList has different types", "BETWEEN arguments are in the incorrect order".
@pytest.mark.parametrize("key_conditions, message", [
    ({"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "p"}]}},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "p"}]}},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": _eq({"S": "p"}), "sk": {"ComparisonOperator": "NOT_NULL"}},
     "Attempted conditional constraint is not an indexable operation"),
    ({}, "Conditions can be of length 1 or 2 only"),
    ({"pk": _eq({"S": "p"}), "sk": _eq({"S": "a"}), "z": _eq({"S": "a"})}, "Conditions can be of length 1 or 2 only"),
    ({"pk": _eq({"S": "p"}), "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "b"}, {"S": "a"}]}},
     "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
    ({"pk": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "b"}, {"N": "1"}]}},
     INVALID + "AttributeValues inside AttributeValueList must be of same type"),
    ({"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"BOOL": True}]}},
     INVALID + "ComparisonOperator GT is not valid for BOOL AttributeValue type"),
    ({"pk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}},
     INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ({"pk": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"SS": ["a"]}]}},
     INVALID + "ComparisonOperator CONTAINS is not valid for SS AttributeValue type"),
    ({"pk": {"ComparisonOperator": "EQ"}}, INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
])
def test_legacy_key_conditions(ddb, indexed_table, key_conditions, message):
    assert _fails(ddb.query, TableName=indexed_table, KeyConditions=key_conditions) == ("ValidationException", message, 400)


def test_hash_only_table_takes_one_key_condition(ddb, make_table):
    name = make_table("S")
    for condition in ("pk = :p AND z = :p", "y = :p AND z = :p"):
        assert _fails(ddb.query, TableName=name, KeyConditionExpression=condition,
                      ExpressionAttributeValues={":p": {"S": "p"}}) == (
            "ValidationException", "Query key condition not supported", 400)


def test_legacy_filters_are_validated_and_may_not_name_keys(ddb, indexed_table):
    assert _fails(ddb.scan, TableName=indexed_table,
                  ScanFilter={"x": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "5"}, {"N": "1"}]}}) == (
        "ValidationException", "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound", 400)
    assert _fails(ddb.scan, TableName=indexed_table, ScanFilter={"x": {"ComparisonOperator": "XX"}}) == (
        "ValidationException", "1 validation error detected: Value 'XX' at 'scanFilter.x.member.comparisonOperator' failed to "
        "satisfy constraint: Member must satisfy enum value set: "
        "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", 400)
    # dynalite "range key in QueryFilter": the legacy filter has its own name in the message.
    assert _fails(ddb.query, TableName=indexed_table, KeyConditions={"pk": _eq({"S": "p"})},
                  QueryFilter={"sk": {"ComparisonOperator": "NOT_NULL"}}) == (
        "ValidationException", "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk", 400)
    assert _fails(ddb.query, TableName=indexed_table, FilterExpression="attribute_exists(sk)", **KCE) == (
        "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk", 400)


def test_query_starting_key_must_match_the_schema_and_the_conditions(ddb, indexed_table):
    # floci-io/floci#1443 and ExtendDB#86 (live service): Query says only that the key is invalid.
    assert _fails(ddb.query, TableName=indexed_table, ExclusiveStartKey={"pk": {"S": "p"}}, **KCE) == (
        "ValidationException", "The provided starting key is invalid", 400)
    assert _fails(ddb.query, TableName=indexed_table, IndexName="gsi", ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "s1"}},
                  KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "G"}}) == (
        "ValidationException", "The provided starting key is invalid", 400)
    # dynalite "out-of-bounds hash key", "non-matching range key", "matching range but
    # non-matching hash key"; floci-io/floci#3322.
    assert _fails(ddb.query, TableName=indexed_table, ExclusiveStartKey={"pk": {"S": "q"}, "sk": {"S": "s1"}}, **KCE) == (
        "ValidationException", "The provided starting key is outside query boundaries based on provided conditions", 400)
    ranged = {"KeyConditionExpression": "pk = :p AND sk > :s", "ExpressionAttributeValues": {":p": {"S": "p"}, ":s": {"S": "s2"}}}
    assert _fails(ddb.query, TableName=indexed_table, ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "s1"}}, **ranged) == (
        "ValidationException", "The provided starting key does not match the range key predicate", 400)
    assert _fails(ddb.query, TableName=indexed_table, ExclusiveStartKey={"pk": {"S": "q"}, "sk": {"S": "s3"}}, **ranged) == (
        "ValidationException", "The query can return at most one row and cannot be restarted", 400)
    # Inside the conditions, forwards and backwards, the page resumes after the key.
    page = ddb.query(TableName=indexed_table, ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "s3"}}, **ranged)
    assert [item["sk"]["S"] for item in page["Items"]] == ["s4"]
    page = ddb.query(TableName=indexed_table, IndexName="lsi", ScanIndexForward=False,
                     ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "s2"}, "l": {"S": "l2"}}, **KCE)
    assert [item["l"]["S"] for item in page["Items"]] == ["l1", "l0"]


def test_scan_starting_key_and_segments(ddb, client_factory, indexed_table, make_table):
    # ExtendDB#86: a Scan of an index says only that the key is invalid (of the table, why).
    assert _fails(ddb.scan, TableName=indexed_table, IndexName="gsi", ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "s1"}}) == (
        "ValidationException", "The provided starting key is invalid", 400)
    assert _fails(ddb.scan, TableName=indexed_table, ExclusiveStartKey={"pk": {"S": "p"}}) == (
        "ValidationException", "The provided starting key is invalid: The provided key element does not match the schema", 400)
    unchecked = client_factory("dynamodb", parameter_validation=False)  # boto3 would refuse Segment=-1 itself
    assert _fails(unchecked.scan, TableName=indexed_table, Segment=-1, TotalSegments=2) == (
        "ValidationException", "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0", 400)
    # scylladb/scylladb#9270 (checked against DynamoDB): a starting key from another segment.
    name = make_table("S")
    for i in range(40):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}})
    owner = {}
    for segment in range(4):
        for item in ddb.scan(TableName=name, Segment=segment, TotalSegments=4)["Items"]:
            owner[item["pk"]["S"]] = segment
    key, segment = next((k, s) for k, s in owner.items() if s != 0)
    assert _fails(ddb.scan, TableName=name, Segment=0, TotalSegments=4, ExclusiveStartKey={"pk": {"S": key}}) == (
        "ValidationException", "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey "
        "with correct Segment. TotalSegments: 4 Segment: 0", 400)
    rest = ddb.scan(TableName=name, Segment=segment, TotalSegments=4, ExclusiveStartKey={"pk": {"S": key}})["Items"]
    assert all(owner[item["pk"]["S"]] == segment for item in rest)


def test_local_index_reads_unprojected_attributes_from_the_table(ddb, indexed_table):
    # "If you query or scan a local secondary index and request attributes that are not
    # projected in to the index, DynamoDB will automatically fetch those attributes from the
    # base table" (Developer Guide, Local secondary indexes: attribute projections).
    by_l = {"IndexName": "lsi", **KCE}
    projected = ddb.query(TableName=indexed_table, ProjectionExpression="l, y", **by_l)["Items"]
    assert projected[:2] == [{"l": {"S": "l0"}, "y": {"S": "y0"}}, {"l": {"S": "l1"}, "y": {"S": "y1"}}]
    filtered = ddb.query(TableName=indexed_table, FilterExpression="y = :y",
                         IndexName="lsi", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":y": {"S": "y1"}})
    # The filter reads the table's item; the answer is still the index's projection.
    assert filtered["Items"] == [{"pk": {"S": "p"}, "sk": {"S": f"s{i}"}, "l": {"S": f"l{i}"}} for i in (1, 3)]
    assert filtered["ScannedCount"] == 5
    everything = ddb.query(TableName=indexed_table, Select="ALL_ATTRIBUTES", FilterExpression="y = :y", Limit=2,
                           IndexName="lsi", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "p"}, ":y": {"S": "y1"}})
    assert [item["sk"]["S"] for item in everything["Items"]] == ["s1"] and everything["Items"][0]["x"] == {"S": "x"}


def test_expected_takes_value_with_a_comparison_operator(ddb, make_table):
    # dynalite validateAttributeConditions (validations/index.js) and test/putItem.js.
    name = make_table("S")
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "v": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "v": {"N": "2"}},
                 Expected={"v": {"ComparisonOperator": "EQ", "Value": {"N": "1"}}})
    assert _fails(ddb.put_item, TableName=name, Item={"pk": {"S": "p"}},
                  Expected={"v": {"ComparisonOperator": "EQ", "Value": {"N": "1"}}})[0] == "ConditionalCheckFailedException"
    cases = [
        ({"ComparisonOperator": "NULL", "Exists": False}, "Exists and ComparisonOperator cannot be used together for Attribute: v"),
        ({"ComparisonOperator": "EQ"}, "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: v"),
        ({"AttributeValueList": [{"N": "1"}]}, "AttributeValueList can only be used with a ComparisonOperator for Attribute: v"),
        ({}, "Value must be provided when Exists is null for Attribute: v"),
        ({"Exists": True}, "Value must be provided when Exists is true for Attribute: v"),
    ]
    # dynalite's recordings were bare; paritysuite's (putItem/deleteItem.test.ts, 2026, eu-west-2
    # and us-east-1) put them in the one-error envelope.
    for spec, message in cases:
        assert _fails(ddb.put_item, TableName=name, Item={"pk": {"S": "p"}}, Expected={"v": spec}) == (
            "ValidationException", "1 validation error detected: " + INVALID + message, 400), spec


def test_paths_into_key_attributes_are_refused(ddb, indexed_table):
    # dynalite test/scan.js "non-scalar key access" and test/query.js "non-scalar index access in
    # FilterExpression": a key attribute is a scalar, so a path into one is an error.
    prefix = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "
    assert _fails(ddb.scan, TableName=indexed_table, FilterExpression="attribute_exists(pk.b)") == (
        "ValidationException", prefix + "Key: pk", 400)
    assert _fails(ddb.scan, TableName=indexed_table, ProjectionExpression="x, sk[0]") == (
        "ValidationException", prefix + "Key: sk", 400)
    assert _fails(ddb.query, TableName=indexed_table, FilterExpression="gr[1] = :p", **KCE) == (
        "ValidationException", prefix + "IndexKey: gr", 400)


def test_reads_through_an_index_are_charged_to_the_index(ddb, indexed_table):
    # dynalite test/query.js "should query on basic hash global index" (ReturnConsumedCapacity
    # INDEXES): the index carries the read, the table reports 0.
    used = ddb.query(TableName=indexed_table, IndexName="gsi", ReturnConsumedCapacity="INDEXES", Select="COUNT",
                     KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "G"}})["ConsumedCapacity"]
    assert used == {"TableName": indexed_table, "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5,
                    "Table": {"CapacityUnits": 0.0, "ReadCapacityUnits": 0.0},
                    "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}}}
    # A local index read beyond its projection also reads the table, which is charged for it.
    used = ddb.query(TableName=indexed_table, IndexName="lsi", ReturnConsumedCapacity="INDEXES", Select="ALL_ATTRIBUTES",
                     **KCE)["ConsumedCapacity"]
    assert used["LocalSecondaryIndexes"] == {"lsi": {"CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}}
    assert used["Table"]["CapacityUnits"] > 0 and used["CapacityUnits"] == 0.5 + used["Table"]["CapacityUnits"]


# paritysuite/dynamodb-conformance captures (proj_gsi_query_nonprojected, proj_gsi_scan_nonprojected):
# a global index answers only with what it holds, and says so.
def test_global_index_refuses_attributes_it_does_not_project(ddb, indexed_table):
    refused = ("ValidationException", INVALID + "Global secondary index gsi does not project [y]", 400)
    assert _fails(ddb.query, TableName=indexed_table, IndexName="gsi", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "G"}}, ProjectionExpression="x, y") == refused
    assert _fails(ddb.scan, TableName=indexed_table, IndexName="gsi", ProjectionExpression="y") == refused
    assert ddb.query(TableName=indexed_table, IndexName="gsi", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "G"}}, ProjectionExpression="x")["Count"] == 5
    # A local index fetches them from the table instead.
    local = ddb.query(TableName=indexed_table, IndexName="lsi", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "p"}}, ProjectionExpression="y")["Items"]
    assert [item["y"]["S"] for item in local] == ["y0", "y1", "y0", "y1", "y0"]


# moto's AWS-verified test_dynamodb_select.py: Query wraps these in the one-error envelope, Scan does not.
@pytest.mark.parametrize("operation, envelope", [("query", "1 validation error detected: "), ("scan", "")])
def test_select_refusals_as_each_operation_words_them(ddb, indexed_table, operation, envelope):
    def read(**extra):
        if operation == "query":
            key = "g" if extra.get("IndexName") == "gsi" else "pk"
            extra.update(KeyConditionExpression=f"{key} = :k", ExpressionAttributeValues={":k": {"S": "G"}})
        return getattr(ddb, operation)(TableName=indexed_table, **extra)

    for select, described in (("ALL_ATTRIBUTES", "ALL_ATTRIBUTES"), ("COUNT", "only the Count"),
                              ("ALL_PROJECTED_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES")):
        assert _fails(read, IndexName="gsi", Select=select, ProjectionExpression="g") == (
            "ValidationException", f"{envelope}Cannot specify the ProjectionExpression when choosing to get {described}", 400)
    assert _fails(read, Select="ALL_PROJECTED_ATTRIBUTES") == (
        "ValidationException", f"{envelope}ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName", 400)
    assert _fails(read, Select="SPECIFIC_ATTRIBUTES") == (
        "ValidationException",
        f"{envelope}Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES", 400)


def test_a_limit_below_one_is_worded_per_operation(raw, make_table):
    """paritysuite: Query names `Limit` without its value (validation-ordering/query.test.ts);
    Scan keeps `Value '0' at 'limit'` outside the Regions its newer wording has reached."""
    name = make_table("S")
    assert _fails(raw.query, TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                  Limit=0) == ("ValidationException", "1 validation error detected: Value at 'Limit' failed to satisfy "
                               "constraint: Member must have value greater than or equal to 1", 400)
    assert _fails(raw.scan, TableName=name, Limit=0) == (
        "ValidationException", "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1", 400)
    assert _fails(raw.execute_statement, Statement=f'SELECT * FROM "{name}"', Limit=0)[1] == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1")
