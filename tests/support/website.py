"""Plain HTTP to the S3 website endpoint, as a browser would send it: anonymous (no signature),
the bucket named by the Host header."""

from __future__ import annotations

import http.client
from dataclasses import dataclass


@dataclass
class WebResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def website_host(bucket: str, port: int) -> str:
    return f"{bucket}.s3-website.localhost:{port}"


def web_request(port: int, host: str | None, path: str, method: str = "GET",
                headers: dict[str, str] | None = None) -> WebResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        all_headers = dict(headers or {})
        if host is not None:
            all_headers["Host"] = host
        conn.request(method, path, headers=all_headers)
        response = conn.getresponse()
        return WebResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()
