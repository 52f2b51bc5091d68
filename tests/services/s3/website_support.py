"""Helpers for the website endpoint tests: publishing a bucket as a website and plain HTTP
requests to it (the website endpoint is anonymous: no signature)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass


def public_read_policy(bucket: str, resource: str = "*") -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/{resource}"}],
    })


@dataclass
class WebResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


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


class Website:
    """One bucket served as a website by the shared server."""

    def __init__(self, s3, server, bucket: str):
        self.s3 = s3
        self.server = server
        self.bucket = bucket

    @property
    def host(self) -> str:
        return f"{self.bucket}.s3-website.localhost:{self.server.port}"

    def get(self, path: str, method: str = "GET", host: str | None = None, **headers: str) -> WebResponse:
        return web_request(self.server.port, host or self.host, path, method,
                           {k.replace("_", "-"): v for k, v in headers.items()})

    def put(self, key: str, body: bytes | str, content_type: str = "text/html", **extra) -> dict:
        data = body.encode() if isinstance(body, str) else body
        return self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra)

    def configure(self, **config) -> None:
        self.s3.put_bucket_website(Bucket=self.bucket, WebsiteConfiguration=config)

    def make_public(self, resource: str = "*") -> None:
        self.s3.put_bucket_policy(Bucket=self.bucket, Policy=public_read_policy(self.bucket, resource))
