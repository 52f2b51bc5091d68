"""Typed service errors. Providers raise them; the one error path serializes them.

A service's own errors subclass ServiceError in services/<svc>/errors.py, setting `code` and
`status` as AWS does. Extra keyword arguments become extra members of the error body (S3's
<BucketName>, DynamoDB's CancellationReasons, ...), serialized by the protocol in use; members
whose names are not Python identifiers ('Content-MD5', 'X-Amz-Expires') go in `members`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    code: str = "InternalFailure"
    status: int = 400
    sender_fault: bool = True
    message: str = ""
    # The body member the JSON protocols write the message under; None: the error shape's own
    # (a few errors switch case with their other members, see DynamoDB's ConditionalCheckFailed).
    message_key: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        sender_fault: bool | None = None,
        headers: dict[str, str] | None = None,
        members: Mapping[str, Any] | None = None,
        **fields: Any,
    ):
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if sender_fault is not None:
            self.sender_fault = sender_fault
        self.fields: dict[str, Any] = {**members, **fields} if members else fields
        self.headers: dict[str, str] = headers or {}
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.status}, {self.message!r})"


class NotImplementedOperation(ServiceError):
    """An operation that the service's model has and Overcast does not implement yet."""

    code = "NotImplemented"
    status = 501
    sender_fault = False

    def __init__(self, service: str, operation: str):
        super().__init__(f"Overcast does not implement {service}:{operation} yet.")


class UnknownOperation(ServiceError):
    code = "UnknownOperationException"
    status = 400

    def __init__(self, message: str = "The requested operation is not recognized by the service."):
        super().__init__(message)


class ValidationError(ServiceError):
    """Input that the model rejects (missing required member, wrong type, bad body)."""

    code = "ValidationException"
    status = 400


class SerializationError(ServiceError):
    """A body that cannot be decoded at all (broken JSON, XML or CBOR)."""

    code = "SerializationException"
    status = 400


class InternalError(ServiceError):
    code = "InternalFailure"
    status = 500
    sender_fault = False

    def __init__(self, message: str = "We encountered an internal error. Please try again."):
        super().__init__(message)


class AccessDenied(ServiceError):
    code = "AccessDenied"
    status = 403


class SignatureDoesNotMatch(ServiceError):
    code = "SignatureDoesNotMatch"
    status = 403


class InvalidAccessKeyId(ServiceError):
    code = "InvalidAccessKeyId"
    status = 403


class UnrecognizedClient(ServiceError):
    code = "UnrecognizedClientException"
    status = 403
