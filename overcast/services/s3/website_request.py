"""Serving one request of the S3 website endpoint (website.py recognises them): configuration,
redirects, index and error documents, access, and the object itself.

The website is S3's own data plane, so it reads the bucket's configuration, its anonymous-access
view (public_access.py; both cached in memory until the next write of the configuration) and
objects' metadata from the S3 store directly: a page served costs no configuration read and no
policy parsing. The object itself comes through GetObject/HeadObject (the internal client), so
conditional requests, ranges and versions behave exactly as in the API.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from overcast.protocol.errors import ServiceError
from overcast.server.http import Request, Response
from overcast.services.s3.objects import ACL
from overcast.services.s3.public_access import AnonymousAccess, anonymous_access
from overcast.services.s3.restore import ARCHIVED_CLASSES, check_readable
from overcast.services.s3.website_pages import (
    error_headers,
    error_page,
    new_request_ids,
    redirect,
    with_error_document_failure,
)

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient
    from overcast.services.s3.models import StoredObject
    from overcast.services.s3.store import S3Store
    from overcast.services.s3.website import WebsiteTarget

log = logging.getLogger("overcast.s3.website")

_MISSING = ("NoSuchKey", "NotFound", "NoSuchVersion")
# Characters left as they are in a redirect's key: URL syntax (a single-page app's "#!/" prefix
# must survive), so only what cannot appear in a URL at all is escaped.
_LOCATION_SAFE = "/#!$&'()*+,;=:@?~%"
_CONDITIONAL_HEADERS = (("if-match", "IfMatch"), ("if-none-match", "IfNoneMatch"), ("range", "Range"))
_CONDITIONAL_DATES = (("if-modified-since", "IfModifiedSince"), ("if-unmodified-since", "IfUnmodifiedSince"))
_PASSED_HEADERS = (("ContentType", "Content-Type"), ("ContentEncoding", "Content-Encoding"),
                   ("CacheControl", "Cache-Control"), ("ContentLanguage", "Content-Language"),
                   ("ContentDisposition", "Content-Disposition"), ("ContentRange", "Content-Range"),
                   ("AcceptRanges", "Accept-Ranges"), ("VersionId", "x-amz-version-id"))


@dataclass
class _Fetched:
    """What reading one key for the website found: the object, or why not."""

    obj: dict[str, Any] | None = None
    missing: bool = False
    denied: bool = False
    absent: bool = False  # no such key (whether the reader may learn that or not)
    error: ServiceError | None = None


async def serve_website(internal: InternalClient, request: Request, target: WebsiteTarget) -> Response:
    """The website endpoint's answer to one request; never raises (a failure is a 500 page)."""
    request_id, host_id = new_request_ids()
    try:
        if not target.bucket:
            response = error_page(404, "NoSuchBucket", "The specified bucket does not exist", request_id, host_id,
                                  BucketName="")
        else:
            store = internal.provider("s3").store
            response = await _WebsiteRequest(internal, store, request, target, request_id, host_id).run()
    except Exception:
        log.exception("website request for %s%s failed", target.bucket, target.path)
        response = error_page(500, "InternalError", "We encountered an internal error. Please try again.",
                              request_id, host_id)
    response.headers.append(("x-amz-request-id", request_id))
    response.headers.append(("x-amz-id-2", host_id))
    return response


