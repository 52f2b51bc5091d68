"""TransactGetItems and TransactWriteItems: all-or-nothing, with idempotency tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity, codec, store
from overcast.services.dynamodb.errors import (
    ConditionalCheckFailedException,
    IdempotentParameterMismatchException,
    ItemCollectionSizeLimitExceededException,
    ResourceNotFoundException,
    TransactionCanceledException,
    ValidationException,
    in_older_value_words,
)
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.items import (
    CHECK_WITHOUT_TABLE,
    prepare_check,
    prepare_delete,
    prepare_put,
    prepare_update,
)
from overcast.services.dynamodb.keys import scan_hash
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.requests import (
    SHORT_KEY,
    check_item,
    expression_context,
    projection_from,
    validate_key,
)
from overcast.services.dynamodb.types import MAX_ITEM_SIZE, item_size, validate_item_sized
from overcast.services.dynamodb.writes import Write
from overcast.storage.interface import Tx

MAX_ACTIONS = 100
# "The aggregate size of the items in the transaction cannot exceed 4 MB" (TransactWriteItems).
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
TOKEN_LIFETIME = 600.0
PRUNE_INTERVAL = 60.0
# The members of a transaction's Put with nothing to evaluate: no condition, no expression attributes.
_PLAIN_TRANSACT_PUT = frozenset({"TableName", "Item"})
_PREPARERS = {"Put": prepare_put, "Delete": prepare_delete, "Update": prepare_update, "ConditionCheck": prepare_check}
# Each action's name in the request's member paths (transactItems.1.member.put.tableName).
_MEMBERS = {"Put": "put", "Delete": "delete", "Update": "update", "ConditionCheck": "conditionCheck"}


def _too_many(count: int) -> ValidationException:
    # DynamoDB's regions answer in two wordings while its validation framework rolls out: the
    # older echoes the list ('[]' when empty), the newer names the member 'TransactItems'. The
    # echo of a long list (Java's printing of a hundred structures) cannot be reproduced, so
    # that case takes the newer wording (paritysuite/dynamodb-conformance, tests/tier3/
    # error-messages/transactWriteItems.test.ts and transactGetItems.test.ts).
    return ValidationException(
        "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
        f"Member must have length less than or equal to {MAX_ACTIONS}" if count > MAX_ACTIONS else
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1")


# A key that does not match the table's schema (wrong type, not a scalar, missing) is found
# while the transaction runs: DynamoDB cancels it, the first such action's reason a
# ValidationError with the message PutItem or GetItem would give, every other action's None.
# An empty key value is refused before, as a plain ValidationException. (paritysuite's
# captures against DynamoDB in four regions, transactWriteItems.test.ts, transactGetItems.test.ts.)
_KEY_ERRORS = ("The provided key element does not match the schema",
               "One or more parameter values were invalid: Missing the key ",
               "One or more parameter values were invalid: Type mismatch for key ")


def _is_key_error(error: ValidationException) -> bool:
    return error.message.startswith(_KEY_ERRORS)


def _cancelled_by_key(count: int, position: int, message: str) -> TransactionCanceledException:
    reasons: list[dict] = [{"Code": "None"} for _ in range(count)]
    reasons[position] = {"Code": "ValidationError", "Message": message}
    return TransactionCanceledException(reasons)


# The model's bounds on ClientRequestToken (TransactWriteItems, ExecuteTransaction).
MAX_TOKEN_LENGTH = 36


def check_client_request_token(params: dict) -> str | None:
    """ClientRequestToken within the model's length bounds (1 to 36 characters), or absent."""
    token = params.get("ClientRequestToken")
    if token is None:
        return None
    if not token or len(token) > MAX_TOKEN_LENGTH:
        bound = ("less than or equal to 36" if token else "greater than or equal to 1")
        raise ValidationException(
            f"1 validation error detected: Value '{token}' at 'clientRequestToken' failed to satisfy constraint: "
            f"Member must have length {bound}")
    return token


