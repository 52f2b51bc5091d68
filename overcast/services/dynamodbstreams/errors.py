"""DynamoDB Streams' typed errors."""

from __future__ import annotations

from overcast.protocol.errors import ServiceError


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"
    status = 400


class ValidationException(ServiceError):
    code = "ValidationException"
    status = 400


class ExpiredIteratorException(ServiceError):
    code = "ExpiredIteratorException"
    status = 400


class TrimmedDataAccessException(ServiceError):
    code = "TrimmedDataAccessException"
    status = 400
