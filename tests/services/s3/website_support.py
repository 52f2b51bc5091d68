"""Helpers for the website endpoint tests: publishing a bucket as a website and plain HTTP
requests to it (the website endpoint is anonymous: no signature)."""

from __future__ import annotations

import json

from tests.services.s3.conftest import create_public_bucket, unique_bucket_name
from tests.support.website import WebResponse, web_request, website_host

__all__ = ["WebResponse", "Website", "public_read_policy", "web_request"]


def public_read_policy(bucket: str, resource: str = "*") -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/{resource}"}],
    })


class Website:
    """One bucket served as a website by the shared server."""

    def __init__(self, s3, server, bucket: str):
        self.s3 = s3
        self.server = server
        self.bucket = bucket

    @classmethod
    def new(cls, s3, server, prefix: str) -> Website:
        """A new empty bucket under a unique name starting with `prefix`, not yet configured, that
        may be made public: Block Public Access off and ACLs enabled, as for a site on AWS."""
        return cls(s3, server, create_public_bucket(s3, unique_bucket_name(prefix)))

    @property
    def host(self) -> str:
        return website_host(self.bucket, self.server.port)

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