class _WebsiteRequest:
    """One request to the website endpoint, from configuration lookup to response."""

    def __init__(self, internal: InternalClient, store: S3Store, request: Request, target: WebsiteTarget,
                 request_id: str, host_id: str):
        self.internal = internal
        self.store = store
        self.request = request
        self.target = target
        self.bucket = target.bucket
        self.request_id = request_id
        self.host_id = host_id
        self.config: dict[str, Any] = {}
        self.now = time.time()  # one moment for every policy condition of this request

    def page(self, status: int, code: str, message: str, **fields: str) -> Response:
        return error_page(status, code, message, self.request_id, self.host_id, **fields)

    async def run(self) -> Response:
        request = self.request
        if request.method not in ("GET", "HEAD"):
            return self.page(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                             Method=request.method, ResourceType="OBJECT")
        bucket_config = self.store.get_config(self.bucket)
        if bucket_config is None:
            return self.page(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=self.bucket)
        website = bucket_config.get("Website")
        if website is None:
            return self.page(404, "NoSuchWebsiteConfiguration",
                             "The specified bucket does not have a website configuration", BucketName=self.bucket)
        self.config = website
        redirect_all = website.get("RedirectAllRequestsTo")
        if redirect_all:
            protocol = redirect_all.get("Protocol") or request.scheme
            return redirect(301, f"{protocol}://{redirect_all['HostName']}{self.target.path}")
        request_key = unquote(self.target.path[1:])
        rule = _matching_rule(website, request_key, None)
        if rule is not None:
            return self._rule_redirect(rule, request_key)
        access = anonymous_access(self.store, self.bucket)
        if access is None:  # deleted since the lookup above
            return self.page(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=self.bucket)
        folder = request_key == "" or request_key.endswith("/")
        key = request_key + self._index_suffix() if folder else request_key
        fetched = await self._fetch(key, access, conditional=True)
        if fetched.obj is not None:
            location = fetched.obj.get("WebsiteRedirectLocation")
            if location:
                await _close(fetched.obj)
                return redirect(301, self.target.base + location if location.startswith("/") else location)
            return _object_response(206 if fetched.obj.get("ContentRange") else 200, fetched.obj)
        if fetched.error is not None:
            if fetched.error.status in (304, 412, 416):
                return self._conditional_failure(fetched.error)
            err = fetched.error
            return await self._error(access, request_key, err.status, err.code, err.message,
                                     **{name: str(value) for name, value in err.fields.items()})
        if fetched.absent and not folder:
            # `/docs` names no object: AWS redirects to `/docs/` when that folder has an index.
            if self._exists(f"{key}/{self._index_suffix()}"):
                return redirect(302, self.target.base + self.target.path + "/")
        if fetched.denied:
            return await self._error(access, request_key, 403, "AccessDenied", "Access Denied")
        return await self._error(access, request_key, 404, "NoSuchKey", "The specified key does not exist.", Key=key)

    def _index_suffix(self) -> str:
        return (self.config.get("IndexDocument") or {}).get("Suffix") or "index.html"

    async def _fetch(self, key: str, access: AnonymousAccess, *, conditional: bool) -> _Fetched:
        """Read `key` as an anonymous reader: the object, or missing / denied / a failed condition.
        A key that does not exist is "missing" (404) to a reader who may read it or list the
        bucket, and "denied" (403) to anyone else, as S3 does so as not to reveal which keys exist."""
        decision = access.policy_decision("s3:GetObject", key, self.request, self.now)
        allowed = decision == "Allow"
        if decision is None and not access.ignore_public_acls:
            current = self._current(key)
            if current is None:
                return self._absent(access, decision)
            allowed = access.acl_allows(current.headers.get(ACL), "READ")
        if not allowed:
            return _Fetched(denied=True) if self._exists(key) else self._absent(access, decision)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if conditional:
            params.update(_conditional_params(self.request))
        operation = "HeadObject" if self.request.method == "HEAD" else "GetObject"
        if operation == "HeadObject":
            # HeadObject answers for an archived object; the website endpoint refuses HEAD as GET.
            current = self._current(key)
            if current is not None and current.storage_class in ARCHIVED_CLASSES:
                try:
                    check_readable(current, self.internal.provider("s3").clock.time())  # as GetObject: Overcast's clock
                except ServiceError as err:
                    return _Fetched(error=err)
        try:
            return _Fetched(obj=await self.internal.call("s3", operation, params))
        except ServiceError as err:
            if err.code in _MISSING:
                return _Fetched(missing=True, absent=True)
            if err.status in (304, 412, 416) or err.code == "InvalidObjectState":  # archived, not restored
                return _Fetched(error=err)
            raise

    def _absent(self, access: AnonymousAccess, object_decision: str | None) -> _Fetched:
        """A key that does not exist, for a reader not allowed to read it: 404 only when they
        may list the bucket (its policy or a public bucket ACL), else 403."""
        listable = False
        if object_decision != "Deny":
            decision = access.policy_decision("s3:ListBucket", None, self.request, self.now)
            listable = decision == "Allow" or (decision is None and access.acl_allows(access.bucket_acl, "READ"))
        return _Fetched(missing=True, absent=True) if listable else _Fetched(denied=True, absent=True)

    def _current(self, key: str) -> StoredObject | None:
        """The key's current version as GET sees it: None when there is none or it is a delete marker."""
        obj = self.store.get_object(self.bucket, key)
        return None if obj is None or obj.delete_marker else obj

    def _exists(self, key: str) -> bool:
        return self._current(key) is not None

    async def _error(self, access: AnonymousAccess, request_key: str, status: int, code: str, message: str,
                     **fields: str) -> Response:
        """An error as the website endpoint answers it: a routing rule on the error code, else the
        custom error document with the error's status, else AWS's HTML page."""
        rule = _matching_rule(self.config, request_key, status)
        if rule is not None:
            return self._rule_redirect(rule, request_key)
        page = self.page(status, code, message, **fields)
        error_key = (self.config.get("ErrorDocument") or {}).get("Key")
        if not error_key:
            return page
        fetched = await self._fetch(error_key, access, conditional=False)
        if fetched.obj is not None:
            response = _object_response(status, fetched.obj)
            response.headers.extend(error_headers(code, message))
            return response
        if fetched.denied:
            return with_error_document_failure(page, "AccessDenied", "Access Denied")
        if fetched.error is not None:
            return with_error_document_failure(page, fetched.error.code, fetched.error.message)
        return with_error_document_failure(page, "NoSuchKey", "The specified key does not exist.", Key=error_key)

    def _conditional_failure(self, err: ServiceError) -> Response:
        if err.status == 304:
            return Response(status=304, headers=list(err.headers.items()), body=b"")
        response = self.page(err.status, err.code, err.message, **{k: str(v) for k, v in err.fields.items()})
        response.headers.extend(err.headers.items())
        return response

    def _rule_redirect(self, rule: dict[str, Any], request_key: str) -> Response:
        target = rule.get("Redirect") or {}
        prefix = (rule.get("Condition") or {}).get("KeyPrefixEquals") or ""
        if target.get("ReplaceKeyWith") is not None:
            new_key = target["ReplaceKeyWith"]
        elif target.get("ReplaceKeyPrefixWith") is not None:
            new_key = target["ReplaceKeyPrefixWith"] + request_key[len(prefix):]
        else:
            new_key = request_key
        protocol = target.get("Protocol") or self.request.scheme
        host = target.get("HostName")
        base = "" if host else self.target.base
        host = host or self.request.headers.get("host", "localhost")
        location = f"{protocol}://{host}{base}/{quote(new_key, safe=_LOCATION_SAFE)}"
        return redirect(_redirect_code(target.get("HttpRedirectCode")), location)


