"""The deprecated PutBucketLifecycle/GetBucketLifecycle and PutBucketNotification/
GetBucketNotification that older SDKs still call. S3 gives them the same requests as their
successors (PUT and GET /?lifecycle, /?notification) with documents written so that either
reads the other's, so they share one stored configuration: what the old call writes the new
one reads, and the other way round."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_error

OLD_RULE = {"ID": "logs", "Prefix": "logs/", "Status": "Enabled", "Expiration": {"Days": 30},
            "Transition": {"Days": 10, "StorageClass": "GLACIER"},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 5}}


def without_metadata(answer: dict) -> dict:
    return {name: value for name, value in answer.items() if name != "ResponseMetadata"}


def test_old_lifecycle_calls_share_the_current_configuration(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle(Bucket=bucket)
    assert_error(exc, "NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist")

    s3.put_bucket_lifecycle(Bucket=bucket, LifecycleConfiguration={"Rules": [OLD_RULE]})
    assert s3.get_bucket_lifecycle(Bucket=bucket)["Rules"] == [OLD_RULE]
    # The current API reads the same rule: the single Transition is its list of one.
    current = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert current == [{"ID": "logs", "Prefix": "logs/", "Status": "Enabled", "Expiration": {"Days": 30},
                        "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}],
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 5}}]

    # Written by the current API, read by the old one (which knows no Filter and skips it).
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}}]})
    assert s3.get_bucket_lifecycle(Bucket=bucket)["Rules"] == [{"ID": "tmp", "Status": "Enabled",
                                                                "Expiration": {"Days": 1}}]
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle(Bucket=bucket)
    assert_error(exc, "NoSuchLifecycleConfiguration", 404)


def test_old_lifecycle_refusals_are_the_current_ones(s3, bucket):
    s3.put_bucket_lifecycle(Bucket=bucket, LifecycleConfiguration={"Rules": [OLD_RULE]})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {**OLD_RULE, "Expiration": {"Days": 0}}]})
    assert_error(exc, "InvalidArgument", 400, "'Days' for Expiration action must be a positive integer")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle(Bucket=bucket, LifecycleConfiguration={"Rules": [OLD_RULE, OLD_RULE]})
    assert_error(exc, "InvalidArgument", 400, "Rule ID must be unique. Found same ID for more than one rule")
    assert s3.get_bucket_lifecycle(Bucket=bucket)["Rules"] == [OLD_RULE]


def test_old_notification_calls_share_the_current_configuration(s3, bucket):
    assert without_metadata(s3.get_bucket_notification(Bucket=bucket)) == {}
    topic = "arn:aws:sns:us-east-1:000000000000:uploads"
    queue = "arn:aws:sqs:us-east-1:000000000000:removals"
    s3.put_bucket_notification(Bucket=bucket, NotificationConfiguration={
        "TopicConfiguration": {"Id": "t", "Events": ["s3:ObjectCreated:*"], "Topic": topic},
        "QueueConfiguration": {"Id": "q", "Event": "s3:ObjectRemoved:*", "Queue": queue}})
    current = without_metadata(s3.get_bucket_notification_configuration(Bucket=bucket))
    assert current == {"TopicConfigurations": [{"Id": "t", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}],
                       "QueueConfigurations": [{"Id": "q", "QueueArn": queue, "Events": ["s3:ObjectRemoved:*"]}]}
    old = without_metadata(s3.get_bucket_notification(Bucket=bucket))
    assert old["TopicConfiguration"]["Topic"] == topic and old["TopicConfiguration"]["Events"] == [
        "s3:ObjectCreated:*"]
    assert old["QueueConfiguration"]["Queue"] == queue and old["QueueConfiguration"]["Event"] == "s3:ObjectRemoved:*"

    # An empty document turns notifications off through either API.
    s3.put_bucket_notification(Bucket=bucket, NotificationConfiguration={})
    assert without_metadata(s3.get_bucket_notification_configuration(Bucket=bucket)) == {}


def test_old_cloud_function_destinations_are_checked_like_lambda_ones(s3, bucket):
    missing = "arn:aws:lambda:us-east-1:000000000000:function:never-created-for-deprecated-api"
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification(Bucket=bucket, NotificationConfiguration={"CloudFunctionConfiguration": {
            "Id": "f", "Events": ["s3:ObjectCreated:*"], "CloudFunction": missing,
            "InvocationRole": "arn:aws:iam::000000000000:role/s3-invoke"}})
    error = assert_error(exc, "InvalidArgument", 400, "Unable to validate the following destination configurations")
    assert error["ArgumentName1"] == f"{missing}, null"
    assert without_metadata(s3.get_bucket_notification(Bucket=bucket)) == {}
