"""DynamoDB's typed errors (codes and statuses as DynamoDB answers them)."""

from __future__ import annotations

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
        # ReturnValuesOnConditionCheckFailure=ALL_OLD puts the old item into the error body.
        if item is not None:
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


def invalid(detail: str) -> ValidationException:
    """The common 'One or more parameter values were invalid: ...' validation error."""
    return ValidationException(f"One or more parameter values were invalid: {detail}")


def table_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")
