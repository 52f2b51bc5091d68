"""AWS Signature Version 4: reading the credentials of a request and checking its signature.

`parse_auth` runs on every request (the chain needs the access key, region and signing name to
route and to pick the account), so it only splits strings. `verify` runs when signature checking
is on; it rebuilds the canonical request the way AWS does and answers with the errors that AWS
gives, which differ between S3 and the other services.

The canonical URI and query are first built from the request exactly as sent (what SDKs sign,
since they send what they signed) and, only if that does not match, rebuilt from the decoded
values with AWS's own encoding: clients that encode a character differently still pass, and a
tampered request fails both ways.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote

from overcast.protocol.checksums import (  # noqa: F401  (re-exported: part of this module's API)
    BAD_PAYLOAD_HASH_MESSAGE,
    PAYLOAD_KEYWORDS,
    PayloadHashChecker,
    validate_content_sha256,
)
from overcast.protocol.errors import AccessDenied, ServiceError
from overcast.protocol.sigv4_errors import (  # noqa: F401  (re-exported: part of this module's API)
    MAX_PRESIGNED_EXPIRES,
    OTHER_MAX_SKEW,
    OTHER_SIGNATURE_MESSAGE,
    OTHER_UNKNOWN_KEY_MESSAGE,
    S3_MAX_SKEW,
    S3_SIGNATURE_MESSAGE,
    S3_UNKNOWN_KEY_MESSAGE,
    check_amz_headers_signed,
    check_presigned_time,
    check_skew_of,
    is_s3,
    malformed_error,
    missing_auth_error,
    signature_error,
    unknown_key_error,
    wrong_region_error,
)
from overcast.protocol.sigv4_errors import _iso as iso_time
from overcast.server.http import Request

ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4A_ALGORITHM = "AWS4-ECDSA-P256-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

PRESIGNED_PARAMS_MESSAGE = (
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)
CREDENTIAL_MESSAGE = (
    'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
)

_HEADER_PREFIXES = (ALGORITHM + " ", SIGV4A_ALGORITHM + " ")


@dataclass(slots=True)
class SigV4Auth:
    """The credentials a request carries, as sent (nothing here is verified)."""

    access_key: str
    date: str = ""  # YYYYMMDD of the credential scope
    region: str = ""
    service: str = ""  # the signing name: s3, lambda, execute-api, ...
    signed_headers: tuple[str, ...] = ()
    signature: str = ""
    amz_date: str = ""  # YYYYMMDDTHHMMSSZ that the string to sign uses
    expires: int | None = None  # presigned only: X-Amz-Expires
    presigned: bool = False
    security_token: str | None = None
    version: int = 4  # 2 for the legacy `AWS AKID:signature` form, which is only read
    algorithm: str = ALGORITHM  # or AWS4-ECDSA-P256-SHA256 (SigV4a), which is only read
    malformed: str | None = None  # why the signature cannot be checked at all

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


# ---------------------------------------------------------------- parsing


def parse_auth(request: Request) -> SigV4Auth | None:
    """The request's credentials from its Authorization header or presigned query, or None."""
    header = request.headers.get("authorization")
    if header:
        if header.startswith(_HEADER_PREFIXES):
            return _parse_header(header, request.headers)
        if header.startswith("AWS "):
            access_key, _, signature = header[4:].partition(":")
            access_key = access_key.strip()
            return (
                SigV4Auth(access_key=access_key, version=2, signature=signature.strip())
                if access_key
                else None
            )
        return None
    query_string = request.query_string
    if not query_string:
        return None
    if "X-Amz-Credential=" in query_string or "X-Amz-Algorithm=" in query_string:
        return _parse_presigned(request.query)
    if "AWSAccessKeyId=" in query_string:
        return _parse_presigned_v2(request.query)
    return None


