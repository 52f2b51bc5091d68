"""CloudWatch Logs' errors, worded as AWS words them."""

from __future__ import annotations

from overcast.protocol.errors import ServiceError


class ResourceNotFound(ServiceError):
    code = "ResourceNotFoundException"
    status = 400


class ResourceAlreadyExists(ServiceError):
    code = "ResourceAlreadyExistsException"
    status = 400


class InvalidParameter(ServiceError):
    code = "InvalidParameterException"
    status = 400


def group_not_found() -> ResourceNotFound:
    return ResourceNotFound("The specified log group does not exist.")


def stream_not_found() -> ResourceNotFound:
    return ResourceNotFound("The specified log stream does not exist.")


class TooManyTags(ServiceError):
    """TagResource past 50 tags on a resource, counting those it already has. The message is the
    API reference's description of the error (the live wording is unrecorded)."""

    code = "TooManyTagsException"
    status = 400


class Validation(ServiceError):
    """The resource-ARN operations' (TagResource, ListTagsForResource, ...) own bad-input error."""

    code = "ValidationException"
    status = 400


class AccessDenied(ServiceError):
    """A Lambda destination in another account (LocalStack's AWS-validated
    test_put_subscription_filter_errors: 400, not 403)."""

    code = "AccessDeniedException"
    status = 400


class LimitExceeded(ServiceError):
    code = "LimitExceededException"
    status = 400
