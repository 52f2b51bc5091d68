"""ConsumedCapacity with secondary indexes: what a write costs each index it changes, and what a
read through an index costs it (the Developer Guide's rules, see capacity.py)."""

from __future__ import annotations

import pytest

PAD = "x" * 1500  # an item over 1 KB: 2 write units wherever it is written whole


@pytest.fixture
def indexed_table(make_table):
    """pk/sk table with a GSI on g (ALL), a GSI on h (KEYS_ONLY) and an LSI on l (ALL)."""
    return make_table(
        "S", "S",
        ExtraDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("g", "h", "l")],
        GlobalSecondaryIndexes=[
            {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "by-h", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
        ])


def _key(sk: str = "1") -> dict:
    return {"pk": {"S": "p"}, "sk": {"S": sk}}


def test_put_into_every_index_costs_each_one_its_entry(ddb, indexed_table):
    used = ddb.put_item(TableName=indexed_table, ReturnConsumedCapacity="INDEXES", Item={
        **_key(), "g": {"S": "g1"}, "h": {"S": "h1"}, "l": {"S": "l1"}, "pad": {"S": PAD}})["ConsumedCapacity"]
    # Table 2 (1.5 KB), by-g 2 (everything projected), by-h 1 (keys only), by-l 2.
    assert used == {
        "TableName": indexed_table, "CapacityUnits": 7.0, "WriteCapacityUnits": 7.0,
        "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        "GlobalSecondaryIndexes": {"by-g": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
                                   "by-h": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}},
        "LocalSecondaryIndexes": {"by-l": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}},
    }


def test_total_is_the_sum_without_the_breakdown(ddb, indexed_table):
    used = ddb.put_item(TableName=indexed_table, ReturnConsumedCapacity="TOTAL",
                        Item={**_key(), "g": {"S": "g1"}})["ConsumedCapacity"]
    assert used == {"TableName": indexed_table, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}


def test_item_outside_every_sparse_index_costs_only_the_table(ddb, indexed_table):
    used = ddb.put_item(TableName=indexed_table, ReturnConsumedCapacity="INDEXES",
                        Item={**_key(), "other": {"S": "v"}})["ConsumedCapacity"]
    assert used == {"TableName": indexed_table, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0,
                    "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}


def test_update_of_projected_attribute_costs_the_indexes_holding_it(ddb, indexed_table):
    ddb.put_item(TableName=indexed_table, Item={**_key(), "g": {"S": "g1"}, "h": {"S": "h1"}, "n": {"N": "1"}})
    used = ddb.update_item(TableName=indexed_table, Key=_key(), UpdateExpression="SET n = :n",
                           ExpressionAttributeValues={":n": {"N": "2"}},
                           ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    # by-g projects n (one write to update the entry); by-h holds only keys (unchanged: free).
    assert used["GlobalSecondaryIndexes"] == {"by-g": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}
    assert used["CapacityUnits"] == 2.0


def test_changing_an_index_key_costs_a_delete_and_a_put(ddb, indexed_table):
    ddb.put_item(TableName=indexed_table, Item={**_key(), "h": {"S": "h1"}})
    used = ddb.update_item(TableName=indexed_table, Key=_key(), UpdateExpression="SET h = :h",
                           ExpressionAttributeValues={":h": {"S": "h2"}},
                           ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert used["GlobalSecondaryIndexes"] == {"by-h": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}}
    assert used["CapacityUnits"] == 3.0


def test_removing_an_index_key_and_deleting_the_item_cost_the_index_one_delete(ddb, indexed_table):
    ddb.put_item(TableName=indexed_table, Item={**_key(), "g": {"S": "g1"}, "h": {"S": "h1"}})
    used = ddb.update_item(TableName=indexed_table, Key=_key(), UpdateExpression="REMOVE h",
                           ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    # Leaving by-h is one delete; by-g projects everything, so h's going updates its entry.
    assert used["GlobalSecondaryIndexes"] == {"by-g": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0},
                                              "by-h": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}
    used = ddb.delete_item(TableName=indexed_table, Key=_key(), ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert used["GlobalSecondaryIndexes"] == {"by-g": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}
    assert used["Table"] == {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}


def test_rewriting_the_same_item_costs_no_index(ddb, indexed_table):
    item = {**_key(), "g": {"S": "g1"}, "h": {"S": "h1"}, "l": {"S": "l1"}}
    ddb.put_item(TableName=indexed_table, Item=item)
    used = ddb.put_item(TableName=indexed_table, Item=item, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert used == {"TableName": indexed_table, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0,
                    "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}


def test_get_item_reports_the_table_alone(ddb, indexed_table):
    ddb.put_item(TableName=indexed_table, Item={**_key(), "g": {"S": "g1"}})
    used = ddb.get_item(TableName=indexed_table, Key=_key(), ConsistentRead=True,
                        ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert used == {"TableName": indexed_table, "CapacityUnits": 1.0, "ReadCapacityUnits": 1.0,
                    "Table": {"CapacityUnits": 1.0, "ReadCapacityUnits": 1.0}}


def test_batch_write_adds_each_items_index_writes(ddb, indexed_table, make_table):
    plain = make_table()
    used = ddb.batch_write_item(ReturnConsumedCapacity="INDEXES", RequestItems={
        indexed_table: [{"PutRequest": {"Item": {**_key("1"), "g": {"S": "g"}}}},
                        {"PutRequest": {"Item": {**_key("2"), "h": {"S": "h"}, "pad": {"S": PAD}}}}],
        plain: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}],
    })["ConsumedCapacity"]
    assert used == [
        {"TableName": indexed_table, "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0,
         "Table": {"CapacityUnits": 3.0, "WriteCapacityUnits": 3.0},
         "GlobalSecondaryIndexes": {"by-g": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0},
                                    "by-h": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}},
        {"TableName": plain, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0,
         "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}},
    ]


def test_transaction_costs_two_units_a_kilobyte_of_the_larger_item(ddb, make_table):
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "pad": {"S": "x" * 3000}})
    used = ddb.transact_write_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "small"}}}},  # 1 KB at most: 2 units
        {"Put": {"TableName": table, "Item": {"pk": {"S": "big"}}}},  # replaces 3 KB: 6 units
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "absent"}}}},  # 2 units
    ])["ConsumedCapacity"]
    assert used == [{"TableName": table, "CapacityUnits": 10.0, "WriteCapacityUnits": 10.0}]
    # The same transaction without capacity asked for takes the fast path; same outcome.
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "plain"}}}}])
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "plain"}})["Item"] == {"pk": {"S": "plain"}}