def _header_fields(rest: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    return fields


# What the part of an Authorization header before its signature says: the same for every
# request a client signs with one key on one day over one set of headers, so it is read once.
# (fields without Signature, access key, date, region, service, malformed, signed headers)
_SIGNATURE_FIELD = ", Signature="
_MAX_SCOPES = 256
_scopes: dict[str, tuple[dict[str, str], str, str, str, str, str | None, tuple[str, ...]]] = {}


def _scope_of(algorithm: str, before: str) -> tuple[dict[str, str], str, str, str, str, str | None, tuple[str, ...]]:
    key = algorithm + " " + before
    found = _scopes.get(key)
    if found is None:
        fields = _header_fields(before)
        fields.pop("Signature", None)  # an earlier Signature field is overridden by the last one
        auth = SigV4Auth(access_key="", algorithm=algorithm)
        _apply_credential(auth, fields.get("Credential", ""))
        signed = fields.get("SignedHeaders", "")
        found = (fields, auth.access_key, auth.date, auth.region, auth.service, auth.malformed,
                 tuple(signed.split(";")) if signed else ())
        if len(_scopes) >= _MAX_SCOPES:
            _scopes.clear()
        _scopes[key] = found
    return found


def _parse_header(header: str, headers: dict[str, str]) -> SigV4Auth:
    algorithm, _, rest = header.partition(" ")
    before, found_signature, signature = rest.rpartition(_SIGNATURE_FIELD)
    if found_signature and algorithm == ALGORITHM and "," not in signature:
        # The usual form, `Credential=..., SignedHeaders=..., Signature=...`: what precedes the
        # signature is read once per scope (_scope_of); this gives what the field loop would.
        fields, access_key, date, region, service, malformed, signed_headers = _scope_of(algorithm, before)
        fields = dict(fields)
        fields["Signature"] = signature = signature.rstrip()
        # Positional, in field order (a call with keywords costs several times more).
        auth = SigV4Auth(access_key, date, region, service, signed_headers, signature, "", None, False, None, 4,
                         algorithm, malformed)
        signed = fields.get("SignedHeaders", "")
    else:
        fields = _header_fields(rest)
        auth = SigV4Auth(access_key="", algorithm=algorithm)
        if algorithm == SIGV4A_ALGORITHM:
            # SigV4a scopes have no region: the request names the regions it is valid for.
            parts = fields.get("Credential", "").split("/")
            auth.access_key = parts[0]
            if len(parts) == 4:
                auth.date, auth.service = parts[1], parts[2]
            auth.region = headers.get("x-amz-region-set", "")
        else:
            _apply_credential(auth, fields.get("Credential", ""))
        auth.signature = fields.get("Signature", "")
        signed = fields.get("SignedHeaders", "")
        auth.signed_headers = tuple(signed.split(";")) if signed else ()
    auth.security_token = headers.get("x-amz-security-token")
    amz_date = headers.get("x-amz-date")
    if amz_date:
        auth.amz_date = amz_date
    else:
        auth.amz_date = _http_date_to_amz(headers.get("date", ""))
    if auth.malformed is None:
        missing = [] if signed and auth.signature and fields.get("Credential") else [
            n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
        if missing:
            auth.malformed = " ".join(f"Authorization header requires '{n}' parameter." for n in missing)
        elif not auth.amz_date:
            auth.malformed = "AWS authentication requires a valid Date or x-amz-date header"
    return auth


def _parse_presigned(query: dict[str, str]) -> SigV4Auth:
    auth = SigV4Auth(access_key="", presigned=True)
    _apply_credential(auth, query.get("X-Amz-Credential", ""))
    auth.signature = query.get("X-Amz-Signature", "")
    signed = query.get("X-Amz-SignedHeaders", "")
    auth.signed_headers = tuple(signed.split(";")) if signed else ()
    auth.amz_date = query.get("X-Amz-Date", "")
    auth.security_token = query.get("X-Amz-Security-Token")
    expires = query.get("X-Amz-Expires")
    required = (
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    )
    if any(not query.get(name) for name in required):
        auth.malformed = PRESIGNED_PARAMS_MESSAGE
    elif query["X-Amz-Algorithm"] != ALGORITHM:
        auth.malformed = 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'
    if expires:
        try:
            auth.expires = int(expires)
        except ValueError:
            auth.malformed = auth.malformed or "X-Amz-Expires should be a number"
    return auth


def _parse_presigned_v2(query: dict[str, str]) -> SigV4Auth | None:
    access_key = query.get("AWSAccessKeyId", "")
    if not access_key:
        return None
    auth = SigV4Auth(access_key=access_key, version=2, presigned=True, signature=query.get("Signature", ""))
    expires = query.get("Expires", "")
    auth.expires = int(expires) if expires.isdigit() else None
    auth.security_token = query.get("x-amz-security-token")
    return auth


def _apply_credential(auth: SigV4Auth, credential: str) -> None:
    parts = credential.split("/")
    auth.access_key = parts[0]
    if len(parts) == 5 and parts[4] == "aws4_request" and parts[0]:
        auth.date, auth.region, auth.service = parts[1], parts[2], parts[3]
    elif credential:
        auth.malformed = CREDENTIAL_MESSAGE


def _http_date_to_amz(value: str) -> str:
    """An RFC 7231 Date header as the YYYYMMDDTHHMMSSZ form that signing uses."""
    if not value:
        return ""
    from email.utils import parsedate_tz  # rare (SDKs send x-amz-date) and costly to import

    parsed = parsedate_tz(value)
    if parsed is None:
        return ""
    seconds = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


def account_for_access_key(access_key: str | None, default: str) -> str:
    """A 12-digit access key id is taken as the account id (a common emulator convention)."""
    if access_key and len(access_key) == 12 and access_key.isdigit() and access_key.isascii():
        return access_key
    return default


def _parse_amz_date(value: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return None


# ---------------------------------------------------------------- signing


_SIGNING_KEYS: dict[tuple[str, str, str, str], bytes] = {}


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key for one day, region and service; cached, since it changes once a day."""
    cache_key = (secret, date, region, service)
    key = _SIGNING_KEYS.get(cache_key)
    if key is None:
        key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
        for part in (region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        if len(_SIGNING_KEYS) > 256:
            _SIGNING_KEYS.clear()
        _SIGNING_KEYS[cache_key] = key
    return key


def sign(key: bytes, string_to_sign: str) -> str:
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def string_to_sign(auth: SigV4Auth, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{auth.amz_date}\n{auth.scope}\n{digest}"


def canonical_uris(path: str, s3: bool) -> list[str]:
    """The canonical URI as sent, then as AWS's own encoding would give it (when different)."""
    path = path or "/"
    if s3:
        # S3 signs the path as is: no dot-segment removal, no second encoding.
        candidates = [path, quote(unquote(path), safe="/~")]
    else:
        # The other services encode the already encoded path once more.
        normalized = _remove_dot_segments(path)
        candidates = [
            quote(normalized, safe="/~"),
            quote(quote(unquote(normalized), safe="/~"), safe="/~"),
        ]
    return candidates if candidates[0] != candidates[1] else candidates[:1]


def _remove_dot_segments(path: str) -> str:
    if "//" not in path and "/." not in path:
        return path
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    trailing = "/" if path.endswith("/") and out else ""
    return "/" + "/".join(out) + trailing


def canonical_queries(query_string: str, presigned: bool) -> list[str]:
    """The canonical query as sent, then re-encoded from decoded values (when different)."""
    if not query_string:
        return [""]
    raw: list[tuple[str, str]] = []
    for pair in query_string.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if presigned and key == "X-Amz-Signature":
            continue
        raw.append((key, value))
    as_sent = "&".join(f"{k}={v}" for k, v in sorted(raw))
    encoded = sorted((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")) for k, v in raw)
    reencoded = "&".join(f"{k}={v}" for k, v in encoded)
    return [as_sent] if as_sent == reencoded else [as_sent, reencoded]


def canonical_headers(headers: dict[str, str], signed_headers: tuple[str, ...]) -> str:
    lines = []
    for name in signed_headers:
        # AWS's "trimall": outer whitespace gone and inner runs collapsed to one space.
        value = " ".join(headers.get(name, "").split())
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def payload_hash(request: Request, auth: SigV4Auth, s3: bool, body: bytes | None) -> str:
    declared = request.headers.get("x-amz-content-sha256")
    if declared:
        return declared
    if auth.presigned and s3:
        return UNSIGNED_PAYLOAD
    if body is None:
        # The caller did not hand over the body: only a bodiless request can be checked then.
        return EMPTY_SHA256
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def needs_body(request: Request, auth: SigV4Auth) -> bool:
    """Whether verify must be given the body bytes (no declared payload hash to trust)."""
    if request.headers.get("x-amz-content-sha256"):
        return False
    return not (auth.presigned and auth.service == "s3")


async def verify_request(
    request: Request,
    auth: SigV4Auth,
    secret: str,
    now: float,
    *,
    service: str | None = None,
    protocol: str | None = None,
    check_skew: bool = True,
    body_limit: int | None = None,
    presign_now: float | None = None,
) -> None:
    """verify(), reading the body first when the signature covers it (RequestBody caches it)."""
    body = await request.body.read(body_limit) if needs_body(request, auth) else None
    verify(request, auth, secret, now, body=body, service=service, protocol=protocol, check_skew=check_skew,
           presign_now=presign_now)


def verify(
    request: Request,
    auth: SigV4Auth,
    secret: str,
    now: float,
    *,
    body: bytes | None = None,
    service: str | None = None,
    protocol: str | None = None,
    check_skew: bool = True,
    presign_now: float | None = None,
) -> None:
    """Raise the error AWS gives when the request's signature is not right; return if it is.

    `body` is needed unless the request declares x-amz-content-sha256 (S3 always does) or is an
    S3 presigned URL (`needs_body` tells; `verify_request` reads it for you); `service` (the
    catalog name, default the signing name) and `protocol` (the model's, e.g. "json") choose
    between S3's and the other services' errors. `now` is epoch seconds; `check_skew` refuses
    header-signed requests more than 15 (S3) or 5 minutes away from it, as AWS does.
    `presign_now`, when given, is the time presigned URLs expire by (Overcast's clock, which
    tests move), while skew is always judged by `now` (real time).
    """
    s3 = is_s3(service if service is not None else auth.service)
    # How the canonical request is built follows the signing name: S3 Control signs as "s3".
    s3_signing = auth.service == "s3"
    if auth.version == 2 and s3:
        from overcast.protocol.sigv2 import verify_v2  # rare: only legacy S3 clients get here

        # A presigned URL expires by Overcast's clock, as SigV4 ones do.
        v2_now = presign_now if auth.presigned and presign_now is not None else now
        verify_v2(request, auth, secret, v2_now, check_skew=check_skew)
        return
    if auth.version != 4 or auth.algorithm != ALGORITHM:
        raise ServiceError(
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            code="InvalidRequest",
            status=400,
        )
    if auth.malformed:
        raise malformed_error(s3, protocol, auth)
    request_time = _parse_amz_date(auth.amz_date)
    if request_time is None:
        auth.malformed = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        raise malformed_error(s3, protocol, auth)
    if auth.presigned:
        check_presigned_time(auth, request_time, now if presign_now is None else presign_now, s3)
    else:
        if s3_signing:
            validate_content_sha256(request.headers.get("x-amz-content-sha256"))
        if check_skew:
            check_skew_of(request_time, now, s3, protocol)

    if s3_signing:
        check_amz_headers_signed(request.headers, auth.signed_headers)

    key = signing_key(secret, auth.date, auth.region, auth.service)
    headers_part = canonical_headers(request.headers, auth.signed_headers)
    signed_names = ";".join(auth.signed_headers)
    payload = payload_hash(request, auth, s3_signing, body)
    method = request.method.upper()
    first: tuple[str, str] | None = None
    for uri in canonical_uris(request.path, s3_signing):
        for query in canonical_queries(request.query_string, auth.presigned):
            canonical = f"{method}\n{uri}\n{query}\n{headers_part}\n{signed_names}\n{payload}"
            to_sign = string_to_sign(auth, canonical)
            if _same_signature(sign(key, to_sign), auth.signature):
                return
            if first is None:
                first = (to_sign, canonical)
    assert first is not None
    raise signature_error(s3, protocol, auth, first[0], first[1])


def _same_signature(expected: str, provided: str) -> bool:
    # compare_digest refuses non-ASCII str, and a client may send anything.
    return provided.isascii() and hmac.compare_digest(expected, provided)


def check_presigned_expiry(auth: SigV4Auth, now: float, service: str | None = None) -> None:
    """Refuse an expired SigV4 presigned URL even when its signature cannot be checked (a key
    Overcast has no secret for): expiry needs no secret."""
    if not auth.presigned:
        return
    if auth.version == 2:
        if auth.expires is not None and now > auth.expires:
            raise AccessDenied("Request has expired", Expires=iso_time(auth.expires), ServerTime=iso_time(now))
        return
    if auth.version != 4:
        return
    request_time = _parse_amz_date(auth.amz_date)
    if request_time is not None:
        check_presigned_time(auth, request_time, now, is_s3(service if service is not None else auth.service))
