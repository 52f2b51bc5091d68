"""The S3 static website endpoint: a data plane of its own, as on AWS.

Hosts `<bucket>.s3-website.localhost`, `<bucket>.s3-website-<region>.localhost` and
`<bucket>.s3-website.<region>.localhost` (any port; `.amazonaws.com` too), and the path form
`/_overcast/s3-website/<bucket>/<path>` for clients that cannot set Host. Only GET and HEAD;
errors are HTML pages; reads need the bucket policy (or the object's ACL) to let everyone read.

This module is what the server loads at start-up to recognise website requests; serving one
(website_request.py) is loaded on the first.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from overcast.server.http import Request, Response

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient

PATH_PREFIX = "/_overcast/s3-website/"
_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.\-_]*?)\.s3-website(?:[-.](?P<region>[a-z0-9-]+))?"
                   r"\.(?:localhost|amazonaws\.com)(?::\d+)?$")


class WebsiteTarget:
    """The bucket a website request is for, and its path."""

    __slots__ = ("bucket", "path", "base")

    def __init__(self, bucket: str, path: str, base: str):
        self.bucket = bucket
        self.path = path  # as sent (percent-encoded), starting with "/"
        self.base = base  # what precedes `path` in this endpoint's URLs: "" for the Host form


@lru_cache(maxsize=1024)
def _bucket_of_host(host: str) -> str | None:
    """The bucket a website Host names (a site is asked for under the same few hosts)."""
    match = _HOST.match(host.lower())
    return match.group("bucket") if match else None


def website_target(request: Request) -> WebsiteTarget | None:
    """The bucket and path when the request is for a website endpoint, else None."""
    host = request.headers.get("host", "")
    if ".s3-website" in host:
        bucket = _bucket_of_host(host)
        if bucket:
            return WebsiteTarget(bucket, request.path or "/", "")
    if request.path.startswith(PATH_PREFIX):
        bucket, _, path = request.path[len(PATH_PREFIX):].partition("/")
        if bucket:
            return WebsiteTarget(bucket, "/" + path, PATH_PREFIX + bucket)
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
            return await self.serve(req, target)

        return handler

    async def serve_path_form(self, request: Request) -> Response:
        target = website_target(request)
        if target is None:
            target = WebsiteTarget("", "/", PATH_PREFIX)  # answered as a bucket that does not exist
        return await self.serve(request, target)

    async def serve(self, request: Request, target: WebsiteTarget) -> Response:
        from overcast.services.s3.website_request import serve_website

        return await serve_website(self.internal, request, target)
