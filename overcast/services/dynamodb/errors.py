"""DynamoDB's typed errors (codes and statuses as DynamoDB answers them)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from overcast.protocol.errors import ServiceError


class DynamoError(ServiceError):
    status = 400


class ValidationException(DynamoError):
    code = "ValidationException"


class ResourceNotFoundException(DynamoError):
    code = "ResourceNotFoundException"
    message = "Requested resource not found"


class ResourceInUseException(DynamoError):
    code = "ResourceInUseException"


class ConditionalCheckFailedException(DynamoError):
    code = "ConditionalCheckFailedException"
    message = "The conditional request failed"

    def __init__(self, item: dict[str, Any] | None = None):
        # ReturnValuesOnConditionCheckFailure=ALL_OLD puts the old item into the error body, and
        # then DynamoDB writes the message as "Message", not the shape's "message" (moto's
        # aws_verified TestReturnValuesOnConditionCheckFailure: "message" not in the response).
        if item is not None:
            self.message_key = "Message"
            super().__init__(Item=item)
        else:
            super().__init__()
        self.item = item


class TransactionCanceledException(DynamoError):
    code = "TransactionCanceledException"

    def __init__(self, reasons: list[dict[str, Any]]):
        codes = ", ".join(r.get("Code", "None") for r in reasons)
        super().__init__(
            f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
            CancellationReasons=reasons,
        )
        self.reasons = reasons


class TransactionConflictException(DynamoError):
    code = "TransactionConflictException"


class ItemCollectionSizeLimitExceededException(DynamoError):
    code = "ItemCollectionSizeLimitExceededException"


class IdempotentParameterMismatchException(DynamoError):
    code = "IdempotentParameterMismatchException"


class LimitExceededException(DynamoError):
    code = "LimitExceededException"


class TableNotFoundException(DynamoError):
    code = "TableNotFoundException"


class GlobalTableNotFoundException(DynamoError):
    code = "GlobalTableNotFoundException"


class TableAlreadyExistsException(DynamoError):
    code = "TableAlreadyExistsException"


class TableInUseException(DynamoError):
    code = "TableInUseException"


class BackupNotFoundException(DynamoError):
    code = "BackupNotFoundException"


class BackupInUseException(DynamoError):
    code = "BackupInUseException"


class ContinuousBackupsUnavailableException(DynamoError):
    code = "ContinuousBackupsUnavailableException"


class PointInTimeRecoveryUnavailableException(DynamoError):
    code = "PointInTimeRecoveryUnavailableException"


class InvalidRestoreTimeException(DynamoError):
    code = "InvalidRestoreTimeException"


class DuplicateItemException(DynamoError):
    code = "DuplicateItemException"


class PolicyNotFoundException(DynamoError):
    code = "PolicyNotFoundException"


# Exports to S3 and imports from S3 (exports.py, imports.py).
class ExportConflictException(DynamoError):
    code = "ExportConflictException"


class ExportNotFoundException(DynamoError):
    code = "ExportNotFoundException"


class InvalidExportTimeException(DynamoError):
    code = "InvalidExportTimeException"


class ImportConflictException(DynamoError):
    code = "ImportConflictException"


class ImportNotFoundException(DynamoError):
    code = "ImportNotFoundException"


class InvalidRequest(ValidationException):
    """A refusal of the request's own form that PutItem, UpdateItem and DeleteItem answer in the
    one-error envelope and every other operation bare (paritysuite/dynamodb-conformance,
    putItem/updateItem/deleteItem.test.ts "request validation envelope", eu-west-2 and
    us-east-1): expression attributes without an expression or empty, an empty expression, a
    value the expressions use but do not define, a malformed legacy Expected condition."""

    def enveloped(self) -> ValidationException:
        return ValidationException(f"1 validation error detected: {self.message}")

    def in_older_words(self) -> ValidationException:
        return self


class InvalidAttributeValue(InvalidRequest):
    """A refusal of an attribute value itself (a number, a set, nesting). DynamoDB checks values
    in one of two layers, and the operation decides which (paritysuite/dynamodb-conformance,
    valueLayers.test.ts, captured in four Regions; us-east-1's choice where they differ):
    - the current one (PutItem, UpdateItem and DeleteItem in the one-error envelope, wherever the
      value sits; GetItem, BatchGetItem and Query bare): `message`;
    - the older one (BatchWriteItem, TransactWriteItems, TransactGetItems, Scan): bare, in
      `older`'s words, an expression value's inside "ExpressionAttributeValues contains invalid
      value: ... for key :k" (`key`: ExpressionContext.checked_value sets it on the exception as
      it passes, the one place that knows which value it was)."""

    def __init__(self, message: str, older: str | None = None) -> None:
        super().__init__(message)
        self.older = message if older is None else older
        self.key: str | None = None

    def in_older_words(self) -> ValidationException:
        if self.key is None:
            return ValidationException(self.older)
        return ValidationException(f"ExpressionAttributeValues contains invalid value: {self.older} for key {self.key}")


class _ValueWords:
    """Words an InvalidAttributeValue raised inside it in one layer's words. Stateless, so one
    instance per layer serves every request (entering it costs two method calls)."""

    __slots__ = ("_layer",)

    def __init__(self, layer: Callable[[InvalidRequest], ValidationException]) -> None:
        self._layer = layer

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        if isinstance(error, InvalidRequest):
            raise self._layer(error) from None


# Called on the refusal itself: an InvalidAttributeValue words the older layer its own way.
_CURRENT_WORDS = _ValueWords(lambda error: error.enveloped())
_OLDER_WORDS = _ValueWords(lambda error: error.in_older_words())


def current_value_words() -> _ValueWords:
    """PutItem, UpdateItem and DeleteItem: a value, or the request's form, refused while the
    request is read is answered in the one-error envelope (see InvalidRequest and
    InvalidAttributeValue)."""
    return _CURRENT_WORDS


def in_older_value_words(handler: Callable) -> Callable:
    """For the operations on the older value layer (see InvalidAttributeValue): a value refused
    anywhere in the request is answered in that layer's words."""
    if inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def answer_async(self: Any, ctx: Any, params: dict) -> Any:
            with _OLDER_WORDS:
                return await handler(self, ctx, params)

        return answer_async

    @functools.wraps(handler)
    def answer(self: Any, ctx: Any, params: dict) -> Any:
        with _OLDER_WORDS:
            return handler(self, ctx, params)

    return answer


def invalid_value(detail: str, older: str | None = None) -> InvalidAttributeValue:
    """An InvalidAttributeValue worded as `invalid` words it; `older` is the older layer's whole
    message (prefix included, when it has one)."""
    return InvalidAttributeValue("One or more parameter values were invalid: " + detail, older)


def invalid(detail: str) -> ValidationException:
    """The common 'One or more parameter values were invalid: ...' validation error."""
    return ValidationException(f"One or more parameter values were invalid: {detail}")


def table_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")
