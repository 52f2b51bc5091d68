"""Which service a request is for, and which account and region it acts in.

Order, cheapest and surest first: the X-Amz-Target prefix (json protocols), the SigV4
credential scope's service, the smithy RPC path, well-known REST path prefixes, then the Host
header; anything left is S3 (anonymous and presigned requests carry nothing else).
"""

from __future__ import annotations

from overcast.protocol.catalog import BY_SIGNING_NAME, BY_SMITHY_SERVICE, BY_TARGET_PREFIX
from overcast.server.http import Request

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
