"""The S3 static website endpoint: a data plane of its own, as on AWS.

Hosts `<bucket>.s3-website.localhost`, `<bucket>.s3-website-<region>.localhost` and
`<bucket>.s3-website.<region>.localhost` (any port), and the path form
`/_overcast/s3-website/<bucket>/<path>` for clients that cannot set Host. Only GET and HEAD;
errors are HTML pages; reads need a bucket policy that lets everyone s3:GetObject.

Everything is read through the internal client (GetBucketWebsite, GetBucketPolicy,
GetPublicAccessBlock, GetObject), so this module knows nothing of the S3 store.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from overcast.protocol.errors import ServiceError
from overcast.server.http import Request, Response
from overcast.services.s3.policy import anonymous_allowed

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient

PATH_PREFIX = "/_overcast/s3-website/"
_HOST = re.compile(r"^(?P<bucket>.+?)\.s3-website(?:[-.](?P<region>[a-z0-9-]+))?\.(?:localhost|amazonaws\.com)(?::\d+)?$")


def website_target(request: Request) -> tuple[str, str] | None:
    """(bucket, path) when the request is for a website endpoint, else None."""
    host = request.headers.get("host", "")
    if ".s3-website" in host:
        match = _HOST.match(host)
        if match:
            return match.group("bucket"), request.path
    if request.path.startswith(PATH_PREFIX):
        rest = request.path[len(PATH_PREFIX):]
        bucket, _, path = rest.partition("/")
        if bucket:
            return bucket, "/" + path
    return None


class WebsiteEndpoint:
    def __init__(self, internal: InternalClient):
        self.internal = internal

    def matcher(self, request: Request):
        """Data-plane matcher for the chain: a handler for website requests, else None."""
        target = website_target(request)
        if target is None:
            return None

        async def handler(req: Request) -> Response:
            return await self.serve(req, *target)

        return handler

    async def serve_path_form(self, request: Request) -> Response:
        target = website_target(request)
        if target is None:
            return error_page(404, "NoSuchBucket", "The specified bucket does not exist", uuid.uuid4().hex[:16].upper())
        return await self.serve(request, *target)

    async def serve(self, request: Request, bucket: str, path: str) -> Response:
        request_id = uuid.uuid4().hex[:16].upper()
        if request.method not in ("GET", "HEAD"):
            return error_page(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                              request_id, Method=request.method, ResourceType="OBJECT")
        try:
            config = await self.internal.call("s3", "GetBucketWebsite", {"Bucket": bucket})
        except ServiceError as err:
            if err.code == "NoSuchBucket":
                return error_page(404, "NoSuchBucket", "The specified bucket does not exist", request_id, BucketName=bucket)
            if err.code == "NoSuchWebsiteConfiguration":
                return error_page(404, "NoSuchWebsiteConfiguration",
                                  "The specified bucket does not have a website configuration", request_id,
                                  BucketName=bucket)
            raise
        redirect_all = config.get("RedirectAllRequestsTo")
        if redirect_all:
            protocol = redirect_all.get("Protocol") or "http"
            return redirect(301, f"{protocol}://{redirect_all['HostName']}{path}")
        key = unquote(path.lstrip("/"))
        index = (config.get("IndexDocument") or {}).get("Suffix", "index.html")
        if key == "" or key.endswith("/"):
            key += index
        rule_response = _routing_redirect(config, key, None, request)
        if rule_response is not None:
            return rule_response
        if not await self._public(bucket, key):
            return await self._error(config, bucket, 403, "AccessDenied", "Access Denied", request_id, request)
        obj = await self._get(bucket, key)
        if obj is None and not key.endswith(index):
            # /docs without the slash: AWS redirects when docs/index.html exists.
            folder_index = f"{key}/{index}"
            if await self._get(bucket, folder_index, head=True) is not None:
                return redirect(302, "/" + key + "/")
        if obj is None:
            return await self._error(config, bucket, 404, "NoSuchKey", "The specified key does not exist.",
                                     request_id, request, Key=key)
        if obj.get("WebsiteRedirectLocation"):
            return redirect(301, obj["WebsiteRedirectLocation"])
        return _object_response(200, obj)

    async def _public(self, bucket: str, key: str) -> bool:
        try:
            block = await self.internal.call("s3", "GetPublicAccessBlock", {"Bucket": bucket})
            settings = block.get("PublicAccessBlockConfiguration", {})
            if settings.get("RestrictPublicBuckets") or settings.get("BlockPublicPolicy"):
                return False
        except ServiceError:
            pass  # no public access block: policy decides
        try:
            policy_text = (await self.internal.call("s3", "GetBucketPolicy", {"Bucket": bucket})).get("Policy")
        except ServiceError:
            return False
        try:
            policy = json.loads(policy_text or "{}")
        except ValueError:
            return False
        return anonymous_allowed(policy, "s3:GetObject", bucket, key)

    async def _get(self, bucket: str, key: str, head: bool = False) -> dict[str, Any] | None:
        try:
            return await self.internal.call("s3", "HeadObject" if head else "GetObject", {"Bucket": bucket, "Key": key})
        except ServiceError as err:
            if err.code in ("NoSuchKey", "NotFound", "404"):
                return None
            raise

    async def _error(self, config: dict[str, Any], bucket: str, status: int, code: str, message: str,
                     request_id: str, request: Request, **fields: str) -> Response:
        """An error as the website endpoint answers it: routing rule, custom error document, or
        AWS's HTML page."""
        rule_response = _routing_redirect(config, fields.get("Key", ""), status, request)
        if rule_response is not None:
            return rule_response
        page = error_page(status, code, message, request_id, **fields)
        error_key = (config.get("ErrorDocument") or {}).get("Key")
        if not error_key:
            return page
        if not await self._public(bucket, error_key):
            return _with_error_document_failure(page, "AccessDenied", "Access Denied")
        doc = await self._get(bucket, error_key)
        if doc is None:
            return _with_error_document_failure(page, "NoSuchKey", "The specified key does not exist.", Key=error_key)
        return _object_response(status, doc)


