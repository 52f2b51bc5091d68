"""One item write (put, update, delete, condition check), prepared on the request path and run
on the writer inside its transaction, so that the condition check and the write are atomic."""

from __future__ import annotations

from overcast.services.dynamodb import store, streams
from overcast.services.dynamodb.errors import ConditionalCheckFailedException, ValidationException
from overcast.services.dynamodb.expressions.evaluator import evaluate
from overcast.services.dynamodb.expressions.update import apply_update
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.requests import check_item
from overcast.services.dynamodb.types import values_equal
from overcast.storage.interface import Tx


class Write:
    """One prepared write. A plain class with slots: a transaction builds up to a hundred of
    these per request, and a dataclass's generated __init__ plus __post_init__ cost more."""

    __slots__ = ("table", "key", "action", "item", "clauses", "condition", "return_old_on_failure",
                 "failure_code", "failure_message", "keep_old", "new_size", "text", "pk", "sk")

    def __init__(self, table: Table, key: dict, action: str, item: dict | None = None, clauses: dict | None = None,
                 condition: tuple | None = None, return_old_on_failure: bool = False,
                 failure_code: str = "ConditionalCheckFailed",
                 failure_message: str = "The conditional request failed",
                 keep_old: bool = True, new_size: int | None = None, text: str | None = None) -> None:
        self.table = table
        self.key = key
        self.action = action  # put, update, delete, check
        self.item = item
        self.clauses = clauses
        self.condition = condition
        self.return_old_on_failure = return_old_on_failure
        # How a failed condition is reported inside a transaction (PartiQL INSERT says DuplicateItem).
        self.failure_code = failure_code
        self.failure_message = failure_message
        # Whether the caller uses the previous item (ReturnValues, consumed capacity); when neither
        # it nor the engine does, a put skips reading it.
        self.keep_old = keep_old
        # The size of the item this write stores, once known (measured when it was validated).
        self.new_size = new_size
        # A put's item already encoded for storage, when the request path needed it anyway.
        self.text = text
        self.pk, self.sk = store.key_bytes(table, key)

    @classmethod
    def plain_put(cls, table: Table, key: dict, item: dict, size: int) -> Write:
        """An unconditional put whose item is validated and sized: built with positional
        arguments (a transaction makes up to a hundred, and a keyword call costs several times more)."""
        return cls(table, key, "put", item, None, None, False, "ConditionalCheckFailed",
                   "The conditional request failed", True, size)

    @property
    def identity(self) -> tuple[int, bytes, bytes]:
        return (self.table.id, self.pk, self.sk)

    def read(self, tx: Tx) -> dict | None:
        return store.read_item(tx, self.table, self.pk, self.sk)

    def read_old(self, tx: Tx) -> dict | None:
        """The item this write replaces, or None when nothing needs it: an unconditional put
        into a table without indexes or a stream overwrites blindly, one statement fewer."""
        if (self.action == "put" and not self.keep_old and self.condition is None
                and not self.table.indexes() and self.table.stream_spec is None and not self.table.vector_indexes()):
            return None
        return self.read(tx)

    def check(self, old: dict | None) -> None:
        if self.condition is not None and not evaluate(self.condition, old):
            raise ConditionalCheckFailedException(old if self.return_old_on_failure and old is not None else None)

    def compute(self, old: dict | None) -> dict | None:
        if self.action == "put":
            return self.item
        if self.action == "delete":
            return None
        if self.action == "check":
            return old
        base = old if old is not None else dict(self.key)
        new = apply_update(self.clauses or {}, base)
        for name in self.table.key_names:
            if name not in new:
                raise ValidationException(
                    f"One or more parameter values were invalid: Cannot update attribute {name}. This attribute is part of the key")
        self.new_size = check_item(self.table, new, updating=True)
        return new

    def apply(self, tx: Tx, old: dict | None, new: dict | None, now: float, identity: dict | None = None) -> None:
        if self.action == "check" or (old is None and new is None):
            return
        store.write_item(tx, self.table, self.pk, self.sk, old, new, now, self.new_size,
                         self.text if self.action == "put" else None)
        # DynamoDB writes no stream record for a write that leaves the item as it was.
        if old is not None and new is not None and values_equal({"M": old}, {"M": new}):
            return
        streams.append_record(tx, self.table, self.key, old, new, now, identity)

    def run(self, tx: Tx, now: float) -> tuple[dict | None, dict | None]:
        old = self.read_old(tx)
        self.check(old)
        new = self.compute(old)
        self.apply(tx, old, new, now)
        return old, new