class TransactionsMixin:
    _tokens_pruned_at = float("-inf")

    @in_older_value_words
    def transact_get_items(self, ctx: RequestContext, params: dict) -> dict:
        actions = params.get("TransactItems") or []
        if not actions or len(actions) > MAX_ACTIONS:
            raise _too_many(len(actions))
        plans = []
        key_failure: tuple[int, str] | None = None
        for position, action in enumerate(actions):
            spec = action.get("Get")
            if spec is None:
                raise ValidationException("1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null")
            table = self._table(ctx, spec.get("TableName"), member=f"transactItems.{position + 1}.member.get.tableName")
            expressions = expression_context(spec, ("ProjectionExpression",))
            paths = projection_from(spec, expressions)
            expressions.check_unused()
            try:
                key = validate_key(table, spec.get("Key"))
            except ValidationException as error:
                if not _is_key_error(error):
                    raise
                key_failure = key_failure or (position, error.message)
                continue
            plans.append((table, key, paths))
        if key_failure is not None:
            raise _cancelled_by_key(len(actions), *key_failure)
        identities = [(t.id, tuple(sorted(repr(v) for v in k.items()))) for t, k, _ in plans]
        if len(set(identities)) != len(identities):
            raise ValidationException("Transaction request cannot include multiple operations on one item")
        responses = []
        used: dict[str, list] = {}
        items = self._read_snapshot([(table, key) for table, key, _ in plans])
        for (table, _, paths), item in zip(plans, items, strict=True):
            entry = used.setdefault(table.name, [table, 0.0])
            entry[1] += 2 * capacity.read_units(item_size(item) if item else 0, True)
            responses.append({"Item": project(item, paths) if paths is not None else item} if item is not None else {})
        result: dict[str, Any] = {"Responses": responses}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            result["ConsumedCapacity"] = [capacity.consumed(t, u, mode, read=True) for t, u in used.values()]
        return result

    def _read_snapshot(self, keys: list[tuple[Table, dict]]) -> list[dict | None]:
        """The items at these keys as of one moment: a single statement reads one snapshot, so
        a transaction committed meanwhile is seen whole or not at all. (This, and every write
        running whole on the one writer, is why no TransactionConflict can arise here.)"""
        wanted = ", ".join("(?, ?, ?, ?, ?)" for _ in keys)
        args: list[Any] = []
        for n, (table, key) in enumerate(keys):
            pk, sk = store.key_bytes(table, key)
            args += (n, table.id, scan_hash(pk), pk, sk)
        rows = self.db.fetchall(
            f"WITH wanted(n, t, h, p, s) AS (VALUES {wanted}) SELECT wanted.n, item FROM wanted "
            "CROSS JOIN dynamodb_items ON dynamodb_items.table_id = wanted.t AND dynamodb_items.shash = wanted.h "
            "AND dynamodb_items.pk = wanted.p AND dynamodb_items.sk = wanted.s", args)
        items: list[dict | None] = [None] * len(keys)
        for n, text in rows:
            items[n] = codec.loads(text)
        return items

    @in_older_value_words
    async def transact_write_items(self, ctx: RequestContext, params: dict) -> dict:
        actions = params.get("TransactItems") or []
        if not actions or len(actions) > MAX_ACTIONS:
            raise _too_many(len(actions))
        check_client_request_token(params)
        # Capacity is sized by the items replaced, which the plain path does not read.
        sized = capacity.wanted(params.get("ReturnConsumedCapacity"))
        plain = None if sized else self._plain_puts(ctx, actions)
        if plain is not None:
            rows, tables, texts = plain
            token = params.get("ClientRequestToken")
            await self._commit_rows(ctx, rows, token, _request_digest_of(params, texts) if token else "")
            return {}
        writes = []
        aggregate_size = 0
        dumps = codec.dumps
        table: Table | None = None
        table_name = None
        key_failure: tuple[int, str] | None = None
        for position, action in enumerate(actions):
            kind = next(iter(action), None) if len(action) == 1 else None
            if kind not in _PREPARERS or action[kind] is None:
                kinds = [k for k in _PREPARERS if action.get(k) is not None]
                if not kinds:  # us-east-1's words (paritysuite transactWriteItems.test.ts)
                    raise ValidationException(
                        "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request")
                if len(kinds) != 1:
                    raise ValidationException(
                        "TransactItems can only contain one of Check, Put, Update or Delete")
                kind = kinds[0]
            spec = action[kind]
            name = spec.get("TableName")
            if name != table_name or table is None:  # actions on one table: looked up once
                table = self._action_table(ctx, actions, position, kind, name)
                table_name = name
            try:
                write = _PREPARERS[kind](table, spec)
            except ValidationException as error:
                if not _is_key_error(error):
                    raise
                # The action's values and expressions are refused before its key is (moto's
                # aws_verified transaction tests: a second SET, an unused name): checked only here.
                CHECK_WITHOUT_TABLE[kind](spec)
                key_failure = key_failure or (position, error.message)
                continue
            write.keep_old = sized
            if kind == "Put":
                # Encoded once: the idempotency digest and the stored row both use it.
                write.text = dumps(write.item)
                aggregate_size += write.new_size or 0
            else:
                aggregate_size += item_size(write.key) + item_size(spec.get("ExpressionAttributeValues") or {})
            writes.append(write)
        if key_failure is not None:
            raise _cancelled_by_key(len(actions), *key_failure)
        _check_whole(len({(w.table.id, w.pk, w.sk) for w in writes}), len(writes), aggregate_size)
        token = params.get("ClientRequestToken")
        outcomes = await self._commit_transaction(ctx, writes, token, _request_digest(params, writes) if token else "")
        return write_result(params, writes, outcomes)

    def _action_table(self, ctx: RequestContext, actions: list, position: int, kind: str, name: Any) -> Table:
        """The table of action `position`. A malformed name is refused at its place in the
        request; a missing table only once every action's own values and expressions have
        passed, as DynamoDB checks those first (paritysuite validation-ordering/transactions)."""
        try:
            return self._table(ctx, name, member=f"transactItems.{position + 1}.member.{_MEMBERS[kind]}.tableName")
        except ResourceNotFoundException:
            for action in actions:
                for each_kind, spec in action.items():
                    if each_kind in CHECK_WITHOUT_TABLE and isinstance(spec, dict):
                        CHECK_WITHOUT_TABLE[each_kind](spec)
            raise

    def _plain_puts(self, ctx: RequestContext, actions: list) -> tuple[list[tuple], list[Table], list[str]] | None:
        """The usual transaction, every action an unconditional Put (TableName and Item only)
        into a plain table (store.is_plain): its items rows, each action's table and each item's
        stored text, built in one pass without a Write per action. None as soon as an action is
        anything else: the general path then takes the whole request from its first action, so
        errors come in the same order whichever path finds them."""
        # The shapes first (no lookup, nothing that can raise): a transaction with one action of
        # another kind goes to the general path before any item is validated and encoded here.
        for action in actions:
            if type(action) is not dict or len(action) != 1:
                return None
            spec = action.get("Put")
            if type(spec) is not dict or not _PLAIN_TRANSACT_PUT.issuperset(spec):
                return None
        rows = []
        tables = []
        texts = []
        identities = set()
        aggregate_size = 0
        table: Table | None = None
        table_name = None
        hash_key = ""
        string_key = False
        dumps = codec.dumps
        for position, action in enumerate(actions):
            spec = action["Put"]
            name = spec.get("TableName")
            if name != table_name or table is None:  # actions on one table: looked up once
                table = self._action_table(ctx, actions, position, "Put", name)
                if not store.is_plain(table):
                    return None
                table_name = name
                hash_key = table.hash_key
                # A string partition key alone: the usual item needs no check_item call below.
                string_key = table.range_key is None and table.attribute_types.get(hash_key) == "S"
            # What prepare_put checks for such a put, in the same order.
            item, size = validate_item_sized(spec.get("Item"))
            text = dumps(item)
            key = item.get(hash_key) if string_key else None
            key_text = key.get("S") if key is not None else None
            if type(key_text) is str and 0 < len(key_text) <= SHORT_KEY and size <= MAX_ITEM_SIZE:
                # What check_item and key_bytes make of the usual item, without the calls.
                pk = key_text.encode("utf-8")
                identities.add((table.id, pk, b""))
                rows.append(store.upsert_row(table, pk, b"", item, text, size))
            else:
                try:
                    size = check_item(table, item, size=size)
                except ValidationException as error:
                    if _is_key_error(error):
                        return None  # the general path cancels the transaction for it
                    raise
                pk, sk = store.key_bytes(table, item)  # check_item found every key attribute in the item
                identities.add((table.id, pk, sk))
                rows.append(store.upsert_row(table, pk, sk, item, text, size))
            tables.append(table)
            texts.append(text)
            aggregate_size += size
        _check_whole(len(identities), len(rows), aggregate_size)
        return rows, tables, texts

    async def _commit_rows(self, ctx: RequestContext, rows: list[tuple], token: str | None, digest: str) -> None:
        """Commit a transaction of plain puts (see _plain_puts): its token and its items rows,
        one statement each."""
        now = self._now()
        account = token_scope(ctx)

        def run(tx: Tx) -> bool:
            if token and not self._claim_token(tx, account, token, digest, now):
                return False  # already applied: answer as the first time, change nothing
            store.upsert_plain_items(tx, rows)
            return True

        await self.db.write(run)

    async def _commit_transaction(self, ctx: RequestContext, writes: list[Write], token: str | None,
                                  digest: str) -> list[tuple[Write, dict | None, dict | None]] | None:
        """Check every condition, then apply every write, in one database transaction (one job
        on the writer, whatever the number of actions): each write with the item it replaced
        and the item it left, or None when the token says the request was applied before. The
        usual transaction of plain puts takes _plain_puts and _commit_rows instead."""
        now = self._now()
        account = token_scope(ctx)

        def run(tx: Tx) -> list[tuple[Write, dict | None, dict | None]] | None:
            if token and not self._claim_token(tx, account, token, digest, now):
                return None  # already applied: answer as the first time, change nothing
            reasons: list[dict] = []
            planned = []
            failed = False
            for write in writes:
                old = write.read_old(tx)
                try:
                    write.check(old)
                    new = write.compute(old)
                except ConditionalCheckFailedException as error:
                    reason: dict[str, Any] = {"Code": write.failure_code, "Message": write.failure_message}
                    if error.item is not None:
                        reason["Item"] = error.item
                    reasons.append(reason)
                    failed = True
                    continue
                except ValidationException as error:
                    reasons.append({"Code": "ValidationError", "Message": error.message})
                    failed = True
                    continue
                reasons.append({"Code": "None"})
                planned.append((write, old, new))
            if failed:
                raise TransactionCanceledException(reasons)
            plain_rows = []
            for position, (write, old, new) in enumerate(planned):
                if new is not None and write.action != "check" and store.is_plain(write.table):
                    plain_rows.append(_plain_row(write, new))
                    continue
                try:
                    write.apply(tx, old, new, now)
                except ItemCollectionSizeLimitExceededException as error:
                    # Raising rolls back every write this transaction made so far.
                    reasons[position] = {"Code": "ItemCollectionSizeLimitExceeded", "Message": error.message}
                    raise TransactionCanceledException(reasons) from None
            if plain_rows:
                store.upsert_plain_items(tx, plain_rows)
            return planned

        return await self.db.write(run)

    def _claim_token(self, tx: Tx, account: str, token: str, digest: str, now: float) -> bool:
        """Record the token for this request; False when a live token already names it (the
        request was applied before), IdempotentParameterMismatch when it names another one."""
        # Expired tokens are ignored below, so removing them is only housekeeping: done at most
        # once a minute, as it scans every token.
        if not now - PRUNE_INTERVAL < self._tokens_pruned_at <= now:
            tx.execute("DELETE FROM dynamodb_tokens WHERE created < ?", (now - TOKEN_LIFETIME,))
            self._tokens_pruned_at = now
        # One statement in the usual case (a new token): it inserts, or takes over an expired
        # token, and changes a row; a live token is left alone and changes none.
        # (Its change count says which: no RETURNING row to fetch and no cursor to close.)
        if tx.execute(_CLAIM_TOKEN, (account, token, now, digest, now - TOKEN_LIFETIME)).rowcount:
            return True
        row = tx.fetchone("SELECT digest FROM dynamodb_tokens WHERE account = ? AND token = ?", (account, token))
        if row is not None and row[0] != digest:
            raise IdempotentParameterMismatchException(
                "The request uses the same client token as a previous, but non-identical request.")
        return False


