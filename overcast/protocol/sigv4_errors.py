"""The errors that AWS answers for failed authentication, which differ between S3 and the rest.

S3 answers with its own codes and messages (and, for a bad signature, the string it signed, to
help debugging); JSON-protocol services use *Exception codes; query services the bare names.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.protocol.errors import (
    AccessDenied,
    InvalidAccessKeyId,
    ServiceError,
    SignatureDoesNotMatch,
    UnrecognizedClient,
)

if TYPE_CHECKING:
    from overcast.protocol.sigv4 import SigV4Auth

MAX_PRESIGNED_EXPIRES = 604800  # one week
S3_MAX_SKEW = 900.0  # S3 accepts requests up to 15 minutes off
OTHER_MAX_SKEW = 300.0  # the other services, 5 minutes
S3_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
OTHER_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
S3_UNKNOWN_KEY_MESSAGE = "The AWS Access Key Id you provided does not exist in our records."
OTHER_UNKNOWN_KEY_MESSAGE = "The security token included in the request is invalid."

# Protocols whose errors are JSON documents: their auth errors carry other codes.
_JSON_PROTOCOLS = frozenset({"json", "rest-json", "smithy-rpc-v2-cbor"})


def _auth_status(protocol: str | None) -> int:
    """awsJson services (DynamoDB, Kinesis, Secrets Manager, ...) answer failed authentication
    with 400; the REST and query services with 403."""
    return 400 if protocol == "json" else 403


def is_s3(service: str | None) -> bool:
    """Whether a service answers auth failures the S3 way."""
    return service == "s3" or service == "s3control"


def unknown_key_error(service: str | None, access_key: str = "", protocol: str | None = None) -> ServiceError:
    """What AWS answers for an access key that it does not know, per service."""
    if is_s3(service):
        return InvalidAccessKeyId(S3_UNKNOWN_KEY_MESSAGE, AWSAccessKeyId=access_key)
    if protocol is None or protocol in _JSON_PROTOCOLS:
        return UnrecognizedClient(OTHER_UNKNOWN_KEY_MESSAGE, status=_auth_status(protocol))
    return ServiceError(OTHER_UNKNOWN_KEY_MESSAGE, code="InvalidClientTokenId", status=403)


def missing_auth_error(service: str | None, protocol: str | None) -> ServiceError:
    """What AWS answers for a request that carries no credentials at all, where it needs them."""
    if is_s3(service):
        return AccessDenied("Access Denied")
    if protocol in _JSON_PROTOCOLS:
        message = "Request is missing Authentication Token" if protocol == "json" else "Missing Authentication Token"
        return ServiceError(message, code="MissingAuthenticationTokenException", status=_auth_status(protocol))
    return ServiceError("Request is missing Authentication Token", code="MissingAuthenticationToken", status=403)


def signature_error(
    s3: bool, protocol: str | None, auth: SigV4Auth, string_to_sign: str, canonical: str
) -> ServiceError:
    if s3:
        return SignatureDoesNotMatch(
            S3_SIGNATURE_MESSAGE,
            AWSAccessKeyId=auth.access_key,
            StringToSign=string_to_sign,
            SignatureProvided=auth.signature,
            StringToSignBytes=_spaced_hex(string_to_sign),
            CanonicalRequest=canonical,
            CanonicalRequestBytes=_spaced_hex(canonical),
        )
    if protocol in _JSON_PROTOCOLS:
        return SignatureDoesNotMatch(
            OTHER_SIGNATURE_MESSAGE, code="InvalidSignatureException", status=_auth_status(protocol)
        )
    return SignatureDoesNotMatch(OTHER_SIGNATURE_MESSAGE)


def _spaced_hex(text: str) -> str:
    return text.encode("utf-8").hex(" ")


def malformed_error(s3: bool, protocol: str | None, auth: SigV4Auth) -> ServiceError:
    message = auth.malformed or ""
    if auth.presigned:
        if s3:
            return ServiceError(message, code="AuthorizationQueryParametersError", status=400)
        return ServiceError(message, code="IncompleteSignature", status=400)
    if s3:
        return ServiceError(
            f"The authorization header is malformed; {message}",
            code="AuthorizationHeaderMalformed",
            status=400,
        )
    code = "IncompleteSignatureException" if protocol in _JSON_PROTOCOLS else "IncompleteSignature"
    return ServiceError(message, code=code, status=400)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _amz(seconds: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


def wrong_region_error(auth: SigV4Auth, expected_region: str) -> ServiceError:
    """S3's answer to a request signed for another region than the bucket's."""
    detail = f"the region '{auth.region}' is wrong; expecting '{expected_region}'"
    if auth.presigned:
        return ServiceError(
            f"Error parsing the X-Amz-Credential parameter; {detail}",
            code="AuthorizationQueryParametersError",
            status=400,
            Region=expected_region,
        )
    return ServiceError(
        f"The authorization header is malformed; {detail}",
        code="AuthorizationHeaderMalformed",
        status=400,
        Region=expected_region,
    )


def check_amz_headers_signed(headers: dict[str, str], signed_headers: tuple[str, ...]) -> None:
    """S3 refuses x-amz-* headers that the signature does not cover."""
    unsigned = sorted(n for n in headers if n.startswith("x-amz-") and n not in signed_headers)
    if unsigned:
        raise AccessDenied(
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )


def check_presigned_time(auth: SigV4Auth, request_time: float, now: float, s3: bool) -> None:
    expires = auth.expires if auth.expires is not None else 0
    code = "AuthorizationQueryParametersError" if s3 else "IncompleteSignature"
    if expires < 0:
        raise ServiceError("X-Amz-Expires must be non-negative", code=code, status=400)
    if expires > MAX_PRESIGNED_EXPIRES:
        raise ServiceError(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
            "must be less than 604800 seconds",
            code=code,
            status=400,
        )
    if now > request_time + expires:
        if s3:
            raise AccessDenied(
                "Request has expired",
                members={
                    "X-Amz-Expires": str(expires),
                    "Expires": _iso(request_time + expires),
                    "ServerTime": _iso(now),
                },
            )
        raise AccessDenied("Request has expired")
    if request_time > now + S3_MAX_SKEW:
        raise AccessDenied("Request is not valid yet")


def check_skew_of(request_time: float, now: float, s3: bool, protocol: str | None) -> None:
    if s3:
        if abs(request_time - now) > S3_MAX_SKEW:
            raise ServiceError(
                "The difference between the request time and the current time is too large.",
                code="RequestTimeTooSkewed",
                status=403,
                RequestTime=_amz(request_time),
                ServerTime=_iso(now),
                MaxAllowedSkewMilliseconds=str(int(S3_MAX_SKEW * 1000)),
            )
        return
    code = "InvalidSignatureException" if protocol in _JSON_PROTOCOLS else "SignatureDoesNotMatch"
    if request_time < now - OTHER_MAX_SKEW:
        raise SignatureDoesNotMatch(
            f"Signature expired: {_amz(request_time)} is now earlier than "
            f"{_amz(now - OTHER_MAX_SKEW)} ({_amz(now)} - 5 min.)",
            code=code,
            status=_auth_status(protocol),
        )
    if request_time > now + OTHER_MAX_SKEW:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {_amz(request_time)} is still later than "
            f"{_amz(now + OTHER_MAX_SKEW)} ({_amz(now)} + 5 min.)",
            code=code,
            status=_auth_status(protocol),
        )
