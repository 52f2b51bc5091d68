"""Parses a PartiQL statement into a small statement record with condition-language ASTs.

Values become AttributeValues at parse time (literals and `?` parameters alike), so the
evaluator, update and projection code of the expression language does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.types import (
    java_scale_overflows,
    normalize_number,
    older_duplicates_message,
    unordered_operand,
    validate_value,
)

_TOKEN = re.compile(r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct><<|>>|<>|!=|<=|>=|[=<>(),.\[\]{}:?*+\-;])
""", re.VERBOSE | re.DOTALL)


@dataclass
class Statement:
    kind: str  # SELECT, INSERT, UPDATE, DELETE
    table: str
    index: str | None = None
    projection: list[tuple] | None = None
    where: tuple | None = None
    item: dict | None = None
    sets: list[tuple] = field(default_factory=list)
    removes: list[tuple] = field(default_factory=list)
    returning: str | None = None
    # SELECT ... ORDER BY: (attribute, descending) in the order written.
    order_by: list[tuple[str, bool]] = field(default_factory=list)
    # UPDATE's set_add and set_delete: (path, set value), applied as UpdateItem's ADD and DELETE.
    set_adds: list[tuple] = field(default_factory=list)
    set_deletes: list[tuple] = field(default_factory=list)
    # ExecuteTransaction's EXISTS(SELECT ...): a condition check on one item.
    exists: bool = False
    # A SELECT the parser read but DynamoDB refuses once it has found the table (COUNT(*)).
    refusal: ValidationException | None = None


NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
# DynamoDB's wordings (paritysuite/dynamodb-conformance, tests/tier3/error-messages/
# partiqlGrammar.test.ts, captured against DynamoDB): a token after a complete statement, and a
# table alias on SELECT, UPDATE or DELETE.
LEFTOVER = NOT_WELL_FORMED + "Unexpected token after expression"
ALIASING = "Aliasing is not supported"
# Words that may follow a table name; any other word or name there is an alias.
_AFTER_TABLE = frozenset({"WHERE", "ORDER", "SET", "REMOVE", "RETURNING"})


# The condition functions a WHERE clause may call, with their operand counts; size() is an operand.
_CONDITION_FUNCTIONS = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
                        "begins_with": 2, "contains": 2}
# `x IS <type>`: the PartiQL type names whose DynamoDB type is plain (MISSING and NULL aside).
_TYPE_NAMES = {"BOOL": "BOOL", "BOOLEAN": "BOOL", "STRING": "S", "LIST": "L", "STRUCT": "M", "TUPLE": "M"}
# PartiQL's other type names, which DynamoDB reads but does not test for ("Unsupported operation:
# IsType" for INT4, INT8, DOUBLE PRECISION, CHARACTER VARYING in paritysuite's partiqlGrammar
# captures).
_UNTESTED_TYPES = {"INT", "INTEGER", "INT2", "INT4", "INT8", "INTEGER2", "INTEGER4", "INTEGER8", "SMALLINT", "BIGINT",
                   "FLOAT", "REAL", "DOUBLE", "DECIMAL", "DEC", "NUMERIC", "CHAR", "CHARACTER", "VARCHAR", "SYMBOL",
                   "CLOB", "BLOB", "SEXP", "BAG", "DATE", "TIME", "TIMESTAMP", "ANY"}
