"""Browser uploads with a presigned POST policy (boto3's generate_presigned_post): a
multipart/form-data POST to the bucket whose fields carry a signed policy document.

The policy's expiry (by Overcast's clock), its conditions and its signature (SigV4 or V2, for
keys among the configured credentials) are checked as S3 does; the object is then stored with
PutObject through the internal client. Forms are read whole, up to MAX_FORM_BYTES.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from overcast.protocol.errors import ServiceError
from overcast.protocol.parsers.s3 import bucket_from_host
from overcast.server.http import BodyTooLarge, Request, Response

if TYPE_CHECKING:
    from overcast.clock import Clock
    from overcast.services.internal import InternalClient

MAX_FORM_BYTES = 64 * 1024 * 1024
# Fields that need no condition in the policy.
_EXEMPT = {"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"}


class PostDenied(ServiceError):
    code = "AccessDenied"
    status = 403


def _policy_error(detail: str) -> PostDenied:
    return PostDenied(f"Invalid according to Policy: {detail}")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def sigv4_signature(secret: str, date: str, region: str, policy_b64: str) -> str:
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), "s3"), "aws4_request")
    return hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()


def sigv2_signature(secret: str, policy_b64: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), policy_b64.encode(), hashlib.sha1).digest()).decode()


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], bytes | None, str | None]:
    """(fields with lower-case names, the file's bytes, its filename)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise ServiceError("POST requires exactly one file upload per request.", code="InvalidArgument",
                           status=400, ArgumentName="file", ArgumentValue="0")
    fields: dict[str, str] = {}
    file_data: bytes | None = None
    filename: str | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = b""
        if name.lower() == "file":
            file_data, filename = payload, part.get_filename()
            break  # S3 ignores fields after the file
        fields[name.lower()] = payload.decode("utf-8")
    return fields, file_data, filename


