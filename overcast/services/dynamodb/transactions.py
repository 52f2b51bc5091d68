"""TransactGetItems and TransactWriteItems: all-or-nothing, with idempotency tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity, codec
from overcast.services.dynamodb.errors import (
    ConditionalCheckFailedException,
    IdempotentParameterMismatchException,
    TransactionCanceledException,
    ValidationException,
)
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.items import prepare_check, prepare_delete, prepare_put, prepare_update
from overcast.services.dynamodb.requests import expression_context, projection_from, validate_key
from overcast.services.dynamodb.types import item_size
from overcast.storage.interface import Tx

MAX_ACTIONS = 100
TOKEN_LIFETIME = 600.0
PRUNE_INTERVAL = 60.0
_PREPARERS = {"Put": prepare_put, "Delete": prepare_delete, "Update": prepare_update, "ConditionCheck": prepare_check}


def _too_many(member: str, count: int) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {MAX_ACTIONS}" if count > MAX_ACTIONS else
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1")


class TransactionsMixin:
    _tokens_pruned_at = float("-inf")

    def transact_get_items(self, ctx: RequestContext, params: dict) -> dict:
        actions = params.get("TransactItems") or []
        if not actions or len(actions) > MAX_ACTIONS:
            raise _too_many("transactItems", len(actions))
        plans = []
        for action in actions:
            spec = action.get("Get")
            if spec is None:
                raise ValidationException("1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null")
            table = self._table(ctx, spec.get("TableName"))
            expressions = expression_context(spec, ("ProjectionExpression",))
            paths = projection_from(spec, expressions)
            expressions.check_unused()
            plans.append((table, validate_key(table, spec.get("Key")), paths))
        identities = [(t.id, tuple(sorted(repr(v) for v in k.items()))) for t, k, _ in plans]
        if len(set(identities)) != len(identities):
            raise ValidationException("Transaction request cannot include multiple operations on one item")
        responses = []
        used: dict[str, list] = {}
        for table, key, paths in plans:
            item = self._read_item(table, key)
            entry = used.setdefault(table.name, [table, 0.0])
            entry[1] += 2 * capacity.read_units(item_size(item) if item else 0, True)
            responses.append({"Item": project(item, paths) if paths is not None else item} if item is not None else {})
        result: dict[str, Any] = {"Responses": responses}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            result["ConsumedCapacity"] = [capacity.consumed(t, u, mode, read=True) for t, u in used.values()]
        return result

    async def transact_write_items(self, ctx: RequestContext, params: dict) -> dict:
        actions = params.get("TransactItems") or []
        if not actions or len(actions) > MAX_ACTIONS:
            raise _too_many("transactItems", len(actions))
        writes = []
        for action in actions:
            kinds = [k for k in _PREPARERS if action.get(k) is not None]
            if len(kinds) != 1:
                raise ValidationException(
                    "TransactItems can only contain one of Check, Put, Update or Delete")
            spec = action[kinds[0]]
            table = self._table(ctx, spec.get("TableName"))
            write = _PREPARERS[kinds[0]](table, spec)
            write.keep_old = False  # capacity here is 2 units a write, whatever the items' sizes
            writes.append(write)
        identities = [w.identity for w in writes]
        if len(set(identities)) != len(identities):
            raise ValidationException("Transaction request cannot include multiple operations on one item")
        await self._commit_transaction(ctx, writes, params.get("ClientRequestToken"), actions)
        result: dict[str, Any] = {}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            used: dict[str, list] = {}
            for write in writes:
                entry = used.setdefault(write.table.name, [write.table, 0.0])
                entry[1] += 2.0
            result["ConsumedCapacity"] = [capacity.consumed(t, u, mode) for t, u in used.values()]
        return result

    async def _commit_transaction(self, ctx: RequestContext, writes: list, token: str | None, request: Any) -> None:
        """Check every condition, then apply every write, in one database transaction."""
        digest = hashlib.sha256(codec.dumps(request).encode()).hexdigest() if token else ""
        now = self._now()
        account = ctx.account_id

        def run(tx: Tx) -> bool:
            if token:
                row = tx.fetchone("SELECT digest, created FROM dynamodb_tokens WHERE account = ? AND token = ?", (account, token))
                if row is not None and row[1] > now - TOKEN_LIFETIME:
                    if row[0] != digest:
                        raise IdempotentParameterMismatchException(
                            "The request uses the same client token as a previous, but non-identical request.")
                    return False  # already applied: answer as the first time, change nothing
                # Expired tokens are ignored above, so removing them is only housekeeping: done at
                # most once a minute, as it scans every token.
                if not now - PRUNE_INTERVAL < self._tokens_pruned_at <= now:
                    tx.execute("DELETE FROM dynamodb_tokens WHERE created < ?", (now - TOKEN_LIFETIME,))
                    self._tokens_pruned_at = now
                tx.execute(
                    "INSERT INTO dynamodb_tokens (account, token, created, digest) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (account, token) DO UPDATE SET created = excluded.created, digest = excluded.digest",
                    (account, token, now, digest))
            reasons: list[dict] = []
            planned = []
            failed = False
            for write in writes:
                old = write.read_old(tx)
                try:
                    write.check(old)
                    new = write.compute(old)
                except ConditionalCheckFailedException as error:
                    reason = {"Code": write.failure_code, "Message": write.failure_message}
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
            for write, old, new in planned:
                write.apply(tx, old, new, now)
            return True

        await self.db.write(run)