def _matching_rule(config: dict[str, Any], key: str, error_status: int | None) -> dict[str, Any] | None:
    """The first routing rule that applies: before the lookup (error_status None) only rules
    without an error-code condition; after an error, only rules whose error code it is. When a
    rule has both conditions, both must hold."""
    for rule in config.get("RoutingRules") or []:
        condition = rule.get("Condition") or {}
        code = condition.get("HttpErrorCodeReturnedEquals")
        if (code is None) != (error_status is None):
            continue
        if code is not None and str(code).strip() != str(error_status):
            continue
        prefix = condition.get("KeyPrefixEquals")
        if prefix is not None and not key.startswith(prefix):
            continue
        return rule
    return None


def _redirect_code(value: Any) -> int:
    """The rule's HttpRedirectCode; 301 when it is absent or not a redirect S3 would accept."""
    try:
        code = int(str(value).strip()) if value is not None else 301
    except ValueError:
        return 301
    return code if 301 <= code <= 399 else 301


def _conditional_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for header, member in _CONDITIONAL_HEADERS:
        value = request.headers.get(header)
        if value:
            params[member] = value
    for header, member in _CONDITIONAL_DATES:
        value = request.headers.get(header)
        if value:
            try:
                params[member] = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                pass  # an unreadable date is ignored, as HTTP says
    return params


def _object_response(status: int, obj: dict[str, Any]) -> Response:
    headers = []
    for member, header in _PASSED_HEADERS:
        if obj.get(member):
            headers.append((header, str(obj[member])))
    if not obj.get("ContentType"):
        headers.append(("Content-Type", "binary/octet-stream"))
    if obj.get("ETag"):
        headers.append(("ETag", obj["ETag"]))
    for member, header in (("LastModified", "Last-Modified"), ("Expires", "Expires")):
        value = obj.get(member)
        if isinstance(value, datetime):
            headers.append((header, _http_date(value)))
    for name, value in (obj.get("Metadata") or {}).items():
        headers.append((f"x-amz-meta-{name}", str(value)))
    if obj.get("ContentLength") is not None:
        headers.append(("Content-Length", str(obj["ContentLength"])))
    return Response(status=status, headers=headers, body=obj.get("Body") or b"")


@lru_cache(maxsize=1024)
def _http_date(value: datetime) -> str:
    """An HTTP date; cached, as a site's pages are served with the same few dates over and over."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return format_datetime(value, usegmt=True)


async def _close(obj: dict[str, Any]) -> None:
    aclose = getattr(obj.get("Body"), "aclose", None)
    if aclose is not None:
        await aclose()
