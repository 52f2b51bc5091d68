"""Which service a request is for, and which account and region it acts in.

Order, cheapest and surest first: the X-Amz-Target prefix (json protocols), the SigV4
credential scope's service, the smithy RPC path, well-known REST path prefixes, then the Host
header; anything left is S3 (anonymous and presigned requests carry nothing else).
"""

from __future__ import annotations

from overcast.protocol.catalog import BY_SIGNING_NAME, BY_SMITHY_SERVICE, BY_TARGET_PREFIX
from overcast.server.http import SMALL_BODY, Request

# REST path prefixes of the rest-json / rest-xml services other than S3.
_PATH_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/2015-03-31/functions", "lambda"),
    ("/2018-10-31/layers", "lambda"),
    ("/2017-10-31/functions", "lambda"),
    ("/2019-09-25/functions", "lambda"),
    ("/2019-09-30/functions", "lambda"),
    ("/2021-10-31/functions", "lambda"),
    ("/2015-03-31/event-source-mappings", "lambda"),
    ("/2016-08-19/account-settings", "lambda"),
    ("/2017-03-31/tags", "lambda"),
    ("/2020-04-22/code-signing-configs", "lambda"),
    ("/restapis", "apigateway"),
    ("/apikeys", "apigateway"),
    ("/usageplans", "apigateway"),
    ("/domainnames", "apigateway"),
    ("/clientcertificates", "apigateway"),
    ("/vpclinks", "apigateway"),
    ("/account", "apigateway"),
    ("/2020-05-31/", "cloudfront"),
)


def detect_service(request: Request, signing_service: str | None) -> str:
    headers = request.headers
    target = headers.get("x-amz-target")
    if target:
        prefix = target.split(".", 1)[0]
        entry = BY_TARGET_PREFIX.get(prefix)
        if entry is not None:
            return entry.name
    path = request.path
    if path.startswith("/service/"):
        entry = BY_SMITHY_SERVICE.get(path.split("/", 3)[2])
        if entry is not None:
            return entry.name
    if signing_service:
        entry = BY_SIGNING_NAME.get(signing_service)
        if entry is not None:
            return entry.name
    for prefix, service in _PATH_PREFIXES:
        if path.startswith(prefix):
            return service
    return "s3"


# The query services' API versions: an unsigned query request (STS AssumeRoleWithWebIdentity
# and AssumeRoleWithSAML are unsigned by design) names its service nowhere else.
_QUERY_VERSIONS = {"2011-06-15": "sts", "2010-03-31": "sns", "2010-12-01": "ses", "2010-05-08": "iam"}


def is_unsigned_query_candidate(request: Request) -> bool:
    """A form POST to / without credentials: a query-protocol call, not S3 (whose browser form
    uploads are multipart and name a bucket)."""
    return (
        request.method == "POST"
        and request.path == "/"
        and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    )


async def detect_unsigned_query_service(request: Request) -> str | None:
    """The query service that an unsigned form POST is for, from its Version, or None."""
    from urllib.parse import parse_qs

    body = await request.body.read(SMALL_BODY)  # cached: the parser reads it again for free
    versions = parse_qs(body.decode("utf-8", "replace")).get("Version")
    return _QUERY_VERSIONS.get(versions[0]) if versions else None