def token_scope(ctx: RequestContext) -> str:
    """Whom a ClientRequestToken belongs to: an account in one Region. Each Region's DynamoDB is
    its own service, so the same token sent to two Regions (two tables of one name, or two
    replicas of a global table) is two requests, each applied; the dynamodb_tokens row's account
    column holds "account/Region"."""
    return f"{ctx.account_id}/{ctx.region}"


_CLAIM_TOKEN = (
    "INSERT INTO dynamodb_tokens (account, token, created, digest) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (account, token) DO UPDATE SET created = excluded.created, digest = excluded.digest "
    "WHERE dynamodb_tokens.created <= ?")


def _plain_row(write: Write, new: dict) -> tuple:
    """The items row that stores `new` for a write into a plain table (store.is_plain); a put's
    item was encoded on the request path already."""
    text = write.text if write.action == "put" and write.text is not None else codec.dumps(new)
    return store.upsert_row(write.table, write.pk, write.sk, new, text, write.new_size)


def _check_whole(distinct_items: int, actions: int, aggregate_size: int) -> None:
    """What DynamoDB checks of a transaction as a whole, once every action has been read."""
    if distinct_items != actions:
        raise ValidationException("Transaction request cannot include multiple operations on one item")
    if aggregate_size > MAX_TRANSACTION_BYTES:
        raise ValidationException("Transaction request cannot be larger than 4 MB")


