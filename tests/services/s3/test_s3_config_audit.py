"""Bucket configuration validation found missing by the S3 configuration audit: lifecycle rules,
CORS origins, notification configurations and default encryption, each refused with S3's code,
message and status, and a refused document changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error

MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"
KEPT_RULE = {"ID": "kept", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 7}}
ALL = {"Status": "Enabled", "Filter": {"Prefix": ""}}

LIFECYCLE_REFUSALS = [
    # ceph s3-tests test_lifecycle_id_too_long; message as S3Proxy and RGW answer it.
    ({**ALL, "ID": "a" * 256, "Expiration": {"Days": 1}}, "InvalidArgument",
     "ID length should not exceed allowed limit of 255"),
    # ceph s3-tests test_lifecycle_expiration_days0.
    ({**ALL, "Expiration": {"Days": 0}}, "InvalidArgument", "'Days' for Expiration action must be a positive integer"),
    ({**ALL, "Expiration": {"Date": datetime(2031, 1, 1, 5, tzinfo=UTC)}}, "InvalidArgument",
     "'Date' must be at midnight GMT"),
    ({**ALL, "Expiration": {"Days": 1, "Date": datetime(2031, 1, 1, tzinfo=UTC)}}, "MalformedXML", MALFORMED),
    ({**ALL, "Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True}}, "MalformedXML", MALFORMED),
    ({"Status": "Enabled", "Filter": {"Prefix": "a/", "Tag": {"Key": "k", "Value": "v"}},
      "Expiration": {"Days": 1}}, "MalformedXML", MALFORMED),
    ({"Status": "Enabled", "Filter": {"And": {"Prefix": "a/", "Tags": [{"Key": "k", "Value": "1"},
                                                                      {"Key": "k", "Value": "2"}]}},
      "Expiration": {"Days": 1}}, "InvalidRequest", "Duplicate Tag Keys are not allowed."),
    ({**ALL, "NoncurrentVersionExpiration": {"NoncurrentDays": 0}}, "InvalidArgument",
     "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"),
    ({**ALL, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 0}}, "InvalidArgument",
     "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"),
]


@pytest.mark.parametrize(("rule", "code", "message"), LIFECYCLE_REFUSALS)
def test_lifecycle_rule_refused(s3, bucket, rule, code, message):
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [KEPT_RULE]})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert_error(exc, code, 400, message)
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [KEPT_RULE]


def test_lifecycle_refusals_name_the_argument(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {**ALL, "ID": "b" * 256, "Expiration": {"Days": 1}}]})
    error = assert_error(exc, "InvalidArgument", 400)
    assert (error["ArgumentName"], error["ArgumentValue"]) == ("ID", "b" * 256)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {**ALL, "Expiration": {"Date": datetime(2031, 1, 1, 12, tzinfo=UTC)}}]})
    assert assert_error(exc, "InvalidArgument", 400)["ArgumentName"] == "Date"


def test_lifecycle_rule_without_an_id_is_given_one(s3, bucket):
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {**ALL, "Expiration": {"Days": 3}}, {**KEPT_RULE}]})
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["ID"] and rules[0]["ID"] != "kept"
    assert rules[1]["ID"] == "kept"


def test_cors_origin_with_two_wildcards_refused(s3, bucket):
    kept = [{"AllowedOrigins": ["http://*.example.com"], "AllowedMethods": ["GET"]}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": kept})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*example*.com"], "AllowedMethods": ["GET"]}]})
    assert_error(exc, "InvalidRequest", 400, 'AllowedOrigin "*example*.com" can not have more than one wildcard.')
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == kept


QUEUE = "arn:aws:sqs:us-east-1:000000000000:audit"


def queue_config(events: list[str], *rules: tuple[str, str], arn: str = QUEUE) -> dict:
    config: dict = {"QueueArn": arn, "Events": events}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": [{"Name": name, "Value": value} for name, value in rules]}}
    return config


NOTIFICATION_REFUSALS = [
    ([queue_config(["s3:ObjectCreated:Everything"])], "The event is not supported for notifications"),
    ([queue_config(["s3:ObjectCreated:*"], ("middle", "x"))], "filter rule name must be either prefix or suffix"),
    ([queue_config(["s3:ObjectCreated:*"], ("prefix", "a/"), ("Prefix", "b/"))],
     "Cannot specify more than one prefix rule in a filter."),
    ([queue_config(["s3:ObjectCreated:*"]), queue_config(["s3:ObjectCreated:Put"], arn=QUEUE + "-2")],
     "Configurations overlap. Configurations on the same bucket cannot share a common event type."),
    ([queue_config(["s3:ObjectCreated:*"], ("prefix", "data/")),
      queue_config(["s3:ObjectCreated:*"], arn=QUEUE + "-2")],
     "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are "
     "overlapping for the same event type."),
]


@pytest.mark.parametrize(("queues", "message"), NOTIFICATION_REFUSALS)
def test_notification_configuration_refused(s3, bucket, queues, message):
    kept = {"QueueConfigurations": [{"Id": "kept", **queue_config(["s3:ObjectRemoved:*"])}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=kept)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=bucket,
                                                 NotificationConfiguration={"QueueConfigurations": queues})
    assert_error(exc, "InvalidArgument", 400, message)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [c["Id"] for c in got["QueueConfigurations"]] == ["kept"]


def test_notification_filters_that_cannot_meet_share_an_event(s3, bucket):
    # The user guide's valid example: one prefix, two suffixes that no key can both end with.
    config = {"QueueConfigurations": [
        queue_config(["s3:ObjectCreated:Put"], ("prefix", "images/"), ("suffix", ".jpg")),
        queue_config(["s3:ObjectCreated:Put"], ("prefix", "images/"), ("suffix", ".png"), arn=QUEUE + "-2"),
        queue_config(["s3:ObjectRemoved:*"], arn=QUEUE + "-3")]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    # S3 names each configuration and writes the rule names as Prefix and Suffix.
    assert all(entry["Id"] for entry in got)
    assert len({entry["Id"] for entry in got}) == 3
    assert got[0]["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "images/"},
                                                      {"Name": "Suffix", "Value": ".jpg"}]


ENCRYPTION_REFUSALS = [
    ({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}] * 2}, "MalformedXML",
     MALFORMED),
    ({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES128"}}]}, "MalformedXML", MALFORMED),
    ({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "key"}}]},
     "InvalidArgument",
     "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse"),
]


@pytest.mark.parametrize(("config", "code", "message"), ENCRYPTION_REFUSALS)
def test_bucket_encryption_refused(s3, bucket, config, code, message):
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config)
    error = assert_error(exc, code, 400, message)
    if code == "InvalidArgument":
        assert error["ArgumentName"] == "ApplyServerSideEncryptionByDefault"
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert got["Rules"][0]["ApplyServerSideEncryptionByDefault"] == kms["Rules"][0]["ApplyServerSideEncryptionByDefault"]



@pytest.mark.parametrize("error_code", ["200", "302", "600"])
def test_website_routing_condition_on_a_code_that_is_no_error_refused(s3, bucket, error_code):
    kept = {"IndexDocument": {"Suffix": "index.html"}}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=kept)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [{"Condition": {"HttpErrorCodeReturnedEquals": error_code},
                              "Redirect": {"HostName": "example.com"}}]})
    assert_error(exc, "InvalidRequest", 400,
                 f"The provided HTTP error code ({error_code}) is not valid. Valid codes are 4XX or 5XX.")
    assert "RoutingRules" not in s3.get_bucket_website(Bucket=bucket)