# Words that cannot start a term: operators, and the keywords of a statement's clauses.
_OPERATOR_WORDS = frozenset({"IS", "LIKE", "AND", "OR", "IN", "BETWEEN"})
_CLAUSE_WORDS = frozenset({"SELECT", "FROM", "WHERE", "ORDER", "BY"})
_SET_FUNCTIONS = ("SET_ADD", "SET_DELETE")
# SQL-92's reserved words, which PartiQL's lexer reads as keywords, not names: after a dot in a
# path DynamoDB refuses one unquoted ("Invalid path dot component" for `m.inner` in paritysuite's
# partiqlFunctions captures); `m."inner"` is a name.
_SQL92_KEYWORDS = frozenset("""
    ABSOLUTE ACTION ADD ALL ALLOCATE ALTER AND ANY ARE AS ASC ASSERTION AT AUTHORIZATION AVG BEGIN
    BETWEEN BIT BIT_LENGTH BOTH BY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER
    CHARACTER_LENGTH CHAR_LENGTH CHECK CLOSE COALESCE COLLATE COLLATION COLUMN COMMIT CONNECT
    CONNECTION CONSTRAINT CONSTRAINTS CONTINUE CONVERT CORRESPONDING COUNT CREATE CROSS CURRENT
    CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATE DAY DEALLOCATE DEC DECIMAL
    DECLARE DEFAULT DEFERRABLE DEFERRED DELETE DESC DESCRIBE DESCRIPTOR DIAGNOSTICS DISCONNECT
    DISTINCT DOMAIN DOUBLE DROP ELSE END ESCAPE EXCEPT EXCEPTION EXEC EXECUTE EXISTS EXTERNAL
    EXTRACT FALSE FETCH FIRST FLOAT FOR FOREIGN FOUND FROM FULL GET GLOBAL GO GOTO GRANT GROUP
    HAVING HOUR IDENTITY IMMEDIATE IN INDICATOR INITIALLY INNER INPUT INSENSITIVE INSERT INT
    INTEGER INTERSECT INTERVAL INTO IS ISOLATION JOIN KEY LANGUAGE LAST LEADING LEFT LEVEL LIKE
    LOCAL LOWER MATCH MAX MIN MINUTE MODULE MONTH NAMES NATIONAL NATURAL NCHAR NEXT NO NOT NULL
    NULLIF NUMERIC OCTET_LENGTH OF ON ONLY OPEN OPTION OR ORDER OUTER OUTPUT OVERLAPS PAD PARTIAL
    POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVILEGES PROCEDURE PUBLIC READ REAL
    REFERENCES RELATIVE RESTRICT REVOKE RIGHT ROLLBACK ROWS SCHEMA SCROLL SECOND SECTION SELECT
    SESSION SESSION_USER SET SIZE SMALLINT SOME SPACE SQL SQLCODE SQLERROR SQLSTATE SUBSTRING SUM
    SYSTEM_USER TABLE TEMPORARY THEN TIME TIMESTAMP TIMEZONE_HOUR TIMEZONE_MINUTE TO TRAILING
    TRANSACTION TRANSLATE TRANSLATION TRIM TRUE UNION UNIQUE UNKNOWN UPDATE UPPER USAGE USER USING
    VALUE VALUES VARCHAR VARYING VIEW WHEN WHENEVER WHERE WITH WORK WRITE YEAR ZONE""".split())


def _check_ordered(operator: str, operands: tuple) -> None:
    """A literal or parameter with no order in an ordering comparison or BETWEEN is refused."""
    message = unordered_operand(operator, [operand[1] for operand in operands if operand[0] == "value"])
    if message is not None:
        raise ValidationException(message)


