"""BatchGetItem and BatchWriteItem."""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity
from overcast.services.dynamodb.errors import ValidationException
from overcast.services.dynamodb.expressions.projection import project
from overcast.services.dynamodb.items import prepare_delete, prepare_put
from overcast.services.dynamodb.requests import expression_context, projection_from, validate_key
from overcast.services.dynamodb.types import item_size
from overcast.storage.interface import Tx

MAX_GET_KEYS = 100
MAX_WRITES = 25
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def _key_identity(key: dict) -> tuple:
    return tuple(sorted((name, next(iter(value.items()))[0], repr(next(iter(value.values())))) for name, value in key.items()))


class BatchMixin:
    def batch_get_item(self, ctx: RequestContext, params: dict) -> dict:
        request = params.get("RequestItems") or {}
        if not request:
            raise ValidationException(
                "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        total = sum(len(spec.get("Keys") or []) for spec in request.values())
        if total > MAX_GET_KEYS:
            raise ValidationException("Too many items requested for the BatchGetItem call")
        plans = []
        for name, spec in request.items():
            table = self._table(ctx, name)
            expressions = expression_context(spec, ("ProjectionExpression",))
            paths = projection_from(spec, expressions)
            expressions.check_unused()
            keys = [validate_key(table, key) for key in spec.get("Keys") or []]
            if not keys:
                raise ValidationException(
                    "1 validation error detected: Value '[]' at 'requestItems." + name + ".member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1")
            seen = set()
            for key in keys:
                identity = _key_identity(key)
                if identity in seen:
                    raise ValidationException("Provided list of item keys contains duplicates")
                seen.add(identity)
            plans.append((name, table, keys, paths, bool(spec.get("ConsistentRead"))))
        responses: dict[str, list] = {}
        unprocessed: dict[str, dict] = {}
        used = []
        mode = params.get("ReturnConsumedCapacity")
        response_bytes = 0
        for requested_name, table, keys, paths, consistent in plans:
            found = responses.setdefault(table.name, [])
            units = 0.0
            for position, key in enumerate(keys):
                if response_bytes > MAX_RESPONSE_BYTES:
                    # Past DynamoDB's 16 MB answer, the rest is handed back to be asked for again.
                    spec = {k: v for k, v in request[requested_name].items() if k != "Keys"}
                    unprocessed[requested_name] = {**spec, "Keys": keys[position:]}
                    break
                item = self._read_item(table, key)
                size = item_size(item) if item else 0
                response_bytes += size
                units += capacity.read_units(size, consistent)
                if item is not None:
                    found.append(project(item, paths) if paths is not None else item)
            consumed = capacity.consumed(table, units, mode, read=True)
            if consumed:
                used.append(consumed)
        result: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        if used:
            result["ConsumedCapacity"] = used
        return result

    async def batch_write_item(self, ctx: RequestContext, params: dict) -> dict:
        request = params.get("RequestItems") or {}
        if not request:
            raise ValidationException(
                "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
        total = sum(len(actions or []) for actions in request.values())
        if total > MAX_WRITES or any(not actions for actions in request.values()):
            raise ValidationException(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
                "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
        writes = []
        for name, actions in request.items():
            table = self._table(ctx, name)
            seen = set()
            for action in actions:
                if "PutRequest" in action and "DeleteRequest" not in action:
                    write = prepare_put(table, {"Item": action["PutRequest"].get("Item")})
                elif "DeleteRequest" in action and "PutRequest" not in action:
                    write = prepare_delete(table, {"Key": action["DeleteRequest"].get("Key")})
                else:
                    raise ValidationException(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
                        if action else "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint")
                identity = _key_identity(write.key)
                if identity in seen:
                    raise ValidationException("Provided list of item keys contains duplicates")
                seen.add(identity)
                writes.append(write)
        # Capacity is the only use of the replaced items here.
        keep_old = params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")
        for write in writes:
            write.keep_old = keep_old
        now = self._now()

        def run(tx: Tx) -> list:
            return [(w, *w.run(tx, now)) for w in writes]

        outcomes = await self.db.write(run)
        result: dict[str, Any] = {"UnprocessedItems": {}}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES"):
            by_table: dict[str, Any] = {}
            for write, old, new in outcomes:
                units = capacity.write_units(max(item_size(old) if old else 0, item_size(new) if new else 0))
                by_table.setdefault(write.table.name, [write.table, 0.0])[1] += units
            result["ConsumedCapacity"] = [capacity.consumed(t, u, mode) for t, u in by_table.values()]
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            metrics: dict[str, list] = {}
            for write, _, _ in outcomes:
                m = capacity.collection_metrics(write.table, write.key, "SIZE")
                if m:
                    metrics.setdefault(write.table.name, []).append(m)
            result["ItemCollectionMetrics"] = metrics
        return result
