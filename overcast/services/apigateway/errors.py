"""API Gateway's typed errors, with the codes and statuses AWS gives them."""

from __future__ import annotations

import re
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


class Validation(ServiceError):
    """What AWS's request-shape validation gives before the operation runs (an enum or pattern
    the input does not satisfy): ValidationException, 400, not BadRequestException."""
    code = "ValidationException"
    status = 400


def validation_failed(*problems: str) -> Validation:
    """AWS's "N validation error(s) detected: ...; ..." message for the given problems."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return Validation(f"{count} validation {noun} detected: " + "; ".join(problems))


def _value(value: object) -> str:
    """How Coral's messages show a value: quoted, or null for a missing one."""
    return "Value null" if value is None else f"Value '{value}'"


def enum_problem(value: object, where: str, allowed: str) -> str:
    return f"{_value(value)} at '{where}' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"


STATUS_CODE_PATTERN = "[1-5]\\d\\d"


def status_code_problem(code: str | None) -> str | None:
    if re.fullmatch(STATUS_CODE_PATTERN, code or ""):
        return None
    return (f"{_value(code)} at 'statusCode' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {STATUS_CODE_PATTERN}")


def check_status_code(code: str | None) -> str:
    """A method's or integration's response status code, as the API's input shape constrains it."""
    problem = status_code_problem(code)
    if problem:
        raise validation_failed(problem)
    return code or ""


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
