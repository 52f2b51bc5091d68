"""API Gateway's typed errors, with the codes and statuses AWS gives them."""

from __future__ import annotations

from overcast.protocol.errors import ServiceError


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
