"""PartiQL beyond plain reads and writes: condition functions and IS in WHERE, set_add,
set_delete and list_append in UPDATE, comments, EXISTS in transactions, RETURNING where
DynamoDB allows it, and index reads. Wordings are DynamoDB's as the paritysuite and nubo-db
dynamodb-conformance suites captured them against AWS."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of

SEED = {"pk": {"S": "i"}, "ss": {"SS": ["a", "b", "c"]}, "s": {"S": "str"}, "m": {"M": {"sub": {"S": "x"}}},
        "nul": {"NULL": True}, "flag": {"BOOL": True}, "l": {"L": [{"N": "1"}]}}


@pytest.fixture
def table(ddb, make_table):
    name = make_table("S")
    ddb.put_item(TableName=name, Item=SEED)
    return name


def _refusal(call, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    return error_of(excinfo)


def _keys_where(ddb, table: str, condition: str) -> list[str]:
    items = ddb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'i' AND {condition}")["Items"]
    return [item["pk"]["S"] for item in items]


@pytest.mark.parametrize("condition, matches", [
    ("attribute_exists(ss)", True),
    ("attribute_exists(nope)", False),
    ("attribute_not_exists(nope)", True),
    ("attribute_not_exists(ss)", False),
    ("NOT attribute_exists(nope)", True),
    ("ATTRIBUTE_EXISTS(ss)", True),
    ("(attribute_exists(nope) OR attribute_exists(ss))", True),
    ("attribute_exists(ss) = true", True),
    ("attribute_exists(ss) = false", False),
    ('attribute_exists("ss")', True),
    ("attribute_exists(m.sub)", True),
    ("attribute_exists(m.nope)", False),
    ("size(s) = 3", True),
    ("size(s) = 4", False),
    ("size(ss) > 2", True),
    ("attribute_type(ss, 'SS')", True),
    ("attribute_type(ss, 'S')", False),
    ("nul IS NULL", True),
    ("s IS NULL", False),
    ("s IS NOT NULL", True),
    ("flag IS BOOL", True),
    ("flag IS BOOLEAN", True),
    ("s IS STRING", True),
    ("s IS BOOL", False),
    ("l IS LIST", True),
    ("m IS STRUCT", True),
    ("s IS NOT STRING", False),
])
def test_where_functions_and_types(ddb, table, condition, matches):
    assert _keys_where(ddb, table, condition) == (["i"] if matches else [])


def test_where_function_filters_a_scan(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "other"}})
    items = ddb.execute_statement(Statement=f'SELECT pk FROM "{table}" WHERE attribute_exists(flag)')["Items"]
    assert items == [{"pk": {"S": "i"}}]


def test_comments_are_skipped(ddb, table):
    items = ddb.execute_statement(
        Statement=f"SELECT pk FROM \"{table}\" /* which one */ WHERE pk = 'i' -- the seeded item")["Items"]
    assert items == [{"pk": {"S": "i"}}]


def test_where_function_refusals(ddb, table):
    where = f"SELECT * FROM \"{table}\" WHERE pk = 'i' AND "
    assert _refusal(ddb.execute_statement, Statement=where + "attribute_exists('ss')") == (
        "ValidationException",
        "Operator or function requires a document path; operator or function: attribute_exists", 400)
    assert _refusal(ddb.execute_statement, Statement=where + "attribute_exists()") == (
        "ValidationException", "Incorrect number of operands for operator or function; operator or function: "
        "attribute_exists, number of operands: 0", 400)
    assert _refusal(ddb.execute_statement, Statement=where + "attribute_exists(ss, s)")[1].endswith(
        "number of operands: 2")
    statement = where + "EXISTS(ss)"
    column = statement.index("EXISTS") + 1
    assert _refusal(ddb.execute_statement, Statement=statement) == (
        "ValidationException", f"Unrecognized function: exists at 1:{column}:6", 400)
    assert _refusal(ddb.execute_statement, Statement=where + "s IS FOO") == (
        "ValidationException", "Statement wasn't well formed, can't be processed: Expected type name", 400)
    assert _refusal(ddb.execute_statement, Statement=where + "s < ?", Parameters=[{"BOOL": True}]) == (
        "ValidationException",
        "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL", 400)
    assert _refusal(ddb.execute_statement, Statement=where + "s BETWEEN ? AND ?",
                    Parameters=[{"BOOL": True}, {"BOOL": False}]) == (
        "ValidationException",
        "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL", 400)


def test_write_conditions_use_functions(ddb, table):
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET z = 1 WHERE pk = 'i' AND attribute_exists(ss)")
    assert _refusal(ddb.execute_statement,
                    Statement=f"UPDATE \"{table}\" SET z = 2 WHERE pk = 'i' AND attribute_not_exists(z)")[0] \
        == "ConditionalCheckFailedException"
    assert _refusal(ddb.execute_statement,
                    Statement=f"DELETE FROM \"{table}\" WHERE pk = 'i' AND attribute_exists(nope)")[0] \
        == "ConditionalCheckFailedException"
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "i"}})["Item"]
    assert item["z"] == {"N": "1"}


def _stored(ddb, table: str) -> dict:
    return ddb.get_item(TableName=table, Key={"pk": {"S": "i"}}, ConsistentRead=True)["Item"]


def test_set_add_set_delete_and_list_append(ddb, table):
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET ss = set_add(ss, <<'0', 'a'>>) "
                                    f"SET l = LIST_APPEND(l, [2]) WHERE pk = 'i'")
    item = _stored(ddb, table)
    assert sorted(item["ss"]["SS"]) == ["0", "a", "b", "c"]
    assert item["l"] == {"L": [{"N": "1"}, {"N": "2"}]}
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET ns = SET_ADD(ns, ?) WHERE pk = 'i'",
                          Parameters=[{"NS": ["2", "1"]}])
    assert sorted(_stored(ddb, table)["ns"]["NS"]) == ["1", "2"]
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET ss = set_delete(ss, <<'a', 'zz'>>) WHERE pk = 'i'")
    assert sorted(_stored(ddb, table)["ss"]["SS"]) == ["0", "b", "c"]
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET ns = set_delete(ns, <<1, 2>>) WHERE pk = 'i'")
    assert "ns" not in _stored(ddb, table)
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET gone = set_delete(gone, <<'a'>>) WHERE pk = 'i'")
    assert "gone" not in _stored(ddb, table)
    answer = ddb.execute_statement(
        Statement=f"UPDATE \"{table}\" SET ss = set_add(ss, <<'r'>>) WHERE pk = 'i' RETURNING ALL NEW *")
    assert sorted(answer["Items"][0]["ss"]["SS"]) == ["0", "b", "c", "r"]
    assert _refusal(ddb.execute_statement,
                    Statement=f"UPDATE \"{table}\" SET ss = set_add(ss, <<'x'>>) WHERE pk = 'absent'")[0] \
        == "ConditionalCheckFailedException"


def test_set_function_refusals(ddb, table):
    def update(assignment: str) -> str:
        return f"UPDATE \"{table}\" SET {assignment} WHERE pk = 'i'"

    statement = update("t = set_add(ss, <<'x'>>)")
    at = f"1:{statement.index('set_add') + 1}:7"
    assert _refusal(ddb.execute_statement, Statement=statement)[1] == \
        f"The first argument to SET_ADD must equal the assignment value at {at}"
    statement = update("ss = set_delete(ss, 'a')")
    first = statement.index("ss", statement.index("set_delete(")) + 1
    assert _refusal(ddb.execute_statement, Statement=statement)[1] == \
        f"The second argument to SET_DELETE must be a value with type SET at 1:{first}:2"
    statement = update("ss = set_add(ss)")
    assert _refusal(ddb.execute_statement, Statement=statement)[1] == \
        f"SET_ADD must have exactly two arguments at 1:{statement.index('set_add') + 1}:7"
    wrong_type = ("ValidationException", "An operand in the update expression has an incorrect data type", 400)
    assert _refusal(ddb.execute_statement, Statement=update("ss = set_add(ss, <<1>>)")) == wrong_type
    assert _refusal(ddb.execute_statement, Statement=update("s = set_add(s, <<'x'>>)")) == wrong_type
    assert _refusal(ddb.execute_statement, Statement=update("ss = set_add(ss, <<>>)"))[1] == \
        "Empty bags are not supported"
    statement = f"SELECT * FROM \"{table}\" WHERE pk = 'i' AND set_add(ss, <<'x'>>) = ss"
    assert _refusal(ddb.execute_statement, Statement=statement)[1] == \
        f"Unrecognized function: set_add at 1:{statement.index('set_add') + 1}:7"
    assert sorted(_stored(ddb, table)["ss"]["SS"]) == ["a", "b", "c"]


def test_returning_where_dynamodb_allows_it(ddb, table):
    statement = f"DELETE FROM \"{table}\" WHERE pk = 'i' RETURNING MODIFIED OLD *"
    refused = ("ValidationException", "Invalid returning clause: RETURNING MODIFIED OLD *. "
               "Only RETURNING ALL OLD * is allowed in DELETE statements.", 400)
    assert _refusal(ddb.execute_statement, Statement=statement) == refused
    batch = ddb.batch_execute_statement(Statements=[
        {"Statement": statement},
        {"Statement": f"UPDATE \"{table}\" SET s = 'new' WHERE pk = 'i' RETURNING ALL NEW *"},
    ])["Responses"]
    assert batch[0]["Error"] == {"Code": "ValidationError", "Message": refused[1]}
    assert batch[1]["Item"]["s"] == {"S": "new"}
    assert _refusal(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"UPDATE \"{table}\" SET s = 'tx' WHERE pk = 'i' RETURNING ALL NEW *"}]) == (
        "ValidationException", "Validation failed in TransactStatements[0]: RETURNING clause is not supported in "
        "ExecuteTransaction.", 400)
    assert _stored(ddb, table)["s"] == {"S": "new"}  # the refused transaction changed nothing


def test_exists_condition_in_a_transaction(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "n": {"N": "1"}})
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'c' AND n = 1)"},
        {"Statement": f"UPDATE \"{table}\" SET n = 5 WHERE pk = 'i'"},
    ])
    assert _stored(ddb, table)["n"] == {"N": "5"}
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'c' AND n = 2)"},
            {"Statement": f"UPDATE \"{table}\" SET n = 6 WHERE pk = 'i'"},
        ])
    assert error_of(excinfo)[0] == "TransactionCanceledException"
    reasons = excinfo.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None"]
    assert _stored(ddb, table)["n"] == {"N": "5"}
    assert _refusal(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'c')"},
        {"Statement": f"UPDATE \"{table}\" SET n = 7 WHERE pk = 'i'"},
    ]) == ("ValidationException", "Validation failed in TransactStatements[0]: EXISTS() must contain a single item "
           "read with additional condition", 400)


def test_transaction_and_batch_key_messages(ddb, table):
    select = f"SELECT * FROM \"{table}\" WHERE attribute_exists(ss)"
    assert _refusal(ddb.execute_transaction, TransactStatements=[{"Statement": select}]) == (
        "ValidationException", "Validation failed in TransactStatements[0]: Select statements within "
        "ExecuteTransaction must specify the primary key in the where clause.", 400)
    answer = ddb.batch_execute_statement(Statements=[{"Statement": select}])["Responses"][0]
    assert answer == {"Error": {"Code": "ValidationError", "Message": "Select statements within "
                                "BatchExecuteStatement must specify the primary key in the where clause."}}
    assert _refusal(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'i'"},
        {"Statement": f"UPDATE \"{table}\" SET n = 7 WHERE pk = 'i'"},
    ]) == ("ValidationException",
           "ExecuteTransaction API does not support both read and write operations in the same request.", 400)
    assert _refusal(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"UPDATE \"{table}\" SET n = 7 WHERE s = 'str'"}]) == (
        "ValidationException", "Validation failed in TransactStatements[0]: Where clause does not contain a "
        "mandatory equality on all key attributes", 400)


@pytest.fixture
def indexed(ddb, make_table):
    name = make_table("S", "S", ExtraDefinitions=[
        {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi-inc", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["inc"]}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi-keys", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for n in range(2):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": str(n)}, "g": {"S": "y"},
                                           "l": {"S": f"l{n}"}, "inc": {"S": "i"}, "other": {"S": f"o{n}"}})
    return name


def test_index_reads(ddb, indexed):
    rows = ddb.execute_statement(Statement=f"SELECT other FROM \"{indexed}\".\"lsi-keys\" WHERE pk = 'p'")["Items"]
    assert rows == [{"other": {"S": "o0"}}, {"other": {"S": "o1"}}]  # fetched from the table
    assert _refusal(ddb.execute_statement, Statement=f"SELECT other FROM \"{indexed}\".\"gsi-inc\" WHERE g = 'y'") \
        == ("ValidationException", "One or more parameter values were invalid: Global secondary index gsi-inc does "
            "not project [other]", 400)
    assert _refusal(ddb.execute_statement,
                    Statement=f"SELECT * FROM \"{indexed}\".\"gsi-inc\" WHERE g = 'y' AND other = 'o1'") == (
        "ValidationException", "One or more parameter values were invalid: Secondary index gsi-inc does not project "
        "one or more filter attributes: [other]", 400)
    assert _refusal(ddb.execute_statement, Statement=f"SELECT * FROM \"{indexed}\".\"gsi-inc\" WHERE g = 'y'",
                    ConsistentRead=True)[1] == "Strongly consistent read is not supported on Global Secondary Indexes"
    assert _refusal(ddb.execute_statement, Statement=f"SELECT * FROM \"{indexed}\".\"nope\" WHERE pk = 'p'")[1] == \
        "The table does not have the specified index"
    for statement in (f'SELECT * FROM "{indexed}"."" WHERE pk = \'p\'', "SELECT * FROM \"\" WHERE pk = 'p'"):
        assert _refusal(ddb.execute_statement, Statement=statement) == (
            "ValidationException", "Path component cannot be an empty string", 400)
    assert _refusal(ddb.execute_statement, Statement=f'SELECT * FROM "{indexed}"."gsi-inc"."x"')[1] == \
        "A path may contain at most 2 components in the FROM clause"
    assert _refusal(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"SELECT * FROM \"{indexed}\".\"gsi-inc\" WHERE pk = 'p' AND sk = '0'"}]) == (
        "ValidationException", "Validation failed in TransactStatements[0]: Reads on indices are not supported "
        "within transactions.", 400)


NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "


# paritysuite/dynamodb-conformance, tests/tier3/error-messages/partiqlGrammar.test.ts (captured against DynamoDB).
@pytest.mark.parametrize("statement, message", [
    ('SELECT * FROM "{t}" WHERE', NOT_WELL_FORMED + "Unexpected term"),
    ('SELECT * FROM "{t}" WHERE NOT', NOT_WELL_FORMED + "Unexpected term"),
    ('SELECT * FROM "{t}" WHERE (', NOT_WELL_FORMED + "Unexpected term"),
    ('SELECT * FROM "{t}" WHERE;', NOT_WELL_FORMED + "Unexpected term"),
    ('DELETE FROM "{t}" WHERE', NOT_WELL_FORMED + "Unexpected term"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'i' AND", NOT_WELL_FORMED + "Missing right-hand side expression of infix operator"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'i' OR", NOT_WELL_FORMED + "Missing right-hand side expression of infix operator"),
    ('SELECT * FROM "{t}" WHERE ORDER BY pk', NOT_WELL_FORMED + "Unexpected keyword"),
    ('SELECT * FROM "{t}" WHERE IS NULL', NOT_WELL_FORMED + "Unexpected operator"),
    ('SELECT * FROM "{t}" WHERE pk = LIKE', NOT_WELL_FORMED + "Unexpected operator"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'i' AND s IS INT4", "Unsupported operation: IsType"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'i' AND s IS DOUBLE PRECISION", "Unsupported operation: IsType"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'i' # note", NOT_WELL_FORMED),
    ("SELECT * FROM \"{t}\" WHERE pk = 'i' /* note", NOT_WELL_FORMED),
    ("INSERT INTO \"{t}\" t VALUE {{'pk': 'x'}}", NOT_WELL_FORMED + "Unexpected token after expression"),
    ("DELETE FROM", NOT_WELL_FORMED + "Expected identifier for simple path"),
    ("DELETE FROM;", NOT_WELL_FORMED + "Expected identifier for simple path"),
    ("DELETE FROM WHERE pk = 'a'", NOT_WELL_FORMED + "Expected identifier for simple path"),
    ("SELECT * FROM", NOT_WELL_FORMED + "Unexpected term"),
    ('FROM "{t}" SET c = 1', "Where clause does not contain a mandatory equality on all key attributes"),
    ("FROM \"{t}\" SET c = 1 WHERE pk = 'i'", NOT_WELL_FORMED + "Unexpected token after expression"),
])
def test_grammar_refusals(ddb, table, statement, message):
    assert _refusal(ddb.execute_statement, Statement=statement.format(t=table)) == ("ValidationException", message, 400)


def test_from_first_update(ddb, table):
    ddb.execute_statement(Statement=f"FROM \"{table}\" WHERE pk = 'i' SET c = 1 REMOVE s")
    item = _stored(ddb, table)
    assert item["c"] == {"N": "1"} and "s" not in item


def test_transaction_parse_errors_name_the_statement(ddb, table):
    assert _refusal(ddb.execute_transaction, TransactStatements=[{"Statement": f'SELECT * FROM "{table}" WHERE'}]) == (
        "ValidationException",
        f"Validation failed in TransactStatements[0]: {NOT_WELL_FORMED}Unexpected term", 400)


def test_size_is_for_conditions_only(ddb, table):
    for assignment in ("sz = size(l)", "sz = n + size(l)", "l2 = list_append(size(l), [1])"):
        assert _refusal(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET {assignment} WHERE pk = 'i'") == (
            "ValidationException", "The function is not allowed to be used this way in an expression; function: size", 400)
    assert "sz" not in _stored(ddb, table)


def test_exists_only_in_transactions(ddb, table):
    statement = f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'i' AND s = 'str')"
    unsupported = ("ValidationException", NOT_WELL_FORMED + "Unsupported statement", 400)
    assert _refusal(ddb.execute_statement, Statement=statement) == unsupported
    answer = ddb.batch_execute_statement(Statements=[{"Statement": statement}])["Responses"][0]
    assert answer["Error"] == {"Code": "ValidationError", "Message": unsupported[1]}


def test_local_index_scan_filters_on_the_table_item(ddb, indexed):
    rows = ddb.execute_statement(Statement=f"SELECT pk, sk FROM \"{indexed}\".\"lsi-keys\" WHERE other = 'o1'")["Items"]
    assert rows == [{"pk": {"S": "p"}, "sk": {"S": "1"}}]


# paritysuite/dynamodb-conformance, partiqlParameterNumbers.test.ts and partiqlGrammar.test.ts: PartiQL
# reads numbers as Java's BigDecimal does (the older value layer).
@pytest.mark.parametrize("number, message", [
    ("1e99999999999", "The parameter cannot be converted to a numeric value: 1e99999999999"),
    ("1e-2147483648", "The parameter cannot be converted to a numeric value: 1e-2147483648"),
    ("1e2147483647", "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ("", "The parameter cannot be converted to a numeric value"),
])
def test_number_parameters_read_as_java_reads_them(ddb, table, number, message):
    statement = f"SELECT * FROM \"{table}\" WHERE pk = 'i' AND n = ?"
    assert _refusal(ddb.execute_statement, Statement=statement, Parameters=[{"N": number}]) == (
        "ValidationException", message, 400)
    answer = ddb.batch_execute_statement(Statements=[{"Statement": statement, "Parameters": [{"N": number}]}])
    assert answer["Responses"][0]["Error"] == {"Code": "ValidationError", "Message": message}


def test_number_literal_java_cannot_read(ddb, table):
    assert _refusal(ddb.execute_statement, Statement=f'SELECT * FROM "{table}" WHERE pk = 1e2147483648') == (
        "ValidationException", NOT_WELL_FORMED, 400)


def test_a_literal_set_with_a_repeated_member(ddb, table):
    # The members as written, unquoted (set_add's capture; a plain SET value reads the same literal).
    statement = f"UPDATE \"{table}\" SET ss = <<'a', 'a'>> WHERE pk = 'i'"
    message = "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
    assert _refusal(ddb.execute_statement, Statement=statement) == ("ValidationException", message, 400)
    assert _refusal(ddb.execute_transaction, TransactStatements=[{"Statement": statement}])[1] == \
        f"Validation failed in TransactStatements[0]: {message}"
    assert _refusal(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET ss = set_add(ss, <<'x', 'x'>>) "
                    "WHERE pk = 'i'") == ("ValidationException", message.replace("a, a", "x, x"), 400)
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "i"}})["Item"] == SEED


def test_functions_where_a_path_or_a_value_belongs(ddb, table):
    statement = f"SELECT attribute_exists(ss) FROM \"{table}\" WHERE pk = 'i'"
    assert _refusal(ddb.execute_statement, Statement=statement) == (
        "ValidationException", "Unexpected path component at 1:8:16", 400)
    statement = f"INSERT INTO \"{table}\" VALUE {{'pk': 'new', 'ss': set_add(<<'a'>>, <<'b'>>)}}"
    column = statement.index("set_add") + 1
    assert _refusal(ddb.execute_statement, Statement=statement) == (
        "ValidationException", f"Unsupported data type: set_add under key root at 1:{column}:7", 400)
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "new"}})


def test_a_keyword_after_a_dot_is_no_name(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "kw"}, "m": {"M": {"inner": {"SS": ["x"]}, "Value": {"N": "1"}}}})
    refused = ("ValidationException", "Statement wasn't well formed, can't be processed: Invalid path dot component", 400)
    assert _refusal(ddb.execute_statement, Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'kw' AND "
                    "attribute_exists(m.inner)") == refused
    assert _refusal(ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET m.inner = set_add(m.inner, <<'y'>>) "
                    "WHERE pk = 'kw'") == refused
    assert _refusal(ddb.execute_statement, Statement=f"SELECT m.VALUE FROM \"{table}\" WHERE pk = 'kw'") == refused
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "kw"}})["Item"]["m"]["M"]["inner"] == {"SS": ["x"]}
    # Quoted, it is a name; a word that is no keyword needs no quotes.
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET m.\"inner\" = set_add(m.\"inner\", <<'y'>>) "
                          "WHERE pk = 'kw'")
    assert ddb.execute_statement(Statement=f"SELECT m.\"inner\", m.\"Value\" FROM \"{table}\" WHERE pk = 'kw'")[
        "Items"] == [{"m": {"M": {"inner": {"SS": ["x", "y"]}, "Value": {"N": "1"}}}}]


def test_batch_and_transaction_reads_name_the_key_alone(ddb, table):
    select = f"SELECT * FROM \"{table}\" WHERE pk = 'i' AND attribute_exists(ss)"
    assert _refusal(ddb.execute_transaction, TransactStatements=[{"Statement": select}]) == (
        "ValidationException", "Validation failed in TransactStatements[0]: Select statements within "
        "ExecuteTransaction must specify the primary key in the where clause.", 400)
    assert ddb.batch_execute_statement(Statements=[{"Statement": select}])["Responses"] == [
        {"Error": {"Code": "ValidationError", "Message": "Select statements within BatchExecuteStatement must "
                   "specify the primary key in the where clause."}}]
    key_only = f"SELECT pk FROM \"{table}\" WHERE pk = 'i'"
    assert ddb.execute_transaction(TransactStatements=[{"Statement": key_only}])["Responses"] == [
        {"Item": {"pk": {"S": "i"}}}]


def test_or_branches_overlapping_on_the_sort_key_are_refused(ddb, make_table):
    # paritysuite whereOverlap.test.ts: refused when two branches select overlapping sort-key
    # spans of one partition; a negated or <> sort-key condition selects no span and runs.
    name = make_table("S", "S")
    for sk in "123":
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})

    def sort_keys(where: str) -> list[str]:
        items = ddb.execute_statement(Statement=f'SELECT * FROM "{name}" WHERE {where}', ConsistentRead=True)["Items"]
        return sorted(item["sk"]["S"] for item in items)

    refused = ("ValidationException", "Overlapping conditions with range keys are not supported in where clause", 400)
    for where in ["pk = 'p' AND sk >= '1' OR pk = 'p' AND sk = '2'",
                  "pk = 'p' AND sk BETWEEN '1' AND '2' OR pk = 'p' AND sk > '1'",
                  "pk = 'p' AND begins_with(sk, '2') OR pk = 'p' AND sk IN ['2', '9']",
                  "pk = 'p' AND sk < '3' OR (pk = 'p' AND sk = '1')"]:
        assert _refusal(ddb.execute_statement, Statement=f'SELECT * FROM "{name}" WHERE {where}') == refused, where
    for where, expected in [
        ("pk = 'p' AND NOT sk = '1' OR pk = 'p' AND sk = '2'", ["2", "3"]),
        ("pk = 'p' AND sk <> '1' OR pk = 'p' AND sk = '2'", ["2", "3"]),
        ("pk = 'p' AND NOT begins_with(sk, 'x') OR pk = 'p' AND sk = '2'", ["1", "2", "3"]),
        ("pk = 'p' AND NOT sk IN ['1', '3'] OR pk = 'p' AND sk = '2'", ["2"]),
        ("pk = 'p' OR pk = 'p' AND NOT sk = '1'", ["1", "2", "3"]),
        ("pk = 'p' AND sk = '1' OR pk = 'p' AND sk = '3'", ["1", "3"]),  # apart: no overlap
        ("pk = 'p' AND sk < '2' OR pk = 'p' AND sk >= '2'", ["1", "2", "3"]),
        ("pk = 'p' AND sk >= '1' OR pk = 'q' AND sk = '2'", ["1", "2", "3"]),  # two partitions
    ]:
        assert sort_keys(where) == expected, where