def _routing_redirect(config: dict[str, Any], key: str, error_code: int | None, request: Request) -> Response | None:
    for rule in config.get("RoutingRules") or []:
        condition = rule.get("Condition") or {}
        prefix = condition.get("KeyPrefixEquals")
        code = condition.get("HttpErrorCodeReturnedEquals")
        if code is not None:
            if error_code is None or str(error_code) != str(code):
                continue
        elif error_code is not None:
            continue  # rules without an error condition were applied before the lookup
        if prefix is not None and not key.startswith(prefix):
            continue
        target = rule.get("Redirect") or {}
        new_key = key
        if target.get("ReplaceKeyWith") is not None:
            new_key = target["ReplaceKeyWith"]
        elif target.get("ReplaceKeyPrefixWith") is not None:
            new_key = target["ReplaceKeyPrefixWith"] + key[len(prefix or ""):]
        host = target.get("HostName") or request.headers.get("host", "localhost")
        protocol = target.get("Protocol") or "http"
        return redirect(int(target.get("HttpRedirectCode") or 301), f"{protocol}://{host}/{new_key}")
    return None


def _object_response(status: int, obj: dict[str, Any]) -> Response:
    headers = [("Content-Type", obj.get("ContentType") or "binary/octet-stream")]
    if obj.get("ETag"):
        headers.append(("ETag", obj["ETag"]))
    if obj.get("LastModified") is not None:
        from email.utils import format_datetime

        headers.append(("Last-Modified", format_datetime(obj["LastModified"], usegmt=True)))
    for name, header in (("ContentEncoding", "Content-Encoding"), ("CacheControl", "Cache-Control"),
                         ("ContentLanguage", "Content-Language"), ("ContentDisposition", "Content-Disposition")):
        if obj.get(name):
            headers.append((header, obj[name]))
    if obj.get("ContentLength") is not None:
        headers.append(("Content-Length", str(obj["ContentLength"])))
    return Response(status=status, headers=headers, body=obj.get("Body") or b"")


def redirect(status: int, location: str) -> Response:
    return Response(status=status, headers=[("Location", location), ("Content-Length", "0")], body=b"")


_TITLES = {403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed"}


def error_page(status: int, code: str, message: str, request_id: str, **fields: str) -> Response:
    """AWS's HTML error page of the website endpoint."""
    title = _TITLES.get(status, f"{status} Error")
    items = [f"<li>Code: {html.escape(code)}</li>", f"<li>Message: {html.escape(message)}</li>"]
    items += [f"<li>{html.escape(k)}: {html.escape(str(v))}</li>" for k, v in fields.items()]
    items += [f"<li>RequestId: {request_id}</li>", f"<li>HostId: {request_id}</li>"]
    body = (f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
            + "\n".join(items) + "\n</ul>\n<hr/>\n</body>\n</html>\n")
    return Response(status=status, headers=[("Content-Type", "text/html; charset=utf-8")], body=body.encode())


def _with_error_document_failure(page: Response, code: str, message: str, **fields: str) -> Response:
    """AWS appends what went wrong fetching the custom error document."""
    items = [f"<li>Code: {code}</li>", f"<li>Message: {html.escape(message)}</li>"]
    items += [f"<li>{k}: {html.escape(v)}</li>" for k, v in fields.items()]
    extra = ("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n"
             + "\n".join(items) + "\n</ul>\n<hr/>\n")
    body = page.body if isinstance(page.body, bytes) else b""
    page.body = body.replace(b"<hr/>\n</body>", b"<hr/>\n" + extra.encode() + b"</body>")
    return page
