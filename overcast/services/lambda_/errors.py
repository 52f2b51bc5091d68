"""Lambda's errors, with the codes, statuses and wording that AWS uses."""

from __future__ import annotations

from overcast.protocol.errors import ServiceError


class ResourceNotFound(ServiceError):
    code = "ResourceNotFoundException"
    status = 404

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class ResourceConflict(ServiceError):
    code = "ResourceConflictException"
    status = 409

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class AccessDenied(ServiceError):
    """Refused by a resource-based policy (another account's layer version that is not shared)."""

    code = "AccessDeniedException"
    status = 403


class InvalidParameterValue(ServiceError):
    code = "InvalidParameterValueException"
    status = 400

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class ProvisionedConcurrencyConfigNotFound(ServiceError):
    code = "ProvisionedConcurrencyConfigNotFoundException"
    status = 404

    def __init__(self, message: str = "No Provisioned Concurrency Config found for this function"):
        super().__init__(message, Type="User")


class CodeSigningConfigNotFound(ServiceError):
    code = "CodeSigningConfigNotFoundException"
    status = 404

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class CodeVerificationFailed(ServiceError):
    code = "CodeVerificationFailedException"
    status = 400

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class LambdaValidation(ServiceError):
    code = "ValidationException"
    status = 400


class RequestTooLarge(ServiceError):
    code = "RequestEntityTooLargeException"
    status = 413

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class InvalidRequestContent(ServiceError):
    code = "InvalidRequestContentException"
    status = 400

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class PreconditionFailed(ServiceError):
    code = "PreconditionFailedException"
    status = 412

    def __init__(self, message: str):
        super().__init__(message, Type="User")


class TooManyRequests(ServiceError):
    code = "TooManyRequestsException"
    status = 429

    def __init__(self, reason: str):
        super().__init__("Rate Exceeded.", Type="User", Reason=reason, headers={"Retry-After": "1"})


class ServiceFailure(ServiceError):
    code = "ServiceException"
    status = 500
    sender_fault = False


def function_not_found(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"Function not found: {arn}")


def validation_error(value: object, member: str, constraint: str) -> LambdaValidation:
    return LambdaValidation(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}")
