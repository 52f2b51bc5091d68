"""The PartiQL subset: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of


@pytest.fixture
def table(make_table):
    return make_table("S", "N")



def _all_sort_keys(ddb, statement: str, limit: int | None = None) -> list[str]:
    """The numeric sort keys a statement returns, following NextToken to the end."""
    seen, token = [], None
    while True:
        kwargs = {"Statement": statement, **({"Limit": limit} if limit else {})}
        if token:
            kwargs["NextToken"] = token
        page = ddb.execute_statement(**kwargs)
        seen += [i["sk"]["N"] for i in page["Items"]]
        token = page.get("NextToken")
        if not token:
            return seen

def test_insert_select_update_delete(ddb, table):
    ddb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'sk': 1, 'tags': <<'x', 'y'>>, 'm': {{'k': [1, 'two']}}}}")
    ddb.execute_statement(Statement=f'INSERT INTO "{table}" VALUE {{\'pk\': ?, \'sk\': ?, \'n\': ?}}',
                          Parameters=[{"S": "a"}, {"N": "2"}, {"N": "10"}])
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'sk': 1}}")
    assert error_of(excinfo) == ("DuplicateItemException", "Duplicate primary key exists in table", 400)
    items = ddb.execute_statement(Statement=f'SELECT * FROM "{table}" WHERE pk = ?', Parameters=[{"S": "a"}])["Items"]
    assert [i["sk"]["N"] for i in items] == ["1", "2"]
    assert items[0]["m"] == {"M": {"k": {"L": [{"N": "1"}, {"S": "two"}]}}}
    projected = ddb.execute_statement(Statement=f'SELECT n FROM "{table}" WHERE pk = \'a\' AND n > 5')["Items"]
    assert projected == [{"n": {"N": "10"}}]
    updated = ddb.execute_statement(Statement=f'UPDATE "{table}" SET n = n + 1 REMOVE tags WHERE pk = \'a\' AND sk = 2 RETURNING ALL NEW *')
    assert updated["Items"][0]["n"] == {"N": "11"}
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET n = 1 WHERE pk = 'zz' AND sk = 1")
    assert error_of(excinfo)[0] == "ConditionalCheckFailedException"
    ddb.execute_statement(Statement=f"DELETE FROM \"{table}\" WHERE pk = 'a' AND sk = 1")
    assert [i["sk"]["N"] for i in ddb.execute_statement(Statement=f'SELECT * FROM "{table}"')["Items"]] == ["2"]


def test_select_pages_with_limit(ddb, table):
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    assert _all_sort_keys(ddb, f'SELECT * FROM "{table}" WHERE pk = \'p\'', 2) == ["0", "1", "2", "3", "4"]


def test_statement_errors(ddb, table):
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET n = 1 WHERE pk = 'a'")
    assert error_of(excinfo) == ("ValidationException", "Where clause does not contain a mandatory equality on all key attributes", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement="SELECT * FROM \"no-such-table\"")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement="SELEKT nothing")
    assert error_of(excinfo)[0] == "ValidationException"


def test_batch_execute_and_transaction(ddb, table):
    result = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 1}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 1}}"},
    ])["Responses"]
    assert "Error" not in result[0]
    assert result[1]["Error"]["Code"] == "DuplicateItem"
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 2}}"},
        {"Statement": f"UPDATE \"{table}\" SET v = 'x' WHERE pk = 'b' AND sk = 1"},
    ])
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 3}}"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 2}}"},
        ])
    assert error_of(excinfo)[0] == "TransactionCanceledException"
    assert [r["Code"] for r in excinfo.value.response["CancellationReasons"]] == ["None", "DuplicateItem"]
    reads = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'b' AND sk = 1"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'b' AND sk = 3"},
    ])["Responses"]
    assert reads[0]["Item"]["v"] == {"S": "x"}
    assert reads[1] == {}


def test_select_order_by_sort_key(ddb, table):
    for i in (3, 1, 4, 0, 2):
        ddb.put_item(TableName=table, Item={"pk": {"S": "ord"}, "sk": {"N": str(i)}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "other"}, "sk": {"N": "9"}})
    select = f'SELECT sk FROM "{table}" WHERE pk = \'ord\''

    def sort_keys(statement: str, limit: int | None = None) -> list[str]:
        return _all_sort_keys(ddb, statement, limit)

    assert sort_keys(select + " ORDER BY sk DESC") == ["4", "3", "2", "1", "0"]
    assert sort_keys(select + " ORDER BY sk DESC", limit=2) == ["4", "3", "2", "1", "0"]
    assert sort_keys(select + " ORDER BY sk ASC") == ["0", "1", "2", "3", "4"]
    assert sort_keys(select + " ORDER BY pk, sk desc") == ["4", "3", "2", "1", "0"]
    assert sort_keys(select + " ORDER BY pk") == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize("statement, message", [
    ('SELECT * FROM "{t}" ORDER BY sk', "Must have WHERE clause in the statement when using ORDER BY clause."),
    ('SELECT * FROM "{t}" WHERE pk = \'ord\' ORDER BY other DESC',
     "Attribute other in ORDER BY clause must be part of the primary key"),
    ('SELECT * FROM "{t}" WHERE pk > \'a\' ORDER BY sk',
     "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."),
])
def test_select_order_by_errors(ddb, table, statement, message):
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement=statement.format(t=table))
    assert error_of(excinfo) == ("ValidationException", message, 400)


def test_select_order_by_index_sort_key(ddb, make_table):
    indexed = make_table("S", "N", ExtraDefinitions=[{"AttributeName": "g", "AttributeType": "S"},
                                                     {"AttributeName": "rank", "AttributeType": "N"}],
                         GlobalSecondaryIndexes=[{"IndexName": "by-rank", "Projection": {"ProjectionType": "ALL"},
                                                  "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                                {"AttributeName": "rank", "KeyType": "RANGE"}]}])
    for sk, rank in ((1, 30), (2, 10), (3, 20)):
        ddb.put_item(TableName=indexed, Item={"pk": {"S": "p"}, "sk": {"N": str(sk)}, "g": {"S": "G"}, "rank": {"N": str(rank)}})
    items = ddb.execute_statement(Statement=f'SELECT rank FROM "{indexed}"."by-rank" WHERE g = \'G\' ORDER BY rank DESC')["Items"]
    assert [i["rank"]["N"] for i in items] == ["30", "20", "10"]
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement=f'SELECT * FROM "{indexed}"."by-rank" WHERE g = \'G\' ORDER BY sk')
    assert error_of(excinfo) == ("ValidationException", "Attribute sk in ORDER BY clause must be part of the primary key", 400)
