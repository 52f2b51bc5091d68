"""Batch, transaction and PartiQL behaviour checked against DynamoDB's API reference and model
(botocore's service model gives the length bounds) and dynalite's test suite, which records
DynamoDB's own validation messages."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.dynamodb.conftest import error_of, refused


@pytest.fixture(scope="module")
def raw_ddb(client_factory):
    """A client that sends what it is given: botocore's own checks would refuse the requests
    whose server-side answer is under test (empty lists, short tokens, Limit 0)."""
    return client_factory("dynamodb", parameter_validation=False)


@pytest.fixture
def table(make_table):
    return make_table("S")


@pytest.fixture
def sorted_table(make_table, ddb):
    name = make_table("S", "N")
    for position in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(position)},
                                           "v": {"N": str(position * 10)}, "w": {"S": "kept"}})
    return name


def _key(value: str) -> dict:
    return {"pk": {"S": value}}


def _refused(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


# BatchGetItem / BatchWriteItem


# Messages captured against DynamoDB by paritysuite/dynamodb-conformance (tests/tier3/
# error-messages/batchGetItem.test.ts, batchWriteItem.test.ts, transactWriteItems.test.ts,
# transactGetItems.test.ts, partiqlGrammar.test.ts).


@pytest.mark.parametrize("operation", ["batch_get_item", "batch_write_item"])
def test_empty_request_items_is_a_length_error_not_a_null_one(raw_ddb, operation):
    assert _refused(getattr(raw_ddb, operation), RequestItems={}) == (
        "ValidationException",
        "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1", 400)


@pytest.mark.parametrize("count, bound", [(101, "less than or equal to 100"), (0, "greater than or equal to 1")])
def test_batch_get_keys_of_one_table_are_bounded_by_the_model(raw_ddb, table, count, bound):
    keys = [_key(str(i)) for i in range(count)]
    assert _refused(raw_ddb.batch_get_item, RequestItems={table: {"Keys": keys}}) == (
        "ValidationException",
        f"1 validation error detected: Value at 'RequestItems.{table}.member.Keys' failed to satisfy constraint: "
        f"Member must have length {bound}", 400)


def test_batch_write_lists_of_one_table_are_bounded_by_the_model(raw_ddb, table):
    assert _refused(raw_ddb.batch_write_item, RequestItems={table: []}) == (
        "ValidationException",
        f"1 validation error detected: Value '{{{table}=[]}}' at 'requestItems' failed to satisfy constraint: "
        "Map value must satisfy constraint: "
        "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]", 400)
    puts = [{"PutRequest": {"Item": _key(str(i))}} for i in range(26)]
    assert _refused(raw_ddb.batch_write_item, RequestItems={table: puts}) == (
        "ValidationException",
        f"1 validation error detected: Value at 'RequestItems.{table}.member' failed to satisfy constraint: "
        "Member must have length less than or equal to 25", 400)


@pytest.mark.parametrize("item", [{"other": {"S": "x"}}, {"pk": {"N": "5"}}, {"pk": {"L": [{"S": "x"}]}}])
def test_batch_put_with_a_bad_key_is_a_schema_mismatch(ddb, table, item):
    assert _refused(ddb.batch_write_item, RequestItems={table: [{"PutRequest": {"Item": item}}]}) == (
        "ValidationException", "The provided key element does not match the schema", 400)


def test_batch_write_request_with_no_member_is_refused_as_dynamodb_words_it(raw_ddb, table):
    assert _refused(raw_ddb.batch_write_item, RequestItems={table: [{}]}) == (
        "ValidationException",
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes", 400)


def test_batch_write_over_25_requests_across_tables(ddb, make_table, table):
    # Each table's list is within the model's bound of 25; the call as a whole is not.
    other = make_table("S")
    requests = {name: [{"PutRequest": {"Item": _key(f"{name}-{i}")}} for i in range(13)] for name in (table, other)}
    assert _refused(ddb.batch_write_item, RequestItems=requests) == (
        "ValidationException", "Too many items requested for the BatchWriteItem call", 400)
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 0


# TransactWriteItems / TransactGetItems


@pytest.mark.parametrize("token, bound", [("t" * 37, "less than or equal to 36"), ("", "greater than or equal to 1")])
def test_client_request_token_length_is_bounded(raw_ddb, table, token, bound):
    assert _refused(raw_ddb.transact_write_items, TransactItems=[{"Put": {"TableName": table, "Item": _key("a")}}],
                    ClientRequestToken=token) == (
        "ValidationException",
        f"1 validation error detected: Value '{token}' at 'clientRequestToken' failed to satisfy constraint: "
        f"Member must have length {bound}", 400)
    assert "Item" not in raw_ddb.get_item(TableName=table, Key=_key("a"))


@pytest.mark.parametrize("operation, member", [("transact_write_items", "transactItems"),
                                               ("transact_get_items", "transactItems")])
def test_empty_transaction_names_the_empty_list(raw_ddb, operation, member):
    assert _refused(getattr(raw_ddb, operation), TransactItems=[]) == (
        "ValidationException",
        f"1 validation error detected: Value '[]' at '{member}' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1", 400)


# PartiQL


def test_returning_modified_gives_only_the_changed_attributes(ddb, sorted_table):
    new = ddb.execute_statement(
        Statement=f"UPDATE \"{sorted_table}\" SET a = 1 WHERE pk = 'p' AND sk = 1 RETURNING MODIFIED NEW *")
    assert new["Items"] == [{"a": {"N": "1"}}]
    old = ddb.execute_statement(
        Statement=f"UPDATE \"{sorted_table}\" SET a = 2 REMOVE w WHERE pk = 'p' AND sk = 1 RETURNING MODIFIED OLD *")
    assert old["Items"] == [{"a": {"N": "1"}, "w": {"S": "kept"}}]
    whole = ddb.execute_statement(
        Statement=f"UPDATE \"{sorted_table}\" SET a = 3 WHERE pk = 'p' AND sk = 1 RETURNING ALL OLD *")
    assert whole["Items"] == [{"pk": {"S": "p"}, "sk": {"N": "1"}, "v": {"N": "10"}, "a": {"N": "2"}}]


@pytest.mark.parametrize("statement", ["UPDATE \"{t}\" SET a = 1 WHERE pk = 'p' AND sk = 2 AND v = 999",
                                       "DELETE FROM \"{t}\" WHERE pk = 'p' AND sk = 2 AND v = 999"])
def test_execute_statement_returns_the_item_on_a_failed_condition(ddb, sorted_table, statement):
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement=statement.format(t=sorted_table), ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert error_of(excinfo) == ("ConditionalCheckFailedException", "The conditional request failed", 400)
    assert excinfo.value.response["Item"] == {"pk": {"S": "p"}, "sk": {"N": "2"}, "v": {"N": "20"}, "w": {"S": "kept"}}


def test_batch_and_transaction_statements_return_the_item_on_a_failed_condition(ddb, sorted_table):
    failing = {"Statement": f"DELETE FROM \"{sorted_table}\" WHERE pk = 'p' AND sk = 2 AND v = 1",
               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    item = {"pk": {"S": "p"}, "sk": {"N": "2"}, "v": {"N": "20"}, "w": {"S": "kept"}}
    error = ddb.batch_execute_statement(Statements=[failing])["Responses"][0]["Error"]
    assert error == {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed", "Item": item}
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"UPDATE \"{sorted_table}\" SET a = 1 WHERE pk = 'p' AND sk = 0"}, failing])
    assert error_of(excinfo)[0] == "TransactionCanceledException"
    assert excinfo.value.response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed", "Item": item}]


def test_select_limit_below_one_is_refused(raw_ddb, sorted_table):
    assert _refused(raw_ddb.execute_statement, Statement=f'SELECT * FROM "{sorted_table}"', Limit=0) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1", 400)


@pytest.mark.parametrize("operation, member, most", [("batch_execute_statement", "Statements", 25),
                                                     ("execute_transaction", "TransactStatements", 100)])
def test_empty_statement_lists_name_the_lower_bound(raw_ddb, operation, member, most):
    assert _refused(getattr(raw_ddb, operation), **{member: []}) == (
        "ValidationException",
        f"1 validation error detected: Value '[]' at '{member[0].lower() + member[1:]}' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1", 400)


def test_execute_transaction_bounds_its_client_request_token(raw_ddb, sorted_table):
    token = "x" * 37
    assert _refused(raw_ddb.execute_transaction, ClientRequestToken=token, TransactStatements=[
        {"Statement": f"UPDATE \"{sorted_table}\" SET a = 1 WHERE pk = 'p' AND sk = 0"}]) == (
        "ValidationException",
        f"1 validation error detected: Value '{token}' at 'clientRequestToken' failed to satisfy constraint: "
        "Member must have length less than or equal to 36", 400)


def test_partiql_reports_consumed_capacity_when_asked(ddb, sorted_table):
    select = ddb.execute_statement(Statement=f"SELECT * FROM \"{sorted_table}\" WHERE pk = 'p'",
                                   ReturnConsumedCapacity="TOTAL")
    assert select["ConsumedCapacity"] == {"TableName": sorted_table, "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}
    update = ddb.execute_statement(Statement=f"UPDATE \"{sorted_table}\" SET a = 1 WHERE pk = 'p' AND sk = 0",
                                   ReturnConsumedCapacity="TOTAL")
    assert update["ConsumedCapacity"] == {"TableName": sorted_table, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}
    reads = ddb.batch_execute_statement(ReturnConsumedCapacity="TOTAL", Statements=[
        {"Statement": f"SELECT * FROM \"{sorted_table}\" WHERE pk = 'p' AND sk = 0"},
        {"Statement": f"SELECT * FROM \"{sorted_table}\" WHERE pk = 'p' AND sk = 1", "ConsistentRead": True}])
    assert reads["ConsumedCapacity"] == [{"TableName": sorted_table, "CapacityUnits": 1.5, "ReadCapacityUnits": 1.5}]
    # Transactions cost twice: 2 units a write, 2 a (strongly consistent) read of up to 4 KB.
    written = ddb.execute_transaction(ReturnConsumedCapacity="TOTAL", TransactStatements=[
        {"Statement": f"UPDATE \"{sorted_table}\" SET a = 2 WHERE pk = 'p' AND sk = 0"}])
    assert written["ConsumedCapacity"] == [{"TableName": sorted_table, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}]
    read = ddb.execute_transaction(ReturnConsumedCapacity="TOTAL", TransactStatements=[
        {"Statement": f"SELECT * FROM \"{sorted_table}\" WHERE pk = 'p' AND sk = 0"}])
    assert read["ConsumedCapacity"] == [{"TableName": sorted_table, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]


def _cancelled(call, **params) -> list[dict]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    code, message, status = error_of(excinfo)
    reasons = excinfo.value.response["CancellationReasons"]
    assert (code, status) == ("TransactionCanceledException", 400)
    assert message == ("Transaction cancelled, please refer cancellation reasons for specific reasons ["
                       + ", ".join(r["Code"] for r in reasons) + "]")
    return reasons


def test_a_key_not_matching_the_schema_cancels_a_write_transaction(ddb, table):
    reasons = _cancelled(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": _key("fine")}},
        {"Put": {"TableName": table, "Item": {"pk": {"N": "5"}}}},
        {"Delete": {"TableName": table, "Key": {"pk": {"L": []}}}},
    ])
    assert reasons == [{"Code": "None"},
                       {"Code": "ValidationError",
                        "Message": "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"},
                       {"Code": "None"}]
    reasons = _cancelled(ddb.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"N": "5"}}, "ConditionExpression": "attribute_exists(pk)"}}])
    assert reasons == [{"Code": "ValidationError", "Message": "The provided key element does not match the schema"}]
    assert "Item" not in ddb.get_item(TableName=table, Key=_key("fine"))


def test_an_empty_key_value_is_refused_before_the_transaction(ddb, table):
    assert _refused(ddb.transact_write_items, TransactItems=[
        {"Delete": {"TableName": table, "Key": {"pk": {"S": ""}}}}]) == (
        "ValidationException",
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
        "string value. Key: pk", 400)


def test_a_key_not_matching_the_schema_cancels_a_read_transaction(raw_ddb, table):
    reasons = _cancelled(raw_ddb.transact_get_items, TransactItems=[
        {"Get": {"TableName": table, "Key": _key("a")}}, {"Get": {"TableName": table, "Key": {}}}])
    assert reasons == [{"Code": "None"},
                       {"Code": "ValidationError", "Message": "The provided key element does not match the schema"}]


def test_over_100_transaction_actions_names_the_member(raw_ddb, table):
    actions = [{"Put": {"TableName": table, "Item": _key(str(i))}} for i in range(101)]
    assert _refused(raw_ddb.transact_write_items, TransactItems=actions) == (
        "ValidationException",
        "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
        "Member must have length less than or equal to 100", 400)


@pytest.mark.parametrize("statement, message", [
    ("SELECT * FROM \"{t}\" WHERE pk = 'p' foo", "Statement wasn't well formed, can't be processed: Unexpected token after expression"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'p')", "Statement wasn't well formed, can't be processed: Unexpected token after expression"),
    ("SELECT * FROM \"{t}\" ORDER BY sk WHERE pk = 'p'", "Statement wasn't well formed, can't be processed: Unexpected token after expression"),
    ("SELECT * FROM \"{t}\" t WHERE pk = 'p'", "Aliasing is not supported"),
    ("SELECT * FROM \"{t}\" AS t WHERE pk = 'p'", "Aliasing is not supported"),
    ("UPDATE \"{t}\" t SET a = 3 WHERE pk = 'p' AND sk = 1", "Aliasing is not supported"),
    ("DELETE FROM \"{t}\" t WHERE pk = 'p' AND sk = 1", "Aliasing is not supported"),
    ("SELECT * FROM \"{t}\" WHERE sk = 1e126",
     "Number overflow. Attempting to store a number with magnitude larger than supported range under root"),
    ("INSERT INTO \"{t}\" VALUE {{'pk': 'q', 'sk': 1, 'm': {{'x': 1e126}}}}",
     "Number overflow. Attempting to store a number with magnitude larger than supported range under root.x"),
    ("INSERT INTO \"{t}\" VALUE {{'pk': 'q', 'sk': 1, 'l': [1, 1e-131]}}",
     "Number underflow. Attempting to store a number with magnitude smaller than supported range under root[1]"),
    # An exponent Java's BigDecimal cannot hold: nothing after the colon (partiqlGrammar captures).
    ("SELECT * FROM \"{t}\" WHERE sk = 1e2147483648", "Statement wasn't well formed, can't be processed: "),
    ("SELECT * FROM \"{t}\" WHERE sk = 1.5e-2147483647", "Statement wasn't well formed, can't be processed: "),
])
def test_partiql_grammar_errors_are_worded_as_dynamodb_words_them(ddb, sorted_table, statement, message):
    assert _refused(ddb.execute_statement, Statement=statement.format(t=sorted_table)) == ("ValidationException", message, 400)


def test_a_transaction_of_writes_answers_an_empty_responses_list(ddb, sorted_table):
    answer = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"UPDATE \"{sorted_table}\" SET a = 2 WHERE pk = 'p' AND sk = 0"},
        {"Statement": f"DELETE FROM \"{sorted_table}\" WHERE pk = 'p' AND sk = 1"}])
    assert answer["Responses"] == []


# paritysuite/dynamodb-conformance, tests/tier3/error-messages/transactWriteItems.test.ts,
# transactGetItems.test.ts and validation-ordering/transactions.test.ts (captured against DynamoDB).
def test_transaction_refusals_name_their_place(raw, make_table):
    table = make_table("S")
    assert refused(raw.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}}},
        {"Update": {"TableName": "bad!name", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"S": "1"}}}}]) == (
        "ValidationException", "1 validation error detected: Value 'bad!name' at 'transactItems.2.member.update.tableName' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", 400)
    assert refused(raw.transact_write_items, TransactItems=[{"Put": {"TableName": "bad!name", "Item": {"pk": {"S": "a"}}}}])[1] \
        == ("1 validation error detected: Value 'bad!name' at 'transactItems.1.member.put.tableName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    assert refused(raw.transact_get_items, TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": {"S": "a"}}}}, {"Get": {"TableName": "bad!name", "Key": {"pk": {"S": "a"}}}}])[1] \
        == ("1 validation error detected: Value 'bad!name' at 'transactItems.2.member.get.tableName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    assert refused(raw.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "a"}}, "ConditionExpression": ""}}]) == (
        "ValidationException", "Invalid ConditionExpression: The expression can not be empty;", 400)
    assert refused(raw.transact_write_items, TransactItems=[{}]) == (
        "ValidationException", "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request", 400)
    assert refused(raw.transact_get_items, TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "!!!"}}]) == (
        "ValidationException", 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"', 400)


def test_later_actions_checked_before_a_missing_table(raw, make_table):
    table = make_table("S")
    missing = {"Put": {"TableName": "no-such-table", "Item": {"pk": {"S": "a"}}}}
    assert refused(raw.transact_write_items, TransactItems=[missing, {"ConditionCheck": {
        "TableName": table, "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists("}}]) == (
        "ValidationException", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("', 400)
    assert refused(raw.transact_write_items, TransactItems=[missing, {"ConditionCheck": {
        "TableName": table, "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)",
        "ExpressionAttributeValues": {":v": {"S": "x"}}}}]) == (
        "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}", 400)
    assert refused(raw.transact_write_items, TransactItems=[missing])[0] == "ResourceNotFoundException"
