"""API Gateway's typed errors, with the codes and statuses AWS gives them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from overcast.protocol.errors import ServiceError

T = TypeVar("T")


class NotFound(ServiceError):
    code = "NotFoundException"
    status = 404


class BadRequest(ServiceError):
    code = "BadRequestException"
    status = 400


class Conflict(ServiceError):
    code = "ConflictException"
    status = 409


class TooManyRequests(ServiceError):
    code = "TooManyRequestsException"
    status = 429


class LimitExceeded(ServiceError):
    code = "LimitExceededException"
    status = 429


def require(found: T | None, missing: str | Callable[[], ServiceError]) -> T:
    """`found`, unless it is None: then NotFound(missing), or the error `missing` makes."""
    if found is None:
        raise NotFound(missing) if isinstance(missing, str) else missing()
    return found


def api_not_found(account: str, api_id: str) -> NotFound:
    return NotFound(f"Invalid API identifier specified {account}:{api_id}")


def resource_not_found() -> NotFound:
    return NotFound("Invalid Resource identifier specified")


def method_not_found() -> NotFound:
    return NotFound("Invalid Method identifier specified")


def integration_not_found() -> NotFound:
    return NotFound("Invalid Integration identifier specified")


def response_not_found() -> NotFound:
    return NotFound("Invalid Response status code specified")


def stage_not_found() -> NotFound:
    return NotFound("Invalid Stage identifier specified")


def deployment_not_found() -> NotFound:
    return NotFound("Invalid Deployment identifier specified")
