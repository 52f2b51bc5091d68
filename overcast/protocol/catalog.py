"""The services Overcast ships and how a request finds its service.

Kept as a static table so that routing never loads a model: a model is loaded on the
service's first request. Each row: our name (botocore's data directory), the SigV4 signing
names that select it, the X-Amz-Target prefix (json protocols), and the endpoint prefix that a
virtual host may carry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceEntry:
    name: str  # botocore data directory name; also our services/<pkg> key
    protocol: str  # the wire protocol we speak for it
    signing_names: tuple[str, ...]
    target_prefix: str | None = None
    endpoint_prefix: str | None = None
    package: str | None = None  # python package under overcast.services, when it differs from name


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry("s3", "rest-xml", ("s3",), endpoint_prefix="s3"),
    ServiceEntry("cloudfront", "rest-xml", ("cloudfront",), endpoint_prefix="cloudfront"),
    ServiceEntry("lambda", "rest-json", ("lambda",), endpoint_prefix="lambda", package="lambda_"),
    ServiceEntry("apigateway", "rest-json", ("apigateway",), endpoint_prefix="apigateway"),
    ServiceEntry("dynamodb", "json", ("dynamodb",), "DynamoDB_20120810", "dynamodb"),
    ServiceEntry("dynamodbstreams", "json", (), "DynamoDBStreams_20120810", "streams.dynamodb"),
    ServiceEntry("kinesis", "json", ("kinesis",), "Kinesis_20131202", "kinesis"),
    ServiceEntry(
        "cognito-idp",
        "json",
        ("cognito-idp",),
        "AWSCognitoIdentityProviderService",
        "cognito-idp",
        package="cognito_idp",
    ),
    ServiceEntry("logs", "json", ("logs",), "Logs_20140328", "logs"),
    ServiceEntry("sqs", "json", ("sqs",), "AmazonSQS", "sqs"),
    ServiceEntry("events", "json", ("events",), "AWSEvents", "events"),
    ServiceEntry("sns", "query", ("sns",), endpoint_prefix="sns"),
    ServiceEntry("ses", "query", ("ses",), endpoint_prefix="email"),
    ServiceEntry("iam", "query", ("iam",), endpoint_prefix="iam"),
    ServiceEntry("sts", "query", ("sts",), endpoint_prefix="sts"),
    ServiceEntry(
        "cloudwatch", "smithy-rpc-v2-cbor", ("monitoring",), "GraniteServiceVersion20100801", "monitoring"
    ),
)

BY_NAME: dict[str, ServiceEntry] = {s.name: s for s in SERVICES}
BY_TARGET_PREFIX: dict[str, ServiceEntry] = {s.target_prefix: s for s in SERVICES if s.target_prefix}
BY_SIGNING_NAME: dict[str, ServiceEntry] = {}
for _entry in SERVICES:
    for _signing in _entry.signing_names:
        BY_SIGNING_NAME.setdefault(_signing, _entry)
# CloudWatch over CBOR names itself in the path: /service/GraniteServiceVersion20100801/operation/X
BY_SMITHY_SERVICE: dict[str, ServiceEntry] = {"GraniteServiceVersion20100801": BY_NAME["cloudwatch"]}
