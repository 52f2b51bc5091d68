"""CORS: rule matching, preflight answers and headers on actual requests."""

from __future__ import annotations

from overcast.services.s3.cors import allow_headers, matching_rule
from tests.services.s3.conftest import raw_request

RULES = [
    {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"],
     "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


def test_rule_matching_order_and_wildcards():
    assert matching_rule(RULES, "https://app.example.com", "PUT", ["content-type", "x-amz-meta-a"]) is RULES[0]
    assert matching_rule(RULES, "https://other.example", "GET", []) is RULES[1]
    assert matching_rule(RULES, "https://other.example", "PUT", []) is None
    assert matching_rule(RULES, "https://app.example.com", "PUT", ["authorization"]) is None
    wildcard_origin = [{"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET"]}]
    assert matching_rule(wildcard_origin, "https://a.example.com", "GET", []) is not None
    assert matching_rule(wildcard_origin, "https://example.org", "GET", []) is None


def test_allow_headers():
    headers = dict(allow_headers(RULES[0], "https://app.example.com", ["content-type"]))
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert headers["Access-Control-Allow-Headers"] == "content-type"
    assert headers["Access-Control-Expose-Headers"] == "ETag"
    assert headers["Access-Control-Max-Age"] == "600"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert dict(allow_headers(RULES[1], "https://x", None))["Access-Control-Allow-Origin"] == "*"


def test_preflight_against_the_server(server, s3, bucket):
    def preflight(origin: str, method: str, headers: str = ""):
        extra = {"Origin": origin, "Access-Control-Request-Method": method}
        if headers:
            extra["Access-Control-Request-Headers"] = headers
        return raw_request(server.endpoint_url, "OPTIONS", f"/{bucket}/file.txt", headers=extra)

    status, _, body = preflight("https://app.example.com", "GET")
    assert status == 403 and b"CORS is not enabled for this bucket." in body
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    status, headers, _ = preflight("https://app.example.com", "PUT", "Content-Type")
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    status, _, body = preflight("https://evil.example", "PUT")
    assert status == 403 and b"This CORS request is not allowed" in body
