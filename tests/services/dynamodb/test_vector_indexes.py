"""Vector indexes as tables carry them: CreateTable's VectorIndexes, UpdateTable's
VectorIndexUpdates, DescribeTable, and what an item write must satisfy.

Sources: botocore's model (VectorIndex, SearchSchemaElement, VectorIndexDescription), the
Developer Guide's vector index pages (the SearchSchema attribute-definition message word for
word, on-demand tables only, five vector indexes a table, a wrong vector refused on write), and
ScyllaDB's Alternator tests run against DynamoDB (test/alternator/test_vector.py: the rules on
dimensions, names, projections and search schemas). Messages that no source records are
Overcast's own; the tests pin them so that they change only on purpose.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.services.dynamodb.conftest import refused, unique_name

INVALID = "One or more parameter values were invalid: "


def vec(*numbers: float) -> dict:
    return {"L": [{"N": str(n)} for n in numbers]}


def vector_index(name: str = "vind", attribute: str = "v", dimensions: int = 3, distance: str = "COSINE",
                 projection: str = "ALL", schema: list[tuple[str, str]] | None = None,
                 non_key: list[str] | None = None) -> dict:
    spec: dict = {"IndexName": name, "VectorAttribute": {"AttributeName": attribute}, "Dimensions": dimensions,
                  "DistanceFunction": distance, "Projection": {"ProjectionType": projection}}
    if non_key is not None:
        spec["Projection"]["NonKeyAttributes"] = non_key
    if schema is not None:
        spec["SearchSchema"] = [{"AttributeName": a, "SearchSchemaElementType": t} for a, t in schema]
    return spec


def definitions(**types: str) -> list[dict]:
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


def table_params(indexes: list[dict], extra: list[dict] | None = None, **params) -> dict:
    return {"TableName": unique_name("vec"), "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": definitions(pk="S") + (extra or []), "VectorIndexes": indexes, **params}


def create(client, indexes: list[dict], extra: list[dict] | None = None, **params) -> dict:
    return client.create_table(**table_params(indexes, extra, **params))


def create_refused(client, indexes: list[dict], extra: list[dict] | None = None, **params) -> tuple:
    return refused(client.create_table, **table_params(indexes, extra, **params))


# -- CreateTable and DescribeTable

def test_create_table_answers_and_describes_vector_indexes(ddb, make_table):
    schema = [("tenant", "HASH"), ("kind", "INLINE_FILTER")]
    name = unique_name("vec")
    body = create(ddb, [vector_index("plain"), vector_index("scoped", dimensions=3, distance="EUCLIDEAN",
                                                              projection="KEYS_ONLY", schema=schema)],
                  definitions(tenant="S", kind="N"), TableName=name)["TableDescription"]
    try:
        created = {i["IndexName"]: i for i in body["VectorIndexes"]}
        assert created["plain"]["IndexStatus"] == "CREATING"
        assert created["plain"]["IndexArn"].endswith(f":table/{name}/index/plain")
        described = {i["IndexName"]: i for i in ddb.describe_table(TableName=name)["Table"]["VectorIndexes"]}
        plain, scoped = described["plain"], described["scoped"]
        assert plain["IndexStatus"] == "ACTIVE" and "Backfilling" not in plain
        assert plain["VectorAttribute"] == {"AttributeName": "v"} and plain["Dimensions"] == 3
        assert plain["DistanceFunction"] == "COSINE" and plain["Projection"] == {"ProjectionType": "ALL"}
        assert "SearchSchema" not in plain  # absent, not empty, without one
        assert plain["ItemCount"] == 0 and plain["IndexSizeBytes"] == 0
        assert scoped["SearchSchema"] == [{"AttributeName": "tenant", "SearchSchemaElementType": "HASH"},
                                          {"AttributeName": "kind", "SearchSchemaElementType": "INLINE_FILTER"}]
        names = {d["AttributeName"] for d in ddb.describe_table(TableName=name)["Table"]["AttributeDefinitions"]}
        assert names == {"pk", "tenant", "kind"}
    finally:
        ddb.delete_table(TableName=name)


def test_several_indexes_on_one_attribute_agree_on_dimensions(ddb):
    name = unique_name("vec")
    create(ddb, [vector_index("one", distance="COSINE"), vector_index("two", distance="DOT_PRODUCT")], TableName=name)
    ddb.delete_table(TableName=name)
    assert create_refused(ddb, [vector_index("one"), vector_index("two", dimensions=4)]) == (
        "ValidationException", INVALID + "Vector indexes on attribute v must have the same Dimensions: 3 and 4", 400)


@pytest.mark.parametrize("dimensions, problem", [
    (0, "Member must have value greater than or equal to 1"),
    (4097, "Member must have value less than or equal to 4096"),
])
def test_dimensions_out_of_range(raw, dimensions, problem):
    assert create_refused(raw, [vector_index(dimensions=dimensions)]) == (
        "ValidationException",
        f"1 validation error detected: Value '{dimensions}' at 'vectorIndexes.1.member.dimensions' failed to satisfy "
        f"constraint: {problem}", 400)


def test_most_dimensions_are_allowed(ddb):
    name = unique_name("vec")
    create(ddb, [vector_index(dimensions=4096)], TableName=name)
    ddb.delete_table(TableName=name)


def test_distance_function_outside_the_enum(raw):
    code, message, status = create_refused(raw, [vector_index(distance="cosine")])
    assert (code, status) == ("ValidationException", 400)
    assert "distanceFunction" in message and "[COSINE, DOT_PRODUCT, EUCLIDEAN]" in message


def test_index_name_shared_with_another_index(ddb):
    assert create_refused(ddb, [vector_index("same"), vector_index("same")]) == (
        "ValidationException", INVALID + "Duplicate index name: same", 400)
    gsi = {"IndexName": "same", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    assert create_refused(ddb, [vector_index("same")], GlobalSecondaryIndexes=[gsi]) == (
        "ValidationException", INVALID + "Duplicate index name: same", 400)


def test_vector_attribute_cannot_be_a_key(ddb):
    assert create_refused(ddb, [vector_index(attribute="pk")]) == (
        "ValidationException",
        INVALID + "The vector attribute 'pk' of vector index vind cannot be a key attribute of the table or of one of its indexes",
        400)


def test_search_schema_rules(ddb):
    assert create_refused(ddb, [vector_index(schema=[("x", "INLINE_FILTER")])]) == (
        "ValidationException", "One element in SearchSchema is not defined in attribute definitions", 400)
    assert create_refused(ddb, [vector_index(schema=[("x", "HASH"), ("y", "HASH")])], definitions(x="S", y="S")) == (
        "ValidationException", INVALID + "SearchSchema of vector index vind has more than one HASH element", 400)
    assert create_refused(ddb, [vector_index(schema=[("x", "HASH"), ("x", "INLINE_FILTER")])], definitions(x="S")) == (
        "ValidationException", INVALID + "Duplicate attribute in SearchSchema: x", 400)
    # Every definition is used by something: an unused one is refused, as for secondary indexes.
    code, message, _ = create_refused(ddb, [vector_index(schema=[("x", "HASH")])], definitions(x="S", y="S"))
    assert code == "ValidationException"
    assert message == INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: [pk, x, y], keys used: [pk, x]"


def test_empty_search_schema_is_not_an_absent_one(raw):
    code, message, status = create_refused(raw, [{**vector_index(), "SearchSchema": []}])
    assert (code, status) == ("ValidationException", 400) and "searchSchema" in message


def test_projection_rules(ddb, raw):
    assert create_refused(ddb, [vector_index(projection="INCLUDE")]) == (
        "ValidationException", INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified", 400)
    assert create_refused(ddb, [vector_index(projection="KEYS_ONLY", non_key=["x"])]) == (
        "ValidationException", INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified", 400)
    # 19 NonKeyAttributes and the vector attribute make the 20 an index may project.
    name = unique_name("vec")
    create(ddb, [vector_index(projection="INCLUDE", non_key=[f"a{i}" for i in range(19)])], TableName=name)
    ddb.delete_table(TableName=name)
    assert create_refused(ddb, [vector_index(projection="INCLUDE", non_key=[f"a{i}" for i in range(20)])]) == (
        "ValidationException", INVALID + "The number of projected attributes of vector index vind exceeds the limit of 20", 400)


def test_on_demand_tables_only(ddb):
    assert create_refused(ddb, [vector_index()], BillingMode="PROVISIONED",
                   ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}) == (
        "ValidationException",
        INVALID + "Vector indexes are supported only on tables that use on-demand capacity mode (PAY_PER_REQUEST)", 400)


def test_at_most_five_vector_indexes(ddb):
    assert create_refused(ddb, [vector_index(f"vi{i}", attribute=f"v{i}") for i in range(6)]) == (
        "ValidationException", INVALID + "VectorIndex count exceeds the per-table limit of 5", 400)


# -- UpdateTable

def test_update_table_creates_backfills_and_deletes(ddb, make_table):
    name = make_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": vec(1, 0, 0), "x": {"S": "one"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "v": vec(1, 2)})  # does not fit: left out, not refused
    ddb.put_item(TableName=name, Item={"pk": {"S": "c"}, "v": {"S": "text"}})
    body = ddb.update_table(TableName=name, AttributeDefinitions=definitions(x="S"),
                            VectorIndexUpdates=[{"Create": vector_index(schema=[("x", "INLINE_FILTER")])}])["TableDescription"]
    assert body["VectorIndexes"][0]["IndexStatus"] == "CREATING"
    described = ddb.describe_table(TableName=name)["Table"]
    assert described["VectorIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert described["VectorIndexes"][0]["ItemCount"] == 1
    assert {d["AttributeName"] for d in described["AttributeDefinitions"]} == {"pk", "x"}
    found = ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=vec(1, 0, 0)["L"], TopK=5)
    assert [r["Item"]["pk"]["S"] for r in found["SearchResults"]] == ["a"]
    # Now the index is there, such writes are refused.
    code, _, status = refused(ddb.put_item, TableName=name, Item={"pk": {"S": "b"}, "v": vec(1, 2)})
    assert (code, status) == ("ValidationException", 400)
    ddb.update_table(TableName=name, VectorIndexUpdates=[{"Delete": {"IndexName": "vind"}}])
    described = ddb.describe_table(TableName=name)["Table"]
    assert "VectorIndexes" not in described
    assert {d["AttributeName"] for d in described["AttributeDefinitions"]} == {"pk"}
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "v": vec(1, 2)})  # no index, no check


def test_update_table_refusals(ddb, raw, make_table):
    gsi = {"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}
    name = make_table(VectorIndexes=[vector_index()], GlobalSecondaryIndexes=[gsi], ExtraDefinitions=definitions(g="S"))
    for taken in ("vind", "gsi"):
        assert refused(ddb.update_table, TableName=name, VectorIndexUpdates=[{"Create": vector_index(taken, attribute="w")}]) == (
            "ValidationException", "Attempting to create an index which already exists", 400)
    assert refused(ddb.update_table, TableName=name,
                   VectorIndexUpdates=[{"Create": vector_index("other", dimensions=4)}]) == (
        "ValidationException", INVALID + "Vector indexes on attribute v must have the same Dimensions: 3 and 4", 400)
    assert refused(ddb.update_table, TableName=name, VectorIndexUpdates=[{"Create": vector_index("other", attribute="g")}]) == (
        "ValidationException",
        INVALID + "The vector attribute 'g' of vector index other cannot be a key attribute of the table or of one of its indexes", 400)
    assert refused(ddb.update_table, TableName=name, VectorIndexUpdates=[{"Delete": {"IndexName": "nope"}}]) == (
        "ResourceNotFoundException", "Requested resource not found: Index: nope not found", 400)
    two = [{"Create": vector_index("aa1", attribute="w")}, {"Delete": {"IndexName": "vind"}}]
    assert refused(ddb.update_table, TableName=name, VectorIndexUpdates=two) == (
        "LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table", 400)
    code, message, _ = refused(ddb.update_table, TableName=name, VectorIndexUpdates=[])
    assert code == "ValidationException" and message.startswith("At least one of ")
    # A global index may not take a vector index's name or be keyed by its vector attribute.
    assert refused(ddb.update_table, TableName=name, AttributeDefinitions=definitions(pk="S"),
                   GlobalSecondaryIndexUpdates=[{"Create": {**gsi, "IndexName": "vind"}}]) == (
        "ValidationException", "Attempting to create an index which already exists", 400)
    keyed = {**gsi, "IndexName": "gsi2", "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}]}
    assert refused(ddb.update_table, TableName=name, AttributeDefinitions=definitions(v="S"),
                   GlobalSecondaryIndexUpdates=[{"Create": keyed}]) == (
        "ValidationException", INVALID + "Attribute v is the vector attribute of a vector index and cannot be an index key", 400)
    # A table with vector indexes stays on demand.
    assert refused(ddb.update_table, TableName=name, BillingMode="PROVISIONED",
                   ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                   GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gsi", "ProvisionedThroughput": {
                       "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}]) == (
        "ValidationException",
        INVALID + "Vector indexes are supported only on tables that use on-demand capacity mode (PAY_PER_REQUEST)", 400)


def test_query_and_scan_refuse_a_vector_index(ddb, make_table):
    name = make_table(VectorIndexes=[vector_index()])
    message = "Unsupported index type: vind is a vector index; read it with SearchVectors"
    assert refused(ddb.query, TableName=name, IndexName="vind", KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "a"}}) == ("ValidationException", message, 400)
    assert refused(ddb.scan, TableName=name, IndexName="vind") == ("ValidationException", message, 400)


# -- item writes

@pytest.fixture
def vector_table(make_table):
    return make_table(VectorIndexes=[vector_index(schema=[("tenant", "HASH"), ("kind", "INLINE_FILTER")])],
                      ExtraDefinitions=definitions(tenant="S", kind="N"))


@pytest.mark.parametrize("value, message", [
    ({"S": "text"}, "Invalid parameter type for vector attribute v: expected a list of numbers (L of N), got S. IndexName: vind"),
    ({"N": "5"}, "Invalid parameter type for vector attribute v: expected a list of numbers (L of N), got N. IndexName: vind"),
    ({"NS": ["1", "2", "3"]}, "Invalid parameter type for vector attribute v: expected a list of numbers (L of N), got NS. IndexName: vind"),
    ({"L": [{"N": "1"}, {"S": "x"}, {"N": "3"}]}, "Invalid parameter type for vector attribute v: element 1 is not a number. IndexName: vind"),
    ({"L": [{"N": "1"}, {"N": "1e100"}, {"N": "3"}]},
     "Invalid parameter type for vector attribute v: element 1 is not a 32-bit floating-point number. IndexName: vind"),
    (vec(1, 2), "Vector attribute v has 2 dimensions, but vector index vind has 3"),
    (vec(1, 2, 3, 4), "Vector attribute v has 4 dimensions, but vector index vind has 3"),
])
def test_a_wrong_vector_is_refused_by_every_write(ddb, vector_table, value, message):
    expected = ("ValidationException", INVALID + message, 400)
    assert refused(ddb.put_item, TableName=vector_table, Item={"pk": {"S": "k"}, "v": value}) == expected
    assert refused(ddb.update_item, TableName=vector_table, Key={"pk": {"S": "k"}}, UpdateExpression="SET v = :v",
                   ExpressionAttributeValues={":v": value}) == expected
    batch = {vector_table: [{"PutRequest": {"Item": {"pk": {"S": "good"}, "v": vec(1, 2, 3)}}},
                            {"PutRequest": {"Item": {"pk": {"S": "k"}, "v": value}}}]}
    assert refused(ddb.batch_write_item, RequestItems=batch)[0] == "ValidationException"
    assert "Item" not in ddb.get_item(TableName=vector_table, Key={"pk": {"S": "good"}})


def test_search_schema_attributes_keep_their_types(ddb, vector_table):
    assert refused(ddb.put_item, TableName=vector_table, Item={"pk": {"S": "k"}, "tenant": {"N": "1"}}) == (
        "ValidationException", INVALID + "Type mismatch for Index Key tenant Expected: S Actual: N IndexName: vind", 400)
    assert refused(ddb.put_item, TableName=vector_table, Item={"pk": {"S": "k"}, "kind": {"S": "1"}}) == (
        "ValidationException", INVALID + "Type mismatch for Index Key kind Expected: N Actual: S IndexName: vind", 400)
    assert refused(ddb.put_item, TableName=vector_table, Item={"pk": {"S": "k"}, "tenant": {"S": ""}}) == (
        "ValidationException",
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
        "The AttributeValue for a key attribute cannot contain an empty string value. IndexName: vind, IndexKey: tenant", 400)
    ddb.put_item(TableName=vector_table, Item={"pk": {"S": "k"}, "tenant": {"S": "t"}, "kind": {"N": "1"}, "v": vec(1, 2, 3)})


def test_precise_numbers_are_kept_in_the_item(ddb, vector_table):
    precise = "3.1415926535897932384626433832795028841"
    ddb.put_item(TableName=vector_table, Item={"pk": {"S": "k"}, "v": vec(1, Decimal(precise), 3)})
    item = ddb.get_item(TableName=vector_table, Key={"pk": {"S": "k"}})["Item"]
    assert item["v"]["L"][1]["N"] == precise
