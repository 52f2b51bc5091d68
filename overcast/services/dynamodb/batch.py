"""BatchGetItem and BatchWriteItem."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import capacity
from overcast.services.dynamodb.errors import (
    ResourceNotFoundException,
    ValidationException,
    in_older_value_words,
)
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


# Key errors of a put's item that BatchWriteItem words as a lookup key's: DynamoDB answers
# "The provided key element does not match the schema" for an item without its partition key
# or with a wrongly typed one, where PutItem names the key (captured against DynamoDB in four
# regions by paritysuite/dynamodb-conformance, tests/tier3/error-messages/batchWriteItem.test.ts).
_PUT_KEY_ERRORS = ("One or more parameter values were invalid: Missing the key ",
                   "One or more parameter values were invalid: Type mismatch for key ")
_KEY_MISMATCH = "The provided key element does not match the schema"


def _request_items(params: dict) -> dict:
    """RequestItems, present and not empty: absent and empty are two different model errors.
    The empty map is worded as DynamoDB's validation framework words it now (paritysuite's
    captures: BatchGetItem in nearly every region, BatchWriteItem in some, the others saying
    "The requestItems parameter is required for BatchWriteItem")."""
    request = params.get("RequestItems")
    if request is None:
        raise ValidationException(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null")
    if not request:
        raise ValidationException(
            "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1")
    return request


_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")


def _check_table_names(request: dict) -> None:
    """BatchGetItem's RequestItems keyed by a malformed table name: the whole map echoed as JSON,
    with every constraint a key must meet (paritysuite batchGetItem.test.ts, recorded against
    DynamoDB; dynalite's suite for the constraint list). A table ARN is read as its name later."""
    if all(name.startswith("arn:") or _TABLE_NAME.fullmatch(name) for name in request):
        return
    shown = json.dumps(request, separators=(",", ":"), ensure_ascii=False,
                       default=lambda value: base64.b64encode(value).decode() if isinstance(value, bytes) else str(value))
    raise ValidationException(
        f"1 validation error detected: Value '{shown}' at 'requestItems' failed to satisfy constraint: Map keys must "
        "satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than "
        "or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")


def _keys_bound(name: str, keys: list) -> None:
    """The model's bounds on one table's Keys (1 to 100), named as DynamoDB names the member."""
    if not keys or len(keys) > MAX_GET_KEYS:
        bound = "less than or equal to 100" if keys else "greater than or equal to 1"
        raise ValidationException(
            f"1 validation error detected: Value at 'RequestItems.{name}.member.Keys' failed to satisfy constraint: "
            f"Member must have length {bound}")


def _prepare_batch_put(table: Any, item: Any) -> Any:
    try:
        return prepare_put(table, {"Item": item})
    except ValidationException as error:
        if error.message.startswith(_PUT_KEY_ERRORS):
            raise ValidationException(_KEY_MISMATCH) from None
        raise


class BatchMixin:
    def batch_get_item(self, ctx: RequestContext, params: dict) -> dict:
        request = _request_items(params)
        _check_table_names(request)
        for name, spec in request.items():
            if spec.get("Keys") is not None:
                _keys_bound(name, spec["Keys"])
        total = sum(len(spec.get("Keys") or []) for spec in request.values())
        if total > MAX_GET_KEYS:
            raise ValidationException("Too many items requested for the BatchGetItem call")
        # One request reads either way, not one table by expression and another by attribute list
        # (paritysuite batchGetItem.test.ts: refused, as within one table).
        if any(spec.get("ProjectionExpression") is not None for spec in request.values()) and \
                any(spec.get("AttributesToGet") is not None for spec in request.values()):
            raise ValidationException("Can not use both expression and non-expression parameters in the same request: "
                                      "Non-expression parameters: {AttributesToGet} Expression parameters: "
                                      "{ProjectionExpression}")
        plans = []
        for name, spec in request.items():
            try:
                table = self._table(ctx, name)
            except ResourceNotFoundException:
                # A projection's own problems (an unused name) come before a missing table (moto's
                # aws_verified test_batch_get_item_unused_attribute_name).
                for each in request.values():
                    unchecked = expression_context(each, ("ProjectionExpression",))
                    projection_from(each, unchecked)
                    unchecked.check_unused()
                raise
            expressions = expression_context(spec, ("ProjectionExpression",))
            paths = projection_from(spec, expressions)
            expressions.check_unused()
            keys = [validate_key(table, key) for key in spec.get("Keys") or []]
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
            found = responses.setdefault(requested_name, [])  # keyed as asked: a name, or the table's ARN
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

    @in_older_value_words
    async def batch_write_item(self, ctx: RequestContext, params: dict) -> dict:
        request = _request_items(params)
        for name, actions in request.items():
            # The model's bounds on each table's list of requests, as DynamoDB words them (the
            # paritysuite captures): an empty list is echoed; a long one is named by its member
            # path, the validation framework's wording (the older one echoes the whole request).
            if not actions:
                # The echo of a request of several tables (Java's map order) is not reproduced.
                value = f"Value '{{{name}=[]}}' " if len(request) == 1 else "Value "
                raise ValidationException(
                    f"1 validation error detected: {value}at 'requestItems' failed to satisfy constraint: "
                    "Map value must satisfy constraint: "
                    "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
            if len(actions) > MAX_WRITES:
                raise ValidationException(
                    f"1 validation error detected: Value at 'RequestItems.{name}.member' failed to satisfy constraint: "
                    "Member must have length less than or equal to 25")
        if sum(len(actions) for actions in request.values()) > MAX_WRITES:
            # Every table's list within the model's limit, but more than 25 requests in all.
            raise ValidationException("Too many items requested for the BatchWriteItem call")
        if any(not action for actions in request.values() for action in actions):
            # A WriteRequest with neither member is refused as DynamoDB words it (dynalite's
            # test suite, recorded against DynamoDB, and DynamoDB Local say the same).
            raise ValidationException(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
        writes = []
        for name, actions in request.items():
            table = self._table(ctx, name)
            seen = set()
            for action in actions:
                if "PutRequest" in action and "DeleteRequest" not in action:
                    write = _prepare_batch_put(table, action["PutRequest"].get("Item"))
                elif "DeleteRequest" in action and "PutRequest" not in action:
                    write = prepare_delete(table, {"Key": action["DeleteRequest"].get("Key")})
                else:  # both members set (DynamoDB Local words it so; neither was refused above)
                    raise ValidationException(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
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
        if capacity.wanted(mode):
            tallies: dict[int, capacity.Tally] = {}
            for write, old, new in outcomes:
                tally = capacity.tally_of(tallies, write.table)
                tally.add_write(old, new)
            result["ConsumedCapacity"] = [tally.report(mode) for tally in tallies.values()]
        if params.get("ReturnItemCollectionMetrics") == "SIZE":
            metrics: dict[str, list] = {}
            for write, _, _ in outcomes:
                m = capacity.collection_metrics(write.table, write.key, "SIZE")
                if m:
                    metrics.setdefault(write.table.name, []).append(m)
            result["ItemCollectionMetrics"] = metrics
        return result
