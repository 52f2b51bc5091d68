"""Transfer acceleration, requester pays and server access logging: stored and answered as S3
answers them (Terraform's aws_s3_bucket_accelerate_configuration, _request_payment_configuration
and _logging resources write them), refused as S3 refuses them, a refusal changing nothing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error, unique_bucket_name
from tests.services.s3.test_buckets import client_as


def test_acceleration_is_stored_and_answered(s3, bucket):
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Suspended"


def test_acceleration_refusals(s3, bucket):
    dotted = f"{unique_bucket_name()}.example"
    s3.create_bucket(Bucket=dotted)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_accelerate_configuration(Bucket=dotted, AccelerateConfiguration={"Status": "Enabled"})
    assert_error(exc, "InvalidRequest", 400,
                 "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=dotted)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "On"})
    assert_error(exc, "MalformedXML", 400)
    missing = unique_bucket_name()
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_accelerate_configuration(Bucket=missing, AccelerateConfiguration={"Status": "Enabled"})
    assert_error(exc, "NoSuchBucket", 404, "The specified bucket does not exist")


def test_requester_pays_is_stored_and_answered(s3, bucket):
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Nobody"})
    assert_error(exc, "MalformedXML", 400)
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "BucketOwner"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"


def test_logging_is_stored_answered_and_turned_off(s3, bucket):
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    target = unique_bucket_name("logs")
    s3.create_bucket(Bucket=target)
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "access/"}})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {"TargetBucket": target,
                                                                      "TargetPrefix": "access/"}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})  # an empty status turns it off
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)


def test_logging_target_refusals(s3, bucket, server):
    missing = unique_bucket_name("logs")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": missing, "TargetPrefix": "p/"}})
    error = assert_error(exc, "InvalidTargetBucketForLogging", 400, "The target bucket for logging does not exist")
    assert error["TargetBucket"] == missing

    other_account = client_as(server, access_key="111122223333")
    foreign = unique_bucket_name("logs")
    other_account.create_bucket(Bucket=foreign)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": foreign, "TargetPrefix": "p/"}})
    error = assert_error(exc, "InvalidTargetBucketForLogging", 400,
                         "The owner for the bucket to be logged and the target bucket must be the same.")
    assert error["TargetBucket"] == foreign

    elsewhere = unique_bucket_name("logs")
    client_as(server, "eu-west-1").create_bucket(Bucket=elsewhere,
                                                 CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": elsewhere, "TargetPrefix": "p/"}})
    assert_error(exc, "CrossLocationLoggingProhibitted", 403,
                 "Cross-location logging not allowed. Buckets in one geographic location cannot log "
                 "information to a bucket in another location.")
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)  # no refusal changed anything