def test_transaction_index_writes_are_counted_once(ddb, indexed_table):
    ddb.put_item(TableName=indexed_table, Item={**_key("c"), "n": {"N": "1"}})
    used = ddb.transact_write_items(ReturnConsumedCapacity="INDEXES", TransactItems=[
        {"Put": {"TableName": indexed_table, "Item": {**_key("1"), "g": {"S": "g"}}}},
        {"ConditionCheck": {"TableName": indexed_table, "Key": _key("c"), "ConditionExpression": "n = :n",
                            "ExpressionAttributeValues": {":n": {"N": "1"}}}},
    ])["ConsumedCapacity"]
    assert used == [{"TableName": indexed_table, "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0,
                     "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
                     "GlobalSecondaryIndexes": {"by-g": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}}]


def test_partiql_batch_counts_reads_and_index_writes_apart(ddb, indexed_table):
    ddb.put_item(TableName=indexed_table, Item={**_key("r"), "v": {"S": "x"}})
    answer = ddb.batch_execute_statement(ReturnConsumedCapacity="INDEXES", Statements=[
        {"Statement": f"INSERT INTO \"{indexed_table}\" VALUE {{'pk': 'p', 'sk': 'w', 'g': 'g1', 'h': 'h1'}}"},
        {"Statement": f"SELECT * FROM \"{indexed_table}\" WHERE pk = 'p' AND sk = 'r'"},
    ])
    assert [r.get("Error") for r in answer["Responses"]] == [None, None]
    # The insert: table 1, by-g 1, by-h 1 (writes); the read: 0.5 (eventually consistent).
    assert answer["ConsumedCapacity"] == [{
        "TableName": indexed_table, "CapacityUnits": 3.5, "ReadCapacityUnits": 0.5, "WriteCapacityUnits": 3.0,
        "Table": {"CapacityUnits": 1.5, "ReadCapacityUnits": 0.5, "WriteCapacityUnits": 1.0},
        "GlobalSecondaryIndexes": {
            "by-g": {"CapacityUnits": 1.0, "ReadCapacityUnits": 0.0, "WriteCapacityUnits": 1.0},
            "by-h": {"CapacityUnits": 1.0, "ReadCapacityUnits": 0.0, "WriteCapacityUnits": 1.0}},
    }]