def malformed(detail: str = "") -> ValidationException:
    return ValidationException(NOT_WELL_FORMED + (detail or "Unexpected token"))


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) for each token; comments (-- to the end of the line, /* ... */) are
    skipped as DynamoDB skips them."""
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position] == "#" or text.startswith("/*", position):
                # A # comment, or a /* comment never closed: DynamoDB says no more than this.
                raise ValidationException(NOT_WELL_FORMED)
            raise malformed(f"Unexpected character: {text[position]}")
        kind = match.lastgroup or ""  # every alternative of _TOKEN is a named group
        if kind != "space":
            tokens.append((kind, match.group(), position))
        position = match.end()
    tokens.append(("eof", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, parameters: list[Any] | None):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.parameters = list(parameters or [])
        self.used_parameters = 0

    @property
    def tok(self) -> tuple[str, str, int]:
        return self.tokens[self.pos]

    def word(self, *words: str) -> bool:
        return self.tok[0] == "word" and self.tok[1].upper() in words

    def punct(self, text: str) -> bool:
        return self.tok[0] == "punct" and self.tok[1] == text

    def at(self, token: tuple[str, str, int]) -> str:
        """Where a token sits, as DynamoDB's messages give it: line:column:length, from 1."""
        offset = token[2]
        line_start = self.text.rfind("\n", 0, offset) + 1
        return f"{self.text.count(chr(10), 0, offset) + 1}:{offset - line_start + 1}:{len(token[1])}"

    def calls(self) -> bool:
        """A word followed by an opening parenthesis: a function call."""
        return self.tok[0] == "word" and self.tokens[self.pos + 1][1] == "("

    def take_word(self, word: str) -> None:
        if not self.word(word):
            raise malformed(f"Expected {word}")
        self.pos += 1

    def take_punct(self, text: str) -> None:
        if not self.punct(text):
            raise malformed(f"Expected {text}")
        self.pos += 1

    def identifier(self) -> str:
        kind, text, _ = self.tok
        if kind == "quoted":
            self.pos += 1
            return text[1:-1].replace('""', '"')
        if kind == "word":
            self.pos += 1
            return text
        raise malformed("Expected identifier")

    def statement(self) -> Statement:
        if self.word("SELECT"):
            result = self.select()
        elif self.word("EXISTS") and self.calls():
            result = self.exists()
        elif self.word("INSERT"):
            result = self.insert()
        elif self.word("UPDATE"):
            result = self.update()
        elif self.word("FROM"):
            result = self.from_first_update()
        elif self.word("DELETE"):
            result = self.delete()
        else:
            raise malformed("Unsupported statement")
        if self.tok[0] != "eof":
            raise ValidationException(LEFTOVER)
        if self.used_parameters != len(self.parameters):
            raise ValidationException("Number of parameters in request and statement don't match.")
        return result

    def table_name(self, missing: str = "Expected identifier") -> str:
        """The table a statement names; `missing`: DynamoDB's words when there is none."""
        kind, text, _ = self.tok
        if kind == "eof" or (kind == "punct" and text == ";") or (kind == "word" and text.upper() in _CLAUSE_WORDS):
            raise malformed(missing)
        name = self.identifier()
        if not name:
            raise ValidationException("Path component cannot be an empty string")
        return name

    def table_ref(self) -> tuple[str, str | None]:
        name = self.table_name("Unexpected term")
        index = None
        if self.punct("."):
            self.pos += 1
            index = self.table_name()
            if self.punct("."):
                raise ValidationException("A path may contain at most 2 components in the FROM clause")
        self.no_alias()
        return name, index

    def exists(self) -> Statement:
        """EXISTS(SELECT ... WHERE <key> AND <condition>), ExecuteTransaction's condition check."""
        self.pos += 2
        if not self.word("SELECT"):
            raise malformed("Expected SELECT")
        statement = self.select()
        self.take_punct(")")
        statement.exists = True
        return statement

    def no_alias(self) -> None:
        """SELECT, UPDATE and DELETE refuse a table alias (`FROM t x`, `FROM t AS x`)."""
        kind, text, _ = self.tok
        if kind == "quoted" or (kind == "word" and text.upper() not in _AFTER_TABLE):
            raise ValidationException(ALIASING)

    def select(self) -> Statement:
        self.pos += 1
        projection = None
        refusal = None
        if self.punct("*"):
            self.pos += 1
        elif self.counts_all():
            # Refused as any function there is, but only once the table is found: a read of a
            # multi-attribute index is refused first (paritysuite partiqlMultiAttributeIndex).
            refusal = ValidationException(f"Unexpected path component at {self.at(self.tokens[self.pos - 4])}")
        else:
            projection = [self.projected_path()]
            while self.punct(","):
                self.pos += 1
                projection.append(self.projected_path())
        self.take_word("FROM")
        name, index = self.table_ref()
        where = self.where() if self.word("WHERE") else None
        statement = Statement("SELECT", name, index, projection, where, refusal=refusal)
        if self.word("ORDER"):
            self.pos += 1
            self.take_word("BY")
            statement.order_by.append(self.ordering())
            while self.punct(","):
                self.pos += 1
                statement.order_by.append(self.ordering())
        return statement

    def projected_path(self) -> tuple:
        """A path a SELECT returns; a function call there is refused where it stands
        (`SELECT attribute_exists(a)`: "Unexpected path component at 1:8:16")."""
        if self.calls():
            raise ValidationException(f"Unexpected path component at {self.at(self.tok)}")
        return self.path()[1]

    def counts_all(self) -> bool:
        """`COUNT(*)` as what a SELECT returns, taken whole."""
        if not (self.word("COUNT") and [t[1] for t in self.tokens[self.pos + 1:self.pos + 4]] == ["(", "*", ")"]):
            return False
        self.pos += 4
        return True

    def ordering(self) -> tuple[str, bool]:
        name = self.identifier()
        descending = self.word("DESC")
        if descending or self.word("ASC"):
            self.pos += 1
        return name, descending

    def insert(self) -> Statement:
        self.pos += 1
        self.take_word("INTO")
        name = self.table_name()
        if self.tok[0] in ("word", "quoted") and not self.word("VALUE"):
            raise ValidationException(LEFTOVER)  # an alias: INSERT takes none
        self.take_word("VALUE")
        value = self.literal(item=True)
        if "M" not in value:
            raise malformed("INSERT VALUE must be a tuple")
        return Statement("INSERT", name, item=value["M"])

    def update(self) -> Statement:
        self.pos += 1
        name = self.table_name()
        self.no_alias()
        statement = Statement("UPDATE", name)
        self.assignments(statement)
        statement.where = self.where()
        statement.returning = self.returning()
        return statement

    def from_first_update(self) -> Statement:
        """`FROM t [WHERE ...] SET ...`: UPDATE written FROM first, its assignments last."""
        self.pos += 1
        name = self.table_name()
        self.no_alias()
        statement = Statement("UPDATE", name)
        if self.word("WHERE"):
            statement.where = self.where()
        self.assignments(statement)
        statement.returning = self.returning()
        return statement

    def assignments(self, statement: Statement) -> None:
        """An UPDATE's SET and REMOVE clauses, as many as there are."""
        while self.word("SET", "REMOVE"):
            if self.word("SET"):
                self.pos += 1
                while True:
                    target = self.path()
                    self.take_punct("=")
                    if self.calls() and self.tok[1].upper() in _SET_FUNCTIONS:
                        name_token = self.tok
                        value = self.set_function(target)
                        (statement.set_adds if name_token[1].upper() == "SET_ADD" else statement.set_deletes).append(
                            (target, value))
                    else:
                        statement.sets.append((target, self.set_value()))
                    if not self.punct(","):
                        break
                    self.pos += 1
            else:
                self.pos += 1
                statement.removes.append(self.path())
                while self.punct(","):
                    self.pos += 1
                    statement.removes.append(self.path())
        if not (statement.sets or statement.removes or statement.set_adds or statement.set_deletes):
            raise malformed("Expected SET or REMOVE")

    def delete(self) -> Statement:
        self.pos += 1
        self.take_word("FROM")
        name = self.table_name("Expected identifier for simple path")
        self.no_alias()
        statement = Statement("DELETE", name)
        statement.where = self.where()
        statement.returning = self.returning()
        return statement

    def returning(self) -> str | None:
        if not self.word("RETURNING"):
            return None
        self.pos += 1
        scope = self.identifier().upper()
        which = self.identifier().upper()
        self.take_punct("*")
        return f"{scope}_{which}"

    def where(self) -> tuple:
        self.take_word("WHERE")
        return self.condition()

    def condition(self) -> tuple:
        node = self.conjunction()
        while self.word("OR"):
            self.pos += 1
            self.right_hand_side()
            node = ("or", node, self.conjunction())
        return node

    def right_hand_side(self) -> None:
        if self.tok[0] == "eof" or self.punct(";"):
            raise malformed("Missing right-hand side expression of infix operator")

    def conjunction(self) -> tuple:
        node = self.negation()
        while self.word("AND"):
            self.pos += 1
            self.right_hand_side()
            node = ("and", node, self.negation())
        return node

    def negation(self) -> tuple:
        if self.word("NOT"):
            self.pos += 1
            return ("not", self.negation())
        return self.predicate()

    def predicate(self) -> tuple:
        if self.punct("("):
            self.pos += 1
            node = self.condition()
            self.take_punct(")")
            return node
        if self.calls() and self.tok[1].lower() in _CONDITION_FUNCTIONS:
            return self.compared_with_boolean(self.condition_function())
        left = self.operand()
        if self.word("IS"):
            self.pos += 1
            negate = False
            if self.word("NOT"):
                self.pos += 1
                negate = True
            if self.word("MISSING"):
                self.pos += 1
                return ("func", "attribute_exists" if negate else "attribute_not_exists", (left,))
            if self.word("NULL"):
                type_name = "NULL"
            elif self.tok[0] == "word" and self.tok[1].upper() in _TYPE_NAMES:
                type_name = _TYPE_NAMES[self.tok[1].upper()]
            elif self.tok[0] == "word" and self.tok[1].upper() in _UNTESTED_TYPES:
                raise ValidationException("Unsupported operation: IsType")
            else:
                raise malformed("Expected type name")
            self.pos += 1
            node = ("func", "attribute_type", (left, ("value", {"S": type_name}, "")))
            return ("not", node) if negate else node
        if self.word("BETWEEN"):
            self.pos += 1
            low = self.operand()
            self.take_word("AND")
            high = self.operand()
            _check_ordered("BETWEEN", (left, low, high))
            return ("between", left, low, high)
        if self.word("IN"):
            self.pos += 1
            closing = "]" if self.punct("[") else ")"
            self.pos += 1
            options = [self.operand()]
            while self.punct(","):
                self.pos += 1
                options.append(self.operand())
            self.take_punct(closing)
            return ("in", left, tuple(options))
        kind, text, _ = self.tok
        if kind == "punct" and text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            right = self.operand()
            if text in ("<", "<=", ">", ">="):
                _check_ordered(text, (left, right))
            return ("cmp", "<>" if text == "!=" else text, left, right)
        raise malformed(f"Unexpected token: {text}")

    def condition_function(self) -> tuple:
        """attribute_exists(path), begins_with(path, operand), ...: DynamoDB's condition functions."""
        name = self.tok[1].lower()
        self.pos += 2
        arguments = self.arguments()
        if len(arguments) != _CONDITION_FUNCTIONS[name]:
            raise ValidationException("Incorrect number of operands for operator or function; "
                                      f"operator or function: {name}, number of operands: {len(arguments)}")
        if arguments[0][0] != "path":
            raise ValidationException(
                f"Operator or function requires a document path; operator or function: {name}")
        return ("func", name, tuple(arguments))

    def arguments(self) -> list[tuple]:
        """A call's operands, after its opening parenthesis, through its closing one."""
        arguments = []
        while not self.punct(")"):
            if self.tok[0] == "eof":
                raise malformed("Expected )")
            arguments.append(self.operand())
            if not self.punct(","):
                break
            self.pos += 1
        self.take_punct(")")
        return arguments

    def compared_with_boolean(self, node: tuple) -> tuple:
        """`attribute_exists(a) = true` is the function itself; `= false` (or `<> true`) its negation."""
        if self.tok[0] == "punct" and self.tok[1] in ("=", "<>", "!=") and self.tokens[self.pos + 1][0] == "word" \
                and self.tokens[self.pos + 1][1].upper() in ("TRUE", "FALSE"):
            wanted = (self.tokens[self.pos + 1][1].upper() == "TRUE") == (self.tok[1] == "=")
            self.pos += 2
            return node if wanted else ("not", node)
        return node

    def operand(self) -> tuple:
        kind, text, _ = self.tok
        if self.calls():
            if text.lower() == "size":
                self.pos += 2
                target = self.path()
                self.take_punct(")")
                return ("size", target)
            raise ValidationException(f"Unrecognized function: {text.lower()} at {self.at(self.tok)}")
        if kind == "word" and text.upper() in _OPERATOR_WORDS:
            raise malformed("Unexpected operator")
        if kind == "word" and text.upper() in _CLAUSE_WORDS:
            raise malformed("Unexpected keyword")
        if kind in ("word", "quoted") and not self.word("TRUE", "FALSE", "NULL"):
            return self.path()
        return ("value", self.literal(), "")

    def set_function(self, target: tuple) -> tuple:
        """`a = set_add(a, <<...>>)` or set_delete: the set to add or remove (the first argument
        must be the assigned path itself)."""
        name_token = self.tok
        name = name_token[1].upper()
        self.pos += 2
        first_token = self.tok
        arguments = self.arguments()
        if len(arguments) != 2:
            raise ValidationException(f"{name} must have exactly two arguments at {self.at(name_token)}")
        if arguments[0] != target:
            raise ValidationException(f"The first argument to {name} must equal the assignment value at "
                                      f"{self.at(name_token)}")
        value = arguments[1]
        if value[0] != "value" or next(iter(value[1])) not in ("SS", "NS", "BS"):
            raise ValidationException(f"The second argument to {name} must be a value with type SET at "
                                      f"{self.at(first_token)}")
        return value

    def set_value(self) -> tuple:
        if self.calls() and self.tok[1].lower() == "list_append":
            self.pos += 2
            first = self.update_operand()
            self.take_punct(",")
            second = self.update_operand()
            self.take_punct(")")
            return ("list_append", first, second)
        left = self.update_operand()
        if self.punct("+") or self.punct("-"):
            op = self.tok[1]
            self.pos += 1
            return (op, left, self.update_operand())
        return left

    def update_operand(self) -> tuple:
        """An operand of a SET value: size() belongs to conditions only, as in UpdateItem."""
        if self.calls() and self.tok[1].lower() == "size":
            raise ValidationException("The function is not allowed to be used this way in an expression; function: size")
        return self.operand()

    def path(self) -> tuple:
        elements: list[str | int] = [self.identifier()]
        while True:
            if self.punct("."):
                self.pos += 1
                if self.tok[0] == "word" and self.tok[1].upper() in _SQL92_KEYWORDS:
                    raise malformed("Invalid path dot component")
                elements.append(self.identifier())
            elif self.punct("["):
                self.pos += 1
                kind, text, _ = self.tok
                if kind == "number":
                    elements.append(int(text))
                elif kind == "string":
                    elements.append(text[1:-1].replace("''", "'"))
                else:
                    raise malformed("Expected index")
                self.pos += 1
                self.take_punct("]")
            else:
                return ("path", tuple(elements))

    def literal(self, path: str = "root", item: bool = False) -> dict:
        """A literal value; `path` names where it sits inside an attribute's value (root,
        root.key, root[1]), as DynamoDB appends it to a number's error. An INSERT's item is no
        attribute value: each of its attributes is a root."""
        token = self.tok
        kind, text, _ = token
        if kind == "eof" or (kind == "punct" and text == ";"):
            raise malformed("Unexpected term")
        self.pos += 1
        if kind == "string":
            return {"S": text[1:-1].replace("''", "'")}
        if kind == "number":
            if java_scale_overflows(text):
                raise ValidationException(NOT_WELL_FORMED)  # a literal Java cannot read at all
            try:
                return {"N": normalize_number(text)}
            except ValidationException as error:
                raise ValidationException(f"{error.message} under {path}") from None
            except ArithmeticError:  # an exponent beyond what a number can carry at all
                raise ValidationException(NOT_WELL_FORMED) from None
        if kind == "word" and text.upper() in ("TRUE", "FALSE"):
            return {"BOOL": text.upper() == "TRUE"}
        if kind == "word" and text.upper() == "NULL":
            return {"NULL": True}
        if kind == "punct" and text == "?":
            if self.used_parameters >= len(self.parameters):
                raise ValidationException("Number of parameters in request and statement don't match.")
            value = validate_value(self.parameters[self.used_parameters])
            self.used_parameters += 1
            return value
        if kind == "punct" and text == "{":
            entries: dict[str, dict] = {}
            while not self.punct("}"):
                key_kind, key, _ = self.tok
                if key_kind not in ("string", "quoted"):
                    raise malformed("Expected key")
                self.pos += 1
                self.take_punct(":")
                entries[key[1:-1]] = self.literal("root" if item else f"{path}.{key[1:-1]}")
                if self.punct(","):
                    self.pos += 1
            self.pos += 1
            return {"M": entries}
        if kind == "punct" and text == "[":
            elements: list[dict] = []
            while not self.punct("]"):
                elements.append(self.literal(f"{path}[{len(elements)}]"))
                if self.punct(","):
                    self.pos += 1
            self.pos += 1
            return {"L": elements}
        if kind == "punct" and text == "<<":
            members = []
            while not self.punct(">>"):
                members.append(self.literal())
                if self.punct(","):
                    self.pos += 1
            self.pos += 1
            if not members:
                raise ValidationException("Empty bags are not supported")
            kinds = {next(iter(m)) for m in members}
            if len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
                raise malformed("Set members must be strings, numbers or binaries of one type")
            set_kind = next(iter(kinds))
            strings = [m["S"] for m in members] if set_kind == "S" else []
            if len(set(strings)) != len(strings):  # listed as written, unquoted (partiqlFunctions captures)
                raise ValidationException(older_duplicates_message("SS", strings))
            try:
                return validate_value({set_kind + "S": [m[set_kind] for m in members]})
            except ValidationException as error:  # a literal's refusal: one wording (parameters are layered)
                raise ValidationException(error.message) from None
        if kind == "word" and self.punct("("):  # a function where a value belongs (set_add in an INSERT)
            raise ValidationException(f"Unsupported data type: {text} under key {path} at {self.at(token)}")
        raise malformed(f"Unexpected token: {text}")


def parse_statement(text: str, parameters: list[Any] | None = None) -> Statement:
    if not text or not text.strip():
        raise ValidationException("1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length greater than or equal to 1")
    return _Parser(text, parameters).statement()
