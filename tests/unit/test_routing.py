"""Service detection and account/region resolution, from requests that botocore itself signs."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from overcast.protocol import sigv4
from overcast.server.http import Request, RequestBody
from overcast.server.routing import detect_service


def signed(service_signing_name: str, url: str, *, method: str = "POST", headers: dict | None = None,
           body: bytes = b"", access_key: str = "test", region: str = "us-east-1") -> Request:
    aws = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials(access_key, "secret"), service_signing_name, region).add_auth(aws)
    prepared = aws.prepare()
    path, _, query = prepared.url.split("://", 1)[1].partition("/")[2].partition("?")
    hdrs = {k.lower(): v for k, v in prepared.headers.items()}
    hdrs.setdefault("host", url.split("://", 1)[1].split("/", 1)[0])
    return Request(method, "/" + path, query, hdrs, RequestBody.from_bytes(body))


def detect(request: Request) -> str:
    auth = sigv4.parse_auth(request)
    return detect_service(request, auth.service if auth else None)


@pytest.mark.parametrize(
    "signing, url, headers, expected",
    [
        ("dynamodb", "http://localhost:4566/", {"X-Amz-Target": "DynamoDB_20120810.GetItem"}, "dynamodb"),
        ("dynamodb", "http://localhost:4566/", {"X-Amz-Target": "DynamoDBStreams_20120810.ListStreams"}, "dynamodbstreams"),
        ("kinesis", "http://localhost:4566/", {"X-Amz-Target": "Kinesis_20131202.ListStreams"}, "kinesis"),
        ("sqs", "http://localhost:4566/", {"X-Amz-Target": "AmazonSQS.ListQueues"}, "sqs"),
        ("sts", "http://localhost:4566/", {}, "sts"),
        ("iam", "http://localhost:4566/", {}, "iam"),
        ("ses", "http://localhost:4566/", {}, "ses"),
        ("monitoring", "http://localhost:4566/service/GraniteServiceVersion20100801/operation/ListMetrics", {}, "cloudwatch"),
        ("lambda", "http://localhost:4566/2015-03-31/functions/", {}, "lambda"),
        ("apigateway", "http://localhost:4566/restapis", {}, "apigateway"),
        ("s3", "http://localhost:4566/bucket/key", {}, "s3"),
        ("s3", "http://bucket.localhost:4566/key", {}, "s3"),
    ],
)
def test_service_detected_from_signature_target_and_path(signing, url, headers, expected):
    assert detect(signed(signing, url, headers=headers)) == expected


def test_unsigned_requests_fall_back_to_path_then_s3():
    plain = Request("GET", "/2015-03-31/functions/", "", {"host": "localhost"}, RequestBody.from_bytes(b""))
    assert detect(plain) == "lambda"
    anonymous = Request("GET", "/some-bucket/some/key", "", {"host": "localhost"}, RequestBody.from_bytes(b""))
    assert detect(anonymous) == "s3"


def test_account_comes_from_a_twelve_digit_access_key_else_the_default():
    request = signed("s3", "http://localhost:4566/b", access_key="123456789012", region="eu-west-2")
    auth = sigv4.parse_auth(request)
    assert auth.region == "eu-west-2"
    assert sigv4.account_for_access_key(auth.access_key, "000000000000") == "123456789012"
    assert sigv4.account_for_access_key("AKIAEXAMPLE", "000000000000") == "000000000000"
