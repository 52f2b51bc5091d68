"""Query and Scan through boto3: key conditions, ordering, paging, filters, Select, indexes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of


@pytest.fixture
def numbers_table(ddb, ddb_resource, make_table):
    name = make_table("S", "N")
    with ddb_resource.Table(name).batch_writer() as writer:
        for value in [-10, -1.5, -1, 0, 0.25, 1, 2, 10, 100, 1e20]:
            writer.put_item(Item={"pk": "p", "sk": Decimal(str(value)), "even": int(value) % 2 == 0})
        writer.put_item(Item={"pk": "other", "sk": 5})
    return name


def test_numbers_sort_numerically(ddb_resource, numbers_table):
    table = ddb_resource.Table(numbers_table)
    items = table.query(KeyConditionExpression=Key("pk").eq("p"))["Items"]
    assert [float(i["sk"]) for i in items] == [-10, -1.5, -1, 0, 0.25, 1, 2, 10, 100, 1e20]
    items = table.query(KeyConditionExpression=Key("pk").eq("p"), ScanIndexForward=False)["Items"]
    assert float(items[0]["sk"]) == 1e20


@pytest.mark.parametrize("condition, expected", [
    (Key("sk").lt(0), [-10, -1.5, -1]),
    (Key("sk").lte(0), [-10, -1.5, -1, 0]),
    (Key("sk").gt(2), [10, 100, 1e20]),
    (Key("sk").gte(2), [2, 10, 100, 1e20]),
    (Key("sk").between(-1, 1), [-1, 0, 0.25, 1]),
    (Key("sk").eq(Decimal("0.25")), [0.25]),
])
def test_sort_key_conditions(ddb_resource, numbers_table, condition, expected):
    items = ddb_resource.Table(numbers_table).query(KeyConditionExpression=Key("pk").eq("p") & condition)["Items"]
    assert [float(i["sk"]) for i in items] == expected


def test_begins_with_on_strings(ddb_resource, make_table):
    name = make_table("S", "S")
    table = ddb_resource.Table(name)
    for sk in ["a", "ab", "abc", "b", "a\xff", "é"]:
        table.put_item(Item={"pk": "p", "sk": sk})
    items = table.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").begins_with("a"))["Items"]
    assert [i["sk"] for i in items] == ["a", "ab", "abc", "a\xff"]
    everything = [i["sk"] for i in table.query(KeyConditionExpression=Key("pk").eq("p"))["Items"]]
    assert everything == sorted(everything, key=lambda s: s.encode())


def test_paging_with_limit_and_filter(ddb_resource, numbers_table):
    table = ddb_resource.Table(numbers_table)
    seen, start, pages = [], None, 0
    while True:
        kwargs = {"KeyConditionExpression": Key("pk").eq("p"), "FilterExpression": Attr("even").eq(True), "Limit": 3}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = table.query(**kwargs)
        assert page["ScannedCount"] <= 3
        seen += [float(i["sk"]) for i in page["Items"]]
        pages += 1
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == [-10, 0, 0.25, 2, 10, 100, 1e20]
    assert pages == 4


def test_select_count(ddb, numbers_table):
    result = ddb.query(TableName=numbers_table, KeyConditionExpression="pk = :p", Select="COUNT",
                       ExpressionAttributeValues={":p": {"S": "p"}})
    assert result["Count"] == 10 and "Items" not in result
    result = ddb.scan(TableName=numbers_table, Select="COUNT")
    assert result["Count"] == 11 and result["ScannedCount"] == 11


def test_query_errors(ddb, numbers_table):
    cases = [
        (dict(KeyConditionExpression="sk = :v", ExpressionAttributeValues={":v": {"N": "1"}}),
         "Query condition missed key schema element: pk"),
        (dict(KeyConditionExpression="pk = :v OR sk = :w", ExpressionAttributeValues={":v": {"S": "p"}, ":w": {"N": "1"}}),
         "Invalid operator used in KeyConditionExpression: OR"),
        (dict(KeyConditionExpression="pk = :v", ExpressionAttributeValues={":v": {"N": "1"}}),
         "One or more parameter values were invalid: Condition parameter type does not match schema type"),
        (dict(KeyConditionExpression="pk = :v", FilterExpression="sk > :v", ExpressionAttributeValues={":v": {"S": "p"}}),
         "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"),
        (dict(KeyConditionExpression="pk = :v", IndexName="nope", ExpressionAttributeValues={":v": {"S": "p"}}),
         "The table does not have the specified index: nope"),
        # A starting key without the table's sort key: the short form (dynalite's suite, recorded
        # against DynamoDB; other emulators' reports of DynamoDB say the same).
        (dict(KeyConditionExpression="pk = :v", ExclusiveStartKey={"pk": {"S": "p"}}, ExpressionAttributeValues={":v": {"S": "p"}}),
         "The provided starting key is invalid"),
        (dict(), "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."),
        (dict(KeyConditionExpression="pk = :v AND sk <> :w", ExpressionAttributeValues={":v": {"S": "p"}, ":w": {"N": "1"}}),
         "Invalid operator used in KeyConditionExpression: <>"),
        (dict(KeyConditionExpression="pk = :v AND attribute_exists(sk)", ExpressionAttributeValues={":v": {"S": "p"}}),
         "Invalid operator used in KeyConditionExpression: attribute_exists"),
        (dict(KeyConditionExpression="pk = :v AND sk = :w AND sk > :w", ExpressionAttributeValues={":v": {"S": "p"}, ":w": {"N": "1"}}),
         "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"),
        # paritysuite/dynamodb-conformance queryKeyConditionOperands.test.ts (captured against DynamoDB).
        (dict(KeyConditionExpression="pk = :v AND sk > :w AND extra = :w",
              ExpressionAttributeValues={":v": {"S": "p"}, ":w": {"N": "1"}}),
         "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"),
        (dict(KeyConditionExpression="pk = :v AND sk < :b", ExpressionAttributeValues={":v": {"S": "p"}, ":b": {"BOOL": True}}),
         "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, "
         "operand type: BOOL"),
        (dict(KeyConditionExpression="pk = :v AND :b >= sk", ExpressionAttributeValues={":v": {"S": "p"}, ":b": {"BOOL": True}}),
         "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: >=, "
         "operand type: BOOL"),
        (dict(KeyConditionExpression="pk = :v AND sk BETWEEN :b AND :w",
              ExpressionAttributeValues={":v": {"S": "p"}, ":b": {"BOOL": False}, ":w": {"BOOL": True}}),
         "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: "
         "BETWEEN, operand type: BOOL"),
        (dict(KeyConditionExpression="pk = :v", ScanIndexForward=True, ExpressionAttributeNames={"#x": "x"},
              ExpressionAttributeValues={":v": {"S": "p"}}),
         "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.query(TableName=numbers_table, **kwargs)
        assert error_of(excinfo) == ("ValidationException", message, 400), kwargs


def test_legacy_key_conditions_and_query_filter(ddb, numbers_table):
    result = ddb.query(TableName=numbers_table,
                       KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
                                      "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "10"}]}},
                       QueryFilter={"even": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}})
    assert [i["sk"]["N"] for i in result["Items"]] == ["10", "100", "100000000000000000000"]
    scanned = ddb.scan(TableName=numbers_table, ScanFilter={"sk": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "5"}, {"N": "2"}]}})
    assert sorted(i["sk"]["N"] for i in scanned["Items"]) == ["2", "5"]


def test_parallel_scan_covers_everything_once(ddb, ddb_resource, make_table):
    name = make_table("N")
    with ddb_resource.Table(name).batch_writer() as writer:
        for i in range(200):
            writer.put_item(Item={"pk": i})
    seen = []
    for segment in range(4):
        start = None
        while True:
            kwargs = {"TableName": name, "Segment": segment, "TotalSegments": 4, "Limit": 17}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = ddb.scan(**kwargs)
            seen += [int(i["pk"]["N"]) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    assert sorted(seen) == list(range(200))
    with pytest.raises(ClientError) as excinfo:
        ddb.scan(TableName=name, Segment=4, TotalSegments=4)
    assert error_of(excinfo)[1] == (
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4")


def _scan_all(ddb, **kwargs) -> list[dict]:
    items, start = [], None
    while True:
        page = ddb.scan(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def test_scan_pages_through_one_big_partition_and_tied_index_keys(ddb, ddb_resource, make_table):
    # Pages resume inside a partition (the table's) and inside a run of equal index keys (the
    # index's): each item comes back exactly once, in one pass.
    name = make_table("S", "N", ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                      GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                               "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    with ddb_resource.Table(name).batch_writer() as writer:
        for i in range(600):
            writer.put_item(Item={"pk": "big", "sk": i, "g": "same"})
        for i in range(30):
            writer.put_item(Item={"pk": f"small-{i}", "sk": 0, "g": "same" if i % 2 else "other"})
    table_items = _scan_all(ddb, TableName=name, Limit=37)
    keys = [(item["pk"]["S"], int(item["sk"]["N"])) for item in table_items]
    assert len(keys) == len(set(keys)) == 630
    assert [sk for pk, sk in keys if pk == "big"] == list(range(600))  # a partition in sort order
    index_items = _scan_all(ddb, TableName=name, IndexName="by-g", Limit=41)
    index_keys = [(item["pk"]["S"], int(item["sk"]["N"])) for item in index_items]
    assert sorted(index_keys) == sorted(keys)


def test_query_pages_through_tied_index_keys_both_ways(ddb, make_table):
    # On an index without a sort key every item of an index partition ties on it; with one,
    # many may share a value: pages resume after the last (index key, table key), forwards and
    # backwards, inside and across the key condition's range.
    name = make_table("S", "N", ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"},
                                                  {"AttributeName": "t", "AttributeType": "N"}],
                      GlobalSecondaryIndexes=[
                          {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                           "Projection": {"ProjectionType": "KEYS_ONLY"}},
                          {"IndexName": "by-g-t", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                                {"AttributeName": "t", "KeyType": "RANGE"}],
                           "Projection": {"ProjectionType": "ALL"}}])
    for i in range(90):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}, "g": {"S": "same"},
                                           "t": {"N": str(i % 3)}})

    def query_all(**kwargs) -> list[tuple[str, int, int]]:
        out, start = [], None
        while True:
            page = ddb.query(TableName=name, Limit=8, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
            out += [(item["pk"]["S"], int(item["sk"]["N"]), int(item.get("t", {"N": "-1"})["N"]))
                    for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return out

    everything = query_all(IndexName="by-g", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "same"}})
    assert len(everything) == len(set(everything)) == 90
    for forward in (True, False):
        ranged = query_all(IndexName="by-g-t", KeyConditionExpression="g = :g AND t BETWEEN :a AND :b",
                           ExpressionAttributeValues={":g": {"S": "same"}, ":a": {"N": "1"}, ":b": {"N": "2"}},
                           ScanIndexForward=forward)
        assert len(ranged) == len(set(ranged)) == 60
        assert {t for _, _, t in ranged} == {1, 2}
        order = [(t, pk, sk) for pk, sk, t in ranged]
        assert order == sorted(order, key=lambda row: (row[0], row[1].encode(), row[2]), reverse=not forward)


def test_one_megabyte_page_applies_before_filter(ddb, make_table):
    name = make_table("S", "N")
    blob = "x" * 300_000
    for i in range(8):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "payload": {"S": blob}})
    page = ddb.query(TableName=name, KeyConditionExpression="pk = :p", FilterExpression="attribute_not_exists(payload)",
                     ExpressionAttributeValues={":p": {"S": "p"}})
    assert page["Count"] == 0
    assert page["ScannedCount"] < 8
    assert "LastEvaluatedKey" in page


def test_global_and_local_secondary_indexes(ddb, make_table):
    name = make_table(
        "S", "S",
        ExtraDefinitions=[{"AttributeName": "gk", "AttributeType": "S"}, {"AttributeName": "score", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"},
                                                                 {"AttributeName": "score", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi1", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                {"AttributeName": "score", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["extra"]}}])
    for i, score in enumerate([30, 10, 20]):
        ddb.put_item(TableName=name, Item={"pk": {"S": "u"}, "sk": {"S": f"s{i}"}, "gk": {"S": "G"},
                                           "score": {"N": str(score)}, "extra": {"S": "e"}, "hidden": {"S": "h"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "u"}, "sk": {"S": "sparse"}})
    result = ddb.query(TableName=name, IndexName="gsi1", KeyConditionExpression="gk = :g",
                       ExpressionAttributeValues={":g": {"S": "G"}})
    assert [i["score"]["N"] for i in result["Items"]] == ["10", "20", "30"]
    assert set(result["Items"][0]) == {"pk", "sk", "gk", "score"}
    local = ddb.query(TableName=name, IndexName="lsi1", KeyConditionExpression="pk = :p AND score > :s",
                      ExpressionAttributeValues={":p": {"S": "u"}, ":s": {"N": "15"}})
    assert [i["score"]["N"] for i in local["Items"]] == ["20", "30"]
    assert set(local["Items"][0]) == {"pk", "sk", "score", "extra"}
    full = ddb.query(TableName=name, IndexName="lsi1", KeyConditionExpression="pk = :p", Select="ALL_ATTRIBUTES",
                     ExpressionAttributeValues={":p": {"S": "u"}})
    assert "hidden" in full["Items"][0]
    paged = ddb.query(TableName=name, IndexName="gsi1", KeyConditionExpression="gk = :g", Limit=1,
                      ExpressionAttributeValues={":g": {"S": "G"}})
    assert set(paged["LastEvaluatedKey"]) == {"pk", "sk", "gk", "score"}
    second = ddb.query(TableName=name, IndexName="gsi1", KeyConditionExpression="gk = :g", Limit=1,
                       ExclusiveStartKey=paged["LastEvaluatedKey"], ExpressionAttributeValues={":g": {"S": "G"}})
    assert second["Items"][0]["score"]["N"] == "20"
    ddb.delete_item(TableName=name, Key={"pk": {"S": "u"}, "sk": {"S": "s1"}})
    ddb.update_item(TableName=name, Key={"pk": {"S": "u"}, "sk": {"S": "s2"}}, UpdateExpression="REMOVE gk")
    result = ddb.query(TableName=name, IndexName="gsi1", KeyConditionExpression="gk = :g",
                       ExpressionAttributeValues={":g": {"S": "G"}})
    assert [i["score"]["N"] for i in result["Items"]] == ["30"]
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName=name, IndexName="gsi1", KeyConditionExpression="gk = :g", ConsistentRead=True,
                  ExpressionAttributeValues={":g": {"S": "G"}})
    assert error_of(excinfo)[1] == "Consistent reads are not supported on global secondary indexes"
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName=name, Item={"pk": {"S": "u"}, "sk": {"S": "bad"}, "gk": {"N": "1"}})
    assert error_of(excinfo)[1] == (
        "One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S Actual: N IndexName: gsi1")


def test_an_unused_name_is_refused_before_the_key_condition_is_read(ddb, make_table):
    # moto's aws_verified test_query_unused_attribute_name.
    table = make_table("S", "S")
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName=table, KeyConditionExpression="(#0 = x) AND (begins_with(#1, a))",
                  ExpressionAttributeNames={"#0": "pk", "#1": "sk", "#count": "count"})
    assert error_of(excinfo) == (
        "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}", 400)
    with pytest.raises(ClientError) as excinfo:  # every name used: what the condition means is refused
        ddb.query(TableName=table, KeyConditionExpression="(#0 = x) AND (begins_with(#1, a))",
                  ExpressionAttributeNames={"#0": "pk", "#1": "sk"})
    assert error_of(excinfo) == (
        "ValidationException", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition", 400)