def check_policy(policy: dict[str, Any], fields: dict[str, str], bucket: str, size: int, now: float) -> None:
    expiration = policy.get("expiration")
    if not expiration:
        raise _policy_error("Policy missing expiration.")
    try:
        expires = datetime.fromisoformat(expiration.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise _policy_error("Invalid Policy: Invalid 'expiration' value: '" + expiration + "'") from None
    if now > expires:
        raise _policy_error("Policy expired.")
    values = dict(fields, bucket=bucket)
    covered: set[str] = set()
    for condition in policy.get("conditions") or []:
        if isinstance(condition, dict):
            for name, expected in condition.items():
                covered.add(name.lower())
                if values.get(name.lower()) != expected:
                    raise _policy_error(f"Policy Condition failed: [\"eq\", \"${name}\", \"{expected}\"]")
            continue
        if not isinstance(condition, list) or len(condition) != 3:
            raise _policy_error("Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly "
                                "one property specified.")
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if not low <= size <= high:
                raise ServiceError("Your proposed upload exceeds the maximum allowed size" if size > high else
                                   "Your proposed upload is smaller than the minimum allowed size",
                                   code="EntityTooLarge" if size > high else "EntityTooSmall", status=400)
            continue
        name = str(condition[1]).lstrip("$").lower()
        covered.add(name)
        value = values.get(name, "")
        if operator == "eq" and value != condition[2] or operator == "starts-with" and not value.startswith(
                condition[2]):
            raise _policy_error(f"Policy Condition failed: {json.dumps(condition)}")
    extra = [name for name in fields if name not in covered and name not in _EXEMPT
             and not name.startswith("x-ignore-") and name not in ("x-amz-algorithm", "x-amz-credential",
                                                                  "x-amz-date", "x-amz-security-token")]
    if extra:
        raise _policy_error(f"Extra input fields: {', '.join(extra)}")


class PostObjectEndpoint:
    def __init__(self, internal: InternalClient, credentials: dict[str, str], clock: Clock):
        self.internal = internal
        self.credentials = credentials
        self.clock = clock

    def matcher(self, request: Request) -> Callable[[Request], Awaitable[Response]] | None:
        if request.method != "POST" or not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return None
        if request.path.startswith("/_overcast/") or "s3-website" in request.host_name:
            return None
        bucket = bucket_from_host(request.host_name)
        path = request.path.strip("/")
        if bucket is None and (not path or "/" in path):
            return None
        return self.handle

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            return await self._upload(request, request_id)
        except ServiceError as error:
            return _error_response(error, request_id)

    async def _upload(self, request: Request, request_id: str) -> Response:
        bucket = bucket_from_host(request.host_name) or request.path.strip("/")
        try:
            body = await request.body.read(limit=MAX_FORM_BYTES)
        except BodyTooLarge:
            raise ServiceError("Your proposed upload exceeds the maximum allowed size", code="EntityTooLarge",
                               status=400) from None
        fields, data, filename = parse_form(request.headers["content-type"], body)
        if data is None:
            raise ServiceError("POST requires exactly one file upload per request.", code="InvalidArgument",
                               status=400, ArgumentName="file", ArgumentValue="0")
        key = fields.get("key")
        if not key:
            raise ServiceError("Bucket POST must contain a field named 'key'.  If it is specified, please check the "
                               "order of the fields.", code="InvalidArgument", status=400, ArgumentName="key",
                               ArgumentValue="")
        key = key.replace("${filename}", filename or "")
        fields["key"] = key
        self._authenticate(fields, bucket, len(data))
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": data,
                                  "Metadata": {k[len("x-amz-meta-"):]: v for k, v in fields.items()
                                               if k.startswith("x-amz-meta-")}}
        for field_name, member in (("content-type", "ContentType"), ("cache-control", "CacheControl"),
                                   ("content-disposition", "ContentDisposition"),
                                   ("content-encoding", "ContentEncoding"), ("acl", "ACL"),
                                   ("tagging", "Tagging")):
            if fields.get(field_name):
                params[member] = fields[field_name]
        result = await self.internal.call("s3", "PutObject", params)
        etag = result.get("ETag", "")
        location = f"{request.scheme}://{request.host}/{bucket}/{quote(key)}"
        headers = [("ETag", etag), ("Location", location), ("x-amz-request-id", request_id)]
        redirect = fields.get("success_action_redirect") or fields.get("redirect")
        if redirect:
            separator = "&" if "?" in redirect else "?"
            target = f"{redirect}{separator}bucket={quote(bucket)}&key={quote(key)}&etag={quote(etag)}"
            return Response(status=303, headers=[*headers, ("Location", target)], body=b"")
        status = fields.get("success_action_status", "204")
        if status == "201":
            xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>{escape(location)}</Location>'
                   f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag>"
                   "</PostResponse>")
            return Response(status=201, headers=[*headers, ("Content-Type", "application/xml")], body=xml.encode())
        return Response(status=200 if status == "200" else 204, headers=headers, body=b"")

    def _authenticate(self, fields: dict[str, str], bucket: str, size: int) -> None:
        policy_b64 = fields.get("policy")
        if policy_b64 is None:
            raise PostDenied("Access Denied")
        try:
            policy = json.loads(base64.b64decode(policy_b64))
        except ValueError:
            raise _policy_error("Invalid Policy: Invalid JSON.") from None
        check_policy(policy, fields, bucket, size, self.clock.time())
        credential = fields.get("x-amz-credential")
        if credential:
            access_key, date, region = (credential.split("/") + ["", "", ""])[:3]
            secret = self.credentials.get(access_key)
            if secret is not None and not hmac.compare_digest(
                    sigv4_signature(secret, date, region, policy_b64), fields.get("x-amz-signature", "")):
                raise ServiceError("The request signature we calculated does not match the signature you provided. "
                                   "Check your key and signing method.", code="SignatureDoesNotMatch", status=403)
            return
        access_key = fields.get("awsaccesskeyid", "")
        secret = self.credentials.get(access_key)
        if secret is not None and not hmac.compare_digest(sigv2_signature(secret, policy_b64),
                                                          fields.get("signature", "")):
            raise ServiceError("The request signature we calculated does not match the signature you provided. "
                               "Check your key and signing method.", code="SignatureDoesNotMatch", status=403)


def _error_response(error: ServiceError, request_id: str) -> Response:
    extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in error.fields.items())
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(error.code)}</Code>'
            f"<Message>{escape(error.message)}</Message>{extra}<RequestId>{request_id}</RequestId></Error>")
    return Response(status=error.status, headers=[("Content-Type", "application/xml"),
                                                  ("x-amz-request-id", request_id)], body=body.encode())
