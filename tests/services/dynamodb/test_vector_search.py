"""SearchVectors, the capacity vector indexes report, and vector indexes kept in step with every
kind of write and across restarts.

Sources: botocore's model (SearchVectors: scores and their order by distance function; TopK;
VectorCapacity), paritysuite/dynamodb-conformance (tests/tier3/error-messages/searchVectors.test.ts:
the refusals word for word; tests/tier2/vectorSearch/consumedCapacity.test.ts: the capacity
shapes and the write figure), the Developer Guide's "Troubleshooting vector indexes" (the
missing-index message), and ScyllaDB's Alternator tests run against DynamoDB (scores of known
vectors, the vector attribute returned only on request as its float32 copy, an item without the
HASH attribute left out of the index while one without an INLINE_FILTER attribute stays in).
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import make_client
from tests.services.dynamodb.conftest import on_demand_table, refused, unique_name
from tests.services.dynamodb.test_vector_indexes import definitions, vec, vector_index
from tests.support.raw_http import move_clock


def numbers(*values: float) -> list[dict]:
    return vec(*values)["L"]


def keys(answer: dict) -> list[str]:
    return [result["Item"]["pk"]["S"] for result in answer["SearchResults"]]


def put_vectors(ddb, table: str, vectors: dict[str, tuple], **attributes: dict) -> None:
    for key, values in vectors.items():
        ddb.put_item(TableName=table, Item={"pk": {"S": key}, "v": vec(*values), **attributes.get(key, {})})


@pytest.mark.parametrize("distance, vectors, expected", [
    # 1 - cosine similarity: 0 identical, 1 orthogonal, 2 opposite; smallest first.
    ("COSINE", {"p1": (1, 0, 0), "p2": (1, 0.1, 0), "p3": (0, 1, 0), "p4": (-1, 0, 0)},
     [("p1", 0.0), ("p2", 0.00496), ("p3", 1.0), ("p4", 2.0)]),
    # The distance itself, smallest first.
    ("EUCLIDEAN", {"p1": (1, 0, 0), "p2": (1, 0.1, 0), "p3": (2, 0, 0), "p4": (-1, 0, 0)},
     [("p1", 0.0), ("p2", 0.1), ("p3", 1.0), ("p4", 2.0)]),
    # The dot product, largest first.
    ("DOT_PRODUCT", {"p1": (2, 0, 0), "p2": (1, 0.1, 0), "p3": (0, 1, 0), "p4": (-1, 0, 0)},
     [("p1", 2.0), ("p2", 1.0), ("p3", 0.0), ("p4", -1.0)]),
])
def test_scores_and_their_order(ddb, make_table, distance, vectors, expected):
    name = make_table(VectorIndexes=[vector_index(distance=distance, projection="KEYS_ONLY")])
    put_vectors(ddb, name, vectors)
    answer = ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(1, 0, 0), TopK=4)
    assert keys(answer) == [key for key, _ in expected]
    for result, (_, score) in zip(answer["SearchResults"], expected, strict=True):
        assert result["Score"] == pytest.approx(score, abs=1e-4)
    # TopK bounds the answer; a search over fewer items answers them all.
    assert keys(ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(1, 0, 0), TopK=2)) == [
        key for key, _ in expected[:2]]
    assert len(ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(1, 0, 0), TopK=100)["SearchResults"]) == 4


def test_each_index_ranks_by_its_own_distance_function(ddb, make_table):
    name = make_table(VectorIndexes=[vector_index("by_cosine", distance="COSINE"), vector_index("by_dot", distance="DOT_PRODUCT"),
                                     vector_index("by_euclid", distance="EUCLIDEAN")])
    put_vectors(ddb, name, {"small": (0.5, 0, 0), "big": (2, 0.01, 0), "close": (1, 0.3, 0)})
    nearest = {index: keys(ddb.search_vectors(TableName=name, IndexName=index, SearchVector=numbers(1, 0, 0), TopK=1))
               for index in ("by_cosine", "by_dot", "by_euclid")}
    assert nearest == {"by_cosine": ["small"], "by_dot": ["big"], "by_euclid": ["close"]}


def test_huge_dot_products_are_answered_as_numbers(ddb, make_table):
    name = make_table(VectorIndexes=[vector_index(distance="DOT_PRODUCT")])
    put_vectors(ddb, name, {"high": (1e38, 0, 0), "mid": (0, 0, 0), "low": (-1e38, 0, 0)})
    answer = ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(1e38, 0, 0), TopK=3)
    assert keys(answer) == ["high", "mid", "low"]
    scores = [r["Score"] for r in answer["SearchResults"]]
    assert scores[0] > 1e38 and scores[1] == 0 and scores[2] < -1e38


def test_projection_of_results(ddb, make_table):
    name = make_table(VectorIndexes=[vector_index("every", projection="ALL"), vector_index("keys", projection="KEYS_ONLY"),
                                     vector_index("some", projection="INCLUDE", non_key=["x"])])
    precise = "3.1415926535897932384626433832795028841"
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"L": [{"N": "1"}, {"N": precise}, {"N": "3"}]},
                                       "x": {"S": "hello"}, "y": {"S": "world"}})
    search = {"TableName": name, "SearchVector": numbers(1, 0, 0), "TopK": 1}
    # By default the vector attribute is left out, even where everything is projected.
    assert ddb.search_vectors(IndexName="every", **search)["SearchResults"][0]["Item"] == {
        "pk": {"S": "a"}, "x": {"S": "hello"}, "y": {"S": "world"}}
    assert ddb.search_vectors(IndexName="keys", **search)["SearchResults"][0]["Item"] == {"pk": {"S": "a"}}
    assert ddb.search_vectors(IndexName="some", **search)["SearchResults"][0]["Item"] == {"pk": {"S": "a"}, "x": {"S": "hello"}}
    # Asked for, the vector comes back as the index holds it: in float32 precision.
    for index in ("every", "keys", "some"):
        item = ddb.search_vectors(IndexName=index, ProjectionExpression="pk, v", **search)["SearchResults"][0]["Item"]
        assert item == {"pk": {"S": "a"}, "v": {"L": [{"N": "1"}, {"N": "3.1415927"}, {"N": "3"}]}}
    # An attribute the index does not project is left out, not refused.
    assert ddb.search_vectors(IndexName="keys", ProjectionExpression="x", **search)["SearchResults"][0]["Item"] == {}
    assert ddb.search_vectors(IndexName="some", ProjectionExpression="#y", ExpressionAttributeNames={"#y": "y"},
                              **search)["SearchResults"][0]["Item"] == {}
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["v"]["L"][1]["N"] == precise


@pytest.fixture
def scoped_table(make_table):
    return make_table(VectorIndexes=[vector_index(schema=[("x", "HASH"), ("y", "INLINE_FILTER"), ("z", "INLINE_FILTER")])],
                      ExtraDefinitions=definitions(x="S", y="N", z="B"))


def test_search_schema_partitions_and_filters(ddb, scoped_table):
    s, n, b = (lambda t: {"S": t}), (lambda t: {"N": t}), (lambda t: {"B": t})
    put_vectors(ddb, scoped_table, {"a": (1, 0, 0), "b": (1, 0, 0), "c": (1, 0, 0), "d": (1, 0, 0), "no_hash": (1, 0, 0),
                                    "no_filter": (1, 0, 0)},
                a={"x": s("one"), "y": n("1"), "z": b(b"z1")}, b={"x": s("one"), "y": n("1"), "z": b(b"z2")},
                c={"x": s("one"), "y": n("2"), "z": b(b"z1")}, d={"x": s("two"), "y": n("1"), "z": b(b"z1")},
                no_hash={"y": n("1")}, no_filter={"x": s("one")})

    def search(expression: str, **values: dict) -> list[str]:
        answer = ddb.search_vectors(TableName=scoped_table, IndexName="vind", SearchVector=numbers(1, 0, 0), TopK=10,
                                    SearchConditionExpression=expression,
                                    ExpressionAttributeValues={f":{k}": v for k, v in values.items()})
        return sorted(keys(answer))

    assert search("x = :x", x=s("one")) == ["a", "b", "c", "no_filter"]  # no_hash is in no partition
    assert search("x = :x", x=s("two")) == ["d"]
    assert search("x = :x", x=s("three")) == []
    assert search("x = :x AND y = :y", x=s("one"), y=n("1.0")) == ["a", "b"]
    assert search("z = :z AND x = :x AND y = :y", x=s("one"), y=n("1"), z=b(b"z1")) == ["a"]
    assert search(":x = x", x=s("two")) == ["d"]
    assert search("x = :x AND x = :other", x=s("one"), other=s("two")) == []
    assert search("x = :x", x=n("1")) == []  # of another type than the attribute's: nothing


def test_moving_an_item_between_partitions_and_out(ddb, scoped_table):
    ddb.put_item(TableName=scoped_table, Item={"pk": {"S": "a"}, "v": vec(1, 0, 0), "x": {"S": "old"}, "y": {"N": "1"}})

    def found(x: str, y: str | None = None) -> bool:
        expression, values = "x = :x", {":x": {"S": x}}
        if y is not None:
            expression, values = expression + " AND y = :y", {**values, ":y": {"N": y}}
        answer = ddb.search_vectors(TableName=scoped_table, IndexName="vind", SearchVector=numbers(1, 0, 0), TopK=1,
                                    SearchConditionExpression=expression, ExpressionAttributeValues=values)
        return keys(answer) == ["a"]

    assert found("old", "1")
    ddb.update_item(TableName=scoped_table, Key={"pk": {"S": "a"}}, UpdateExpression="SET x = :x",
                    ExpressionAttributeValues={":x": {"S": "new"}})
    assert not found("old") and found("new", "1")
    ddb.update_item(TableName=scoped_table, Key={"pk": {"S": "a"}}, UpdateExpression="SET y = :y",
                    ExpressionAttributeValues={":y": {"N": "2"}})
    assert not found("new", "1") and found("new", "2")
    ddb.update_item(TableName=scoped_table, Key={"pk": {"S": "a"}}, UpdateExpression="REMOVE y")
    assert not found("new", "2") and found("new")
    ddb.update_item(TableName=scoped_table, Key={"pk": {"S": "a"}}, UpdateExpression="REMOVE x")
    assert not found("new")


def test_every_write_keeps_the_index_in_step(ddb, make_table):
    name = make_table("S", "S", VectorIndexes=[vector_index(projection="KEYS_ONLY")])
    item = lambda key, *values: {"pk": {"S": key}, "sk": {"S": "1"}, "v": vec(*values)}  # noqa: E731
    search = {"TableName": name, "IndexName": "vind", "SearchVector": numbers(1, 0, 0), "TopK": 10}
    ddb.put_item(TableName=name, Item=item("put", 1, 0, 0))
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": item("batch", 0.9, 0.1, 0)}}]})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": item("txn", 0.8, 0.2, 0)}}])
    ddb.execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'partiql', 'sk': '1', 'v': [0.7, 0.3, 0]}}")
    assert keys(ddb.search_vectors(**search)) == ["put", "batch", "txn", "partiql"]
    assert ddb.search_vectors(**search)["SearchResults"][0]["Item"] == {"pk": {"S": "put"}, "sk": {"S": "1"}}
    ddb.put_item(TableName=name, Item=item("put", -1, 0, 0))  # replaced: now the farthest
    ddb.update_item(TableName=name, Key={"pk": {"S": "batch"}, "sk": {"S": "1"}}, UpdateExpression="REMOVE v")
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": name, "Key": {"pk": {"S": "txn"}, "sk": {"S": "1"}}}}])
    ddb.delete_item(TableName=name, Key={"pk": {"S": "partiql"}, "sk": {"S": "1"}})
    assert keys(ddb.search_vectors(**search)) == ["put"]
    ddb.batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": {"pk": {"S": "put"}, "sk": {"S": "1"}}}}]})
    assert keys(ddb.search_vectors(**search)) == []
    assert ddb.describe_table(TableName=name)["Table"]["VectorIndexes"][0]["ItemCount"] == 0


def test_table_arn_names_the_table(ddb, make_table):
    name = make_table(VectorIndexes=[vector_index()])
    put_vectors(ddb, name, {"a": (1, 0, 0)})
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    assert keys(ddb.search_vectors(TableName=arn, IndexName="vind", SearchVector=numbers(1, 0, 0), TopK=1)) == ["a"]


# -- refusals

@pytest.fixture
def refusing_table(make_table):
    """The parity suite's fixture: 'plain' without a search schema, 'schema' with tenant (HASH)
    and category (INLINE_FILTER)."""
    return make_table(VectorIndexes=[vector_index("plain", attribute="embedding"),
                                     vector_index("schema", attribute="embedding",
                                                  schema=[("tenant", "HASH"), ("category", "INLINE_FILTER")])],
                      ExtraDefinitions=definitions(tenant="S", category="S"))


def _refusal(client, table: str, **params) -> tuple:
    request = {"TableName": table, "IndexName": "plain", "SearchVector": numbers(1, 0, 0), "TopK": 1, **params}
    return refused(client.search_vectors, **request)


def test_refusals_as_recorded(ddb, raw, refusing_table):
    comparator = "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"
    cases = [
        ({"TopK": 101}, "Provided TopK value '101' is out of valid range. The value must be between 1 and 100 inclusive"),
        ({"IndexName": "schema"}, "SearchConditionExpression must be provided when SearchSchema has a HASH key"),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant < :t",
          "ExpressionAttributeValues": {":t": {"S": "t9"}}}, comparator),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant = :t AND category < :c",
          "ExpressionAttributeValues": {":t": {"S": "t1"}, ":c": {"S": "c9"}}}, comparator),
        ({"SearchVector": numbers(1, 0)}, "Input search vector dimension 2 does not match vector index dimension 3"),
        ({"SearchConditionExpression": "tenant = :t", "ExpressionAttributeValues": {":t": {"S": "t1"}}},
         "SearchConditionExpression must not contain any attributes that is not in SearchSchema. Invalid attribute: tenant"),
        ({"SearchVector": [{"L": numbers(1, 0, 0)}]},
         "Search vector contains invalid values. All values in the search vector must be a 32-bit floating-point number attribute"),
        ({"SearchVector": [{"N": "1E+39"}, {"N": "0"}, {"N": "0"}]},
         "Search vector contains invalid values. All values in the search vector must be a 32-bit floating-point number attribute"),
    ]
    for params, message in cases:
        assert _refusal(raw, refusing_table, **params) == ("ValidationException", message, 400), params


def test_other_refusals(ddb, raw, refusing_table):
    invalid_vector = ("Search vector contains invalid values. All values in the search vector must be a 32-bit "
                      "floating-point number attribute")
    cases = [
        ({"IndexName": "nope"}, "ValidationException", "The table does not have the specified index: nope"),
        ({"TableName": "no-such-table"}, "ResourceNotFoundException", "Requested resource not found"),
        ({"TopK": 0}, "ValidationException",
         "1 validation error detected: Value '0' at 'topK' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        ({"SearchVector": [{"N": "1"}, {"S": "b"}, {"N": "3"}]}, "ValidationException", invalid_vector),
        ({"SearchVector": [{"N": "1"}, {"N": "dog"}, {"N": "3"}]}, "ValidationException", invalid_vector),
        ({"IndexName": "schema", "SearchConditionExpression": "category = :c", "ExpressionAttributeValues": {":c": {"S": "c"}}},
         "ValidationException", "SearchConditionExpression must contain an equality condition on the HASH key of SearchSchema: tenant"),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant = :t OR category = :c",
          "ExpressionAttributeValues": {":t": {"S": "t"}, ":c": {"S": "c"}}},
         "ValidationException", "Invalid SearchConditionExpression: Invalid operator used in SearchConditionExpression"),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant = :t AND begins_with(category, :c)",
          "ExpressionAttributeValues": {":t": {"S": "t"}, ":c": {"S": "c"}}},
         "ValidationException", "Invalid SearchConditionExpression: Invalid function used in SearchConditionExpression"),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant = :t AND category IN (:c)",
          "ExpressionAttributeValues": {":t": {"S": "t"}, ":c": {"S": "c"}}},
         "ValidationException", "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant.a = :t", "ExpressionAttributeValues": {":t": {"S": "t"}}},
         "ValidationException",
         "Invalid SearchConditionExpression: Only top-level attributes from the SearchSchema can be used in SearchConditionExpression"),
        ({"ExpressionAttributeValues": {":v": {"S": "a"}}}, "ValidationException",
         "ExpressionAttributeValues can only be specified when using expressions: SearchConditionExpression are null"),
        ({"ExpressionAttributeNames": {"#n": "x"}}, "ValidationException",
         "ExpressionAttributeNames can only be specified when using expressions"),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant = :t",
          "ExpressionAttributeValues": {":t": {"S": "t"}, ":unused": {"S": "u"}}}, "ValidationException",
         "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"),
        ({"ProjectionExpression": "#a", "ExpressionAttributeNames": {"#a": "pk", "#b": "x"}}, "ValidationException",
         "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"),
        ({"IndexName": "schema", "SearchConditionExpression": "tenant = "}, "ValidationException",
         'Invalid SearchConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
    ]
    for params, code, message in cases:
        assert _refusal(raw, refusing_table, **params) == (code, message, 400), params


# -- capacity

@pytest.fixture
def capacity_table(make_table):
    """The parity suite's fixture: two indexes on one attribute that differ in projection, one of
    six dimensions under a name as long, one under a longer name."""
    return make_table(VectorIndexes=[vector_index("vix", attribute="embedding"),
                                     vector_index("vkeys", attribute="embedding", projection="KEYS_ONLY"),
                                     vector_index("vdims", attribute="sixdimvec", dimensions=6),
                                     vector_index("vname", attribute="embeddingWithALongerName")])


def _vector_bytes(ddb, table: str, item: dict) -> dict:
    answer = ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    return {name: body["VectorWriteRequestBytes"] for name, body in answer.get("VectorIndexes", {}).items()}


def test_search_capacity_shape(ddb, capacity_table):
    ddb.put_item(TableName=capacity_table, Item={"pk": {"S": "seed"}, "embedding": vec(1, 0, 0)})
    search = {"TableName": capacity_table, "IndexName": "vix", "SearchVector": numbers(1, 0, 0), "TopK": 1}
    total = ddb.search_vectors(ReturnConsumedCapacity="TOTAL", **search)["ConsumedCapacity"]
    assert set(total) == {"VectorSearchRequestBytes"} and total["VectorSearchRequestBytes"] > 0
    assert ddb.search_vectors(ReturnConsumedCapacity="INDEXES", **search)["ConsumedCapacity"] == total
    assert "ConsumedCapacity" not in ddb.search_vectors(ReturnConsumedCapacity="NONE", **search)


def test_write_capacity_reports_vector_bytes(ddb, capacity_table):
    fresh = ddb.put_item(TableName=capacity_table, Item={"pk": {"S": "fresh"}, "embedding": vec(0, 1, 0)},
                         ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert fresh["CapacityUnits"] == 1 and fresh["Table"]["CapacityUnits"] == 1
    assert fresh["VectorIndexes"] == {"vix": {"VectorWriteRequestBytes": 1024}, "vkeys": {"VectorWriteRequestBytes": 1024}}
    total = ddb.put_item(TableName=capacity_table, Item={"pk": {"S": "total"}, "embedding": vec(0, 0, 1)},
                         ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert total["CapacityUnits"] == 1 and "VectorIndexes" not in total and "Table" not in total
    assert _vector_bytes(ddb, capacity_table, {"pk": {"S": "plain"}, "label": {"S": "x"}}) == {}
    same = {"pk": {"S": "same"}, "embedding": vec(0.5, 0.5, 0)}
    assert set(_vector_bytes(ddb, capacity_table, same)) == {"vix", "vkeys"}
    assert _vector_bytes(ddb, capacity_table, same) == {}  # an identical overwrite changes no entry
    # A change to a projected attribute charges the index projecting it, not the other.
    embedded = {"pk": {"S": "projection"}, "embedding": vec(0.25, 0.5, 0.75)}
    _vector_bytes(ddb, capacity_table, {**embedded, "note": {"S": "before"}})
    assert set(_vector_bytes(ddb, capacity_table, {**embedded, "note": {"S": "after!"}})) == {"vix"}


def test_write_bytes_formula(ddb, capacity_table):
    blob = {"blob": {"S": "x" * 1500}}

    def entry(key: str, attribute: str, values: tuple, **extra: dict) -> dict:
        return {"pk": {"S": key}, attribute: vec(*values), **blob, **extra}

    three = _vector_bytes(ddb, capacity_table, entry("3a", "embedding", (1, 0, 0)))
    assert three["vix"] > 1024 and three["vkeys"] == 1024  # the floor binds each entry
    # pk + key + blob + its value + the vector's name + 4 bytes a dimension
    assert three["vix"] == 2 + 2 + 4 + 1500 + len("embedding") + 12
    six = _vector_bytes(ddb, capacity_table, entry("6b", "sixdimvec", (1, 0, 0, 0, 1, 0)))
    assert six["vdims"] - three["vix"] == 12
    named = _vector_bytes(ddb, capacity_table, entry("nc", "embeddingWithALongerName", (1, 0, 0)))
    assert named["vname"] - three["vix"] == len("embeddingWithALongerName") - len("embedding")
    noted = _vector_bytes(ddb, capacity_table, entry("td", "embedding", (1, 0, 0), note={"S": "n"}))
    assert noted["vix"] - three["vix"] == len("note") + 1


def test_a_vector_is_billed_at_four_bytes_a_dimension(ddb, capacity_table):
    wide = "12345678901234567890123456789012345678"  # 20 bytes as a number, 4 as a billed dimension

    def units(size: int, key: str) -> float:
        fixed = len("pk") + len(key) + len("embedding") + 4 * 3 + len("pad")
        item = {"pk": {"S": key}, "embedding": {"L": [{"N": wide}] * 3}, "pad": {"S": "p" * (size - fixed)}}
        return ddb.put_item(TableName=capacity_table, Item=item, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"]

    assert units(1024, "a3") == 1
    assert units(1025, "b3") == 2


# -- durability and background deletes

def test_vectors_survive_restart_and_kill9(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client, "durable-vec", VectorIndexes=[vector_index(distance="EUCLIDEAN")])
    put_vectors(client, name, {f"k{i}": (i, 0, 0) for i in range(20)})
    client.update_table(TableName=name, VectorIndexUpdates=[{"Create": vector_index("later", attribute="w", dimensions=2)}])
    client.put_item(TableName=name, Item={"pk": {"S": "w"}, "w": vec(0, 1)})
    search = {"TableName": name, "IndexName": "vind", "SearchVector": numbers(7.2, 0, 0), "TopK": 3}
    expected = keys(client.search_vectors(**search))
    assert expected == ["k7", "k8", "k6"]
    fresh_server.restart()
    client = make_client("dynamodb", fresh_server.endpoint_url)
    assert keys(client.search_vectors(**search)) == expected
    client.put_item(TableName=name, Item={"pk": {"S": "new"}, "v": vec(7.25, 0, 0)})
    fresh_server.kill9()
    fresh_server.start()
    client = make_client("dynamodb", fresh_server.endpoint_url)
    assert keys(client.search_vectors(**search)) == ["new", "k7", "k8"]
    assert keys(client.search_vectors(TableName=name, IndexName="later", SearchVector=numbers(0, 1), TopK=1)) == ["w"]
    indexes = {i["IndexName"]: i for i in client.describe_table(TableName=name)["Table"]["VectorIndexes"]}
    assert indexes["vind"]["ItemCount"] == 21 and indexes["later"]["Dimensions"] == 2


def test_ttl_deletes_leave_the_index(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client, "ttl-vec", VectorIndexes=[vector_index()])
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    now = int(time.time())
    client.put_item(TableName=name, Item={"pk": {"S": "soon"}, "v": vec(1, 0, 0), "expires": {"N": str(now + 3600)}})
    client.put_item(TableName=name, Item={"pk": {"S": "stays"}, "v": vec(0, 1, 0)})
    search = {"TableName": name, "IndexName": "vind", "SearchVector": numbers(1, 0, 0), "TopK": 5}
    assert keys(client.search_vectors(**search)) == ["soon", "stays"]
    move_clock(fresh_server.endpoint_url, {"advance": 7200})
    for _ in range(100):
        if keys(client.search_vectors(**search)) == ["stays"]:
            break
        time.sleep(0.05)
    assert keys(client.search_vectors(**search)) == ["stays"]


def test_deleting_the_table_drops_its_vectors(ddb):
    name = unique_name("vec")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=definitions(pk="S"), VectorIndexes=[vector_index()])
    put_vectors(ddb, name, {"old": (1, 0, 0)})
    ddb.delete_table(TableName=name)
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=definitions(pk="S"), VectorIndexes=[vector_index()])
    try:
        assert keys(ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(1, 0, 0), TopK=5)) == []
    finally:
        ddb.delete_table(TableName=name)


def test_restored_tables_keep_their_vector_indexes(ddb, make_table):
    name = make_table(VectorIndexes=[vector_index(), vector_index("other", attribute="w", dimensions=2)])
    put_vectors(ddb, name, {"a": (1, 0, 0), "b": (0, 1, 0)})
    backup = ddb.create_backup(TableName=name, BackupName="vectors")["BackupDetails"]["BackupArn"]
    restored, trimmed = unique_name("restored"), unique_name("trimmed")
    try:
        ddb.restore_table_from_backup(TargetTableName=restored, BackupArn=backup)
        indexes = ddb.describe_table(TableName=restored)["Table"]["VectorIndexes"]
        assert {i["IndexName"]: i["IndexArn"].split(":table/")[1] for i in indexes} == {
            "vind": f"{restored}/index/vind", "other": f"{restored}/index/other"}
        answer = ddb.search_vectors(TableName=restored, IndexName="vind", SearchVector=numbers(0, 1, 0), TopK=2)
        assert keys(answer) == ["b", "a"]
        ddb.restore_table_from_backup(TargetTableName=trimmed, BackupArn=backup,
                                      VectorIndexOverride=[vector_index("other", attribute="w", dimensions=2)])
        assert [i["IndexName"] for i in ddb.describe_table(TableName=trimmed)["Table"]["VectorIndexes"]] == ["other"]
        assert refused(ddb.restore_table_from_backup, TargetTableName=unique_name("bad"), BackupArn=backup,
                       VectorIndexOverride=[vector_index("other", attribute="w", dimensions=3)]) == (
            "ValidationException",
            "One or more parameter values were invalid: VectorIndexOverride does not match a vector index of the source table: other",
            400)
    finally:
        for table in (restored, trimmed):
            try:
                ddb.delete_table(TableName=table)
            except ddb.exceptions.ResourceNotFoundException:
                pass


def test_a_partition_larger_than_a_page_is_searched_whole(ddb, make_table):
    """Rows are read a page (512) at a time with only the TopK kept: the answer is the brute
    force one over every row, across page boundaries."""
    import math
    import random
    name = make_table(VectorIndexes=[vector_index(dimensions=2, distance="EUCLIDEAN", projection="KEYS_ONLY")])
    rng = random.Random(11)
    vectors = {f"k{i:04}": (round(rng.uniform(-5, 5), 3), round(rng.uniform(-5, 5), 3)) for i in range(1100)}
    with ddb_batch(ddb, name) as put:
        for key, (x, y) in vectors.items():
            put({"pk": {"S": key}, "v": vec(x, y)})
    answer = ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(0.5, -0.25), TopK=25)
    expected = sorted(vectors, key=lambda k: (math.dist(vectors[k], (0.5, -0.25)), k))[:25]
    assert keys(answer) == expected


class ddb_batch:
    """BatchWriteItem in chunks of 25, as a context manager handing out a put function."""

    def __init__(self, ddb, table: str) -> None:
        self.ddb, self.table, self.pending = ddb, table, []

    def __enter__(self):
        return self.pending.append

    def __exit__(self, *exc) -> None:
        for start in range(0, len(self.pending), 25):
            chunk = [{"PutRequest": {"Item": item}} for item in self.pending[start:start + 25]]
            self.ddb.batch_write_item(RequestItems={self.table: chunk})


def test_float32_extremes_and_cosine_bounds(ddb, make_table):
    """A number that rounds to float32's largest is a vector element (and is answered as
    3.4028235E38, which is then accepted back); one past it is not. COSINE scores stay within
    0..2 though float rounding would take identical vectors just below 0."""
    name = make_table(VectorIndexes=[vector_index(projection="KEYS_ONLY")])
    ddb.put_item(TableName=name, Item={"pk": {"S": "max"}, "v": vec("3.4028234663852886E+38", 1, 1)})
    found = ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(1, 1, 1), TopK=1,
                               ProjectionExpression="pk, v")["SearchResults"][0]["Item"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "again"}, "v": found["v"]})
    ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=found["v"]["L"], TopK=1)
    code, message, status = refused(ddb.put_item, TableName=name, Item={"pk": {"S": "over"}, "v": vec("3.5E+38", 1, 1)})
    assert (code, status) == ("ValidationException", 400) and "32-bit floating-point" in message
    ddb.put_item(TableName=name, Item={"pk": {"S": "odd"}, "v": vec(0.1, 0.7, 0.3)})
    score = ddb.search_vectors(TableName=name, IndexName="vind", SearchVector=numbers(0.1, 0.7, 0.3), TopK=1)
    assert score["SearchResults"][0]["Score"] >= 0.0