def write_result(params: dict, writes: list[Write],
                 outcomes: list[tuple[Write, dict | None, dict | None]] | None) -> dict[str, Any]:
    """TransactWriteItems' answer: nothing but the consumed capacity when asked for, a table
    each in the order of first mention. A transactional write costs the table twice what a
    plain one does (2 units a KB, the larger of the item before and after); a ConditionCheck
    as much by the item it read. A request answered from its token (outcomes None) is sized by
    what it would write."""
    mode = params.get("ReturnConsumedCapacity")
    if not capacity.wanted(mode):
        return {}
    if outcomes is None:
        outcomes = [(write, None, write.item if write.action == "put" else None) for write in writes]
    tallies: dict[int, capacity.Tally] = {}
    for write, old, new in outcomes:
        tally = capacity.tally_of(tallies, write.table)
        if write.action == "check":
            tally.add(capacity.WRITE, 2 * capacity.write_units(item_size(old) if old else 0))
        else:
            tally.add_write(old, new, factor=2)
    return {"ConsumedCapacity": [tally.report(mode) for tally in tallies.values()]}


def digest_of(request: Any) -> str:
    """What identifies a request for ClientRequestToken: every parameter."""
    return hashlib.sha256(codec.dumps(request).encode()).hexdigest()


def _request_digest(params: dict, writes: list[Write]) -> str:
    """What identifies a request for ClientRequestToken: every parameter. The put items are
    already encoded (write.text), so the digest reuses those encodings instead of encoding the
    whole request again."""
    return _request_digest_of(params, [write.text for write in writes if write.text is not None])


def _request_digest_of(params: dict, texts: list[str]) -> str:
    """The digest of a request whose puts' items, in order, are encoded as `texts`: the request
    without those items, then each item's text."""
    actions = []
    for action in params["TransactItems"]:
        put = action.get("Put")
        if put is not None and put.get("Item") is not None:
            if len(put) == 2 and "TableName" in put:  # {TableName, Item}, the usual put
                action = {"Put": {"TableName": put["TableName"]}}
            else:
                action = {"Put": {k: v for k, v in put.items() if k != "Item"}}
        actions.append(action)
    skeleton = {**params, "TransactItems": actions}
    return hashlib.sha256("\n".join([codec.dumps(skeleton), *texts]).encode()).hexdigest()
