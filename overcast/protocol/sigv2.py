"""S3's legacy Signature Version 2 (`Authorization: AWS AKID:sig` and `?AWSAccessKeyId=...&Signature=`).

boto3 still presigns S3 URLs this way unless told `signature_version="s3v4"`, so strict mode
checks these too rather than refusing every default presigned URL. Only S3 ever accepted them.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import time
from email.utils import parsedate_tz
from urllib.parse import unquote

from overcast.protocol.errors import AccessDenied, ServiceError, SignatureDoesNotMatch
from overcast.protocol.sigv4 import SigV4Auth
from overcast.protocol.sigv4_errors import S3_MAX_SKEW, S3_SIGNATURE_MESSAGE
from overcast.server.http import Request

# Query parameters that name a sub-resource and so belong to the signed resource.
SUBRESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)


def string_to_sign(request: Request, auth: SigV4Auth, resource: str) -> str:
    headers = request.headers
    if auth.presigned:
        date = str(auth.expires if auth.expires is not None else "")
    elif "x-amz-date" in headers:
        date = ""  # x-amz-date is then among the amz headers and Date is ignored
    else:
        date = headers.get("date", "").strip()
    amz_headers = {name: value for name, value in headers.items() if name.startswith("x-amz-")}
    content_type = headers.get("content-type", "")
    content_md5 = headers.get("content-md5", "")
    if auth.presigned:
        # A presigned URL carries the headers it was signed with as query parameters.
        for name, value in request.query_list:
            lname = name.lower()
            if lname.startswith("x-amz-"):
                amz_headers.setdefault(lname, value)
            elif lname == "content-type":
                content_type = content_type or value
            elif lname == "content-md5":
                content_md5 = content_md5 or value
    # Values are trimmed, not collapsed: SigV2 keeps inner runs of spaces.
    amz = sorted((name, value.strip()) for name, value in amz_headers.items())
    amz_lines = "".join(f"{name}:{value}\n" for name, value in amz)
    return f"{request.method.upper()}\n{content_md5.strip()}\n{content_type.strip()}\n{date}\n{amz_lines}{resource}"


def canonical_resources(request: Request, bucket: str | None) -> list[str]:
    """The signed resource for path-style, then virtual-hosted (bucket from `bucket` or Host)."""
    path = request.path or "/"
    subresources = []
    for pair in request.query_string.split("&") if request.query_string else ():
        key, sep, value = pair.partition("=")
        if key in SUBRESOURCES:
            subresources.append((key, f"{key}={unquote(value)}" if sep else key))
    suffix = "?" + "&".join(text for _, text in sorted(subresources)) if subresources else ""
    candidates = [path + suffix]
    if path.count("/") == 1 and len(path) > 1:
        # botocore signs a bucket's own resource path-style as "/bucket/" while sending "/bucket".
        candidates.append(path + "/" + suffix)
    host_label = request.host_name.split(".", 1)[0] if "." in request.host_name else ""
    for name in (bucket, host_label):
        if name and not name.isdigit() and f"/{name}{path}{suffix}" not in candidates:
            candidates.append(f"/{name}{path}{suffix}")
    return candidates


def verify_v2(
    request: Request,
    auth: SigV4Auth,
    secret: str,
    now: float,
    *,
    bucket: str | None = None,
    check_skew: bool = True,
) -> None:
    """Raise S3's error when a SigV2 request's signature is not right; return if it is."""
    if auth.presigned:
        if auth.expires is None:
            raise AccessDenied(
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
            )
        if now > auth.expires:
            raise AccessDenied("Request has expired", Expires=_iso(auth.expires), ServerTime=_iso(now))
    elif check_skew:
        request_time = _request_time(request)
        if request_time is None:
            raise AccessDenied("AWS authentication requires a valid Date or x-amz-date header")
        if abs(request_time - now) > S3_MAX_SKEW:
            raise ServiceError(
                "The difference between the request time and the current time is too large.",
                code="RequestTimeTooSkewed",
                status=403,
                RequestTime=request.headers.get("x-amz-date") or request.headers.get("date", ""),
                ServerTime=_iso(now),
                MaxAllowedSkewMilliseconds=str(int(S3_MAX_SKEW * 1000)),
            )
    key = secret.encode("utf-8")
    first = ""
    for resource in canonical_resources(request, bucket):
        to_sign = string_to_sign(request, auth, resource)
        expected = base64.b64encode(hmac.new(key, to_sign.encode("utf-8"), hashlib.sha1).digest()).decode()
        if auth.signature.isascii() and hmac.compare_digest(expected, auth.signature):
            return
        first = first or to_sign
    raise SignatureDoesNotMatch(
        S3_SIGNATURE_MESSAGE,
        AWSAccessKeyId=auth.access_key,
        StringToSign=first,
        SignatureProvided=auth.signature,
        StringToSignBytes=first.encode("utf-8").hex(" "),
    )


def _request_time(request: Request) -> float | None:
    value = request.headers.get("x-amz-date") or request.headers.get("date", "")
    parsed = parsedate_tz(value) if value else None
    if parsed is None:
        return None
    return float(calendar.timegm(parsed[:9]) - (parsed[9] or 0))


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
