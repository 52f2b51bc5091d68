"""Failures inside the invoke pipeline; each becomes a gateway response."""

from __future__ import annotations


class GatewayError(Exception):
    """A failure answered by the gateway response of `response_type`."""

    def __init__(self, response_type: str, status: int, message: str, *, error_type: str | None = None,
                 raw_body: bytes | None = None):
        super().__init__(message)
        self.response_type = response_type
        self.status = status
        self.message = message
        self.error_type = error_type
        # AWS answers some failures with a fixed body rather than the gateway response template.
        self.raw_body = raw_body


def missing_token() -> GatewayError:
    return GatewayError("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token",
                        error_type="MissingAuthenticationTokenException")


def forbidden() -> GatewayError:
    return GatewayError("INVALID_API_KEY", 403, "Forbidden", error_type="ForbiddenException")


def internal_error(response_type: str = "DEFAULT_5XX", status: int = 500) -> GatewayError:
    return GatewayError(response_type, status, "Internal server error", error_type="InternalServerErrorException",
                        raw_body=b'{"message": "Internal server error"}')


def bad_gateway() -> GatewayError:
    return GatewayError("DEFAULT_5XX", 502, "Internal server error", error_type="InternalServerErrorException",
                        raw_body=b'{"message": "Internal server error"}')
