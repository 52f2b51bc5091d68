"""Property test: Query and Scan, with filters and paging, against a plain in-memory model."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overcast.services.dynamodb import query as query_module
from overcast.services.dynamodb.types import normalize_number
from tests.unit.dynamodb.conftest import make_engine

_names = itertools.count()

sort_values = st.one_of(
    st.integers(min_value=-1000, max_value=1000).map(str),
    st.decimals(min_value=-100, max_value=100, places=3, allow_nan=False).map(lambda d: str(d.normalize())),
)
items_strategy = st.lists(
    st.fixed_dictionaries(
        {"pk": st.sampled_from(["a", "b", "c"]), "sk": sort_values},
        optional={"v": st.integers(min_value=0, max_value=9), "s": st.sampled_from(["x", "xy", "y", "yx"])},
    ),
    max_size=40,
)
sort_conditions = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["=", "<", "<=", ">", ">="]), sort_values),
    st.tuples(st.just("BETWEEN"), sort_values, sort_values),
)
filters = st.sampled_from([
    None,
    ("v > :f", {":f": {"N": "4"}}),
    ("attribute_exists(s) AND NOT v = :f", {":f": {"N": "2"}}),
    ("begins_with(s, :f) OR v IN (:f1, :f2)", {":f": {"S": "x"}, ":f1": {"N": "1"}, ":f2": {"N": "3"}}),
    ("size(s) >= :f", {":f": {"N": "2"}}),
])


def _matches_filter(item: dict, name: str | None) -> bool:
    v, s = item.get("v"), item.get("s")
    if name is None:
        return True
    if name.startswith("v > "):
        return v is not None and v > 4
    if name.startswith("attribute_exists"):
        return s is not None and v != 2
    if name.startswith("begins_with"):
        return (s is not None and s.startswith("x")) or v in (1, 3)
    return s is not None and len(s) >= 2


def _matches_sort(sk: Decimal, cond) -> bool:
    if cond is None:
        return True
    if cond[0] == "BETWEEN":
        return Decimal(cond[1]) <= sk <= Decimal(cond[2])
    other = Decimal(cond[1])
    return {"=": sk == other, "<": sk < other, "<=": sk <= other, ">": sk > other, ">=": sk >= other}[cond[0]]


def _wire(item: dict) -> dict:
    out = {"pk": {"S": item["pk"]}, "sk": {"N": normalize_number(item["sk"])}}
    if "v" in item:
        out["v"] = {"N": str(item["v"])}
    if "s" in item:
        out["s"] = {"S": item["s"]}
    return out


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory):
    # Tiny internal batches so that paging inside one page is exercised as well.
    saved, query_module._BATCH = query_module._BATCH, 3
    engine, close = make_engine(tmp_path_factory.mktemp("model"))
    yield engine
    close()
    query_module._BATCH = saved


def _load(engine, items: list[dict]) -> tuple[str, dict]:
    name = f"model{next(_names)}"
    engine("create_table", TableName=name, BillingMode="PAY_PER_REQUEST",
           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                                 {"AttributeName": "s", "AttributeType": "S"}, {"AttributeName": "v", "AttributeType": "N"}],
           GlobalSecondaryIndexes=[{"IndexName": "by-s", "Projection": {"ProjectionType": "ALL"},
                                    "KeySchema": [{"AttributeName": "s", "KeyType": "HASH"}, {"AttributeName": "v", "KeyType": "RANGE"}]}])
    model: dict = {}
    for item in items:
        engine("put_item", TableName=name, Item=_wire(item))
        model[(item["pk"], Decimal(item["sk"]))] = item
    return name, model


def _all_pages(engine, operation: str, params: dict, limit: int | None) -> list[dict]:
    """Every page of a query or scan, following LastEvaluatedKey; each page's counts must add up."""
    pages: list[dict] = []
    start = None
    for _ in range(200):
        if start:
            params["ExclusiveStartKey"] = start
        page = engine(operation, **params)
        assert limit is None or page["ScannedCount"] <= limit
        assert page["Count"] == len(page["Items"])
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages
    raise AssertionError(f"{operation} was still paginating after 200 pages")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=items_strategy, pk=st.sampled_from(["a", "b", "c"]), sort=sort_conditions, flt=filters,
       forward=st.booleans(), limit=st.one_of(st.none(), st.integers(min_value=1, max_value=7)))
def test_query_pages_match_model(shared_engine, items, pk, sort, flt, forward, limit):
    if sort and sort[0] == "BETWEEN" and Decimal(sort[1]) > Decimal(sort[2]):
        sort = ("BETWEEN", sort[2], sort[1])
    name, model = _load(shared_engine, items)
    expression = "pk = :pk"
    values = {":pk": {"S": pk}}
    if sort:
        if sort[0] == "BETWEEN":
            expression += " AND sk BETWEEN :lo AND :hi"
            values.update({":lo": {"N": sort[1]}, ":hi": {"N": sort[2]}})
        else:
            expression += f" AND sk {sort[0]} :sv"
            values[":sv"] = {"N": sort[1]}
    params = {"TableName": name, "KeyConditionExpression": expression, "ScanIndexForward": forward}
    if flt:
        params["FilterExpression"] = flt[0]
        values.update(flt[1])
    params["ExpressionAttributeValues"] = values
    if limit:
        params["Limit"] = limit
    pages = _all_pages(shared_engine, "query", params, limit)
    got = [item for page in pages for item in page["Items"]]
    scanned_total = sum(page["ScannedCount"] for page in pages)
    in_range = sorted((k[1] for k in model if k[0] == pk and _matches_sort(k[1], sort)), reverse=not forward)
    expected = [_wire(model[(pk, sk)]) for sk in in_range if _matches_filter(model[(pk, sk)], flt and flt[0])]
    assert [(i["sk"]["N"]) for i in got] == [(i["sk"]["N"]) for i in expected]
    assert got == expected
    assert scanned_total == len(in_range)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=items_strategy, flt=filters, limit=st.one_of(st.none(), st.integers(min_value=1, max_value=9)),
       segments=st.integers(min_value=1, max_value=4))
def test_scan_pages_match_model(shared_engine, items, flt, limit, segments):
    name, model = _load(shared_engine, items)
    got = []
    for segment in range(segments):
        params: dict = {"TableName": name, "Segment": segment, "TotalSegments": segments}
        if flt:
            params["FilterExpression"] = flt[0]
            params["ExpressionAttributeValues"] = flt[1]
        if limit:
            params["Limit"] = limit
        got += [item for page in _all_pages(shared_engine, "scan", params, limit) for item in page["Items"]]
    expected = [_wire(i) for i in model.values() if _matches_filter(i, flt and flt[0])]
    key = lambda i: (i["pk"]["S"], Decimal(i["sk"]["N"]))  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=items_strategy, s=st.sampled_from(["x", "xy", "y"]), forward=st.booleans(),
       limit=st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_index_query_pages_match_model(shared_engine, items, s, forward, limit):
    name, model = _load(shared_engine, items)
    params = {"TableName": name, "IndexName": "by-s", "KeyConditionExpression": "s = :s",
              "ExpressionAttributeValues": {":s": {"S": s}}, "ScanIndexForward": forward}
    if limit:
        params["Limit"] = limit
    got = [item for page in _all_pages(shared_engine, "query", params, limit) for item in page["Items"]]
    expected = [_wire(i) for i in model.values() if i.get("s") == s and "v" in i]
    order = [int(i["v"]["N"]) for i in got]
    assert order == sorted(order, reverse=not forward)
    key = lambda i: (i["pk"]["S"], Decimal(i["sk"]["N"]))  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
