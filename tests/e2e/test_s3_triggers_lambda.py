"""S3 event notifications reach a Lambda function: the tutorial "Using an Amazon S3 trigger to
invoke a Lambda function", with the example function from examples/lambda/s3-thumbnail-notes."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.support.lambda_code import ROLE, zip_directory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lambda" / "s3-thumbnail-notes"


def _wait_for_object(s3, bucket: str, key: str, timeout: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as err:
            if err.response["Error"]["Code"] != "NoSuchKey" or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def triggered_bucket(client_factory):
    s3, lam = client_factory("s3"), client_factory("lambda")
    suffix = uuid.uuid4().hex[:10]
    bucket, function = f"notes-{suffix}", f"notes-{suffix}"
    arn = lam.create_function(
        FunctionName=function, Runtime="python3.12", Role=ROLE,
        Handler="lambda_function.lambda_handler", Code={"ZipFile": zip_directory(EXAMPLE)}, Timeout=30,
    )["FunctionArn"]
    lam.add_permission(FunctionName=function, StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}},
        }],
    })
    return s3, bucket


def test_new_object_triggers_the_function_which_writes_its_result(triggered_bucket):
    s3, bucket = triggered_bucket
    s3.put_object(Bucket=bucket, Key="incoming/notes.txt", Body=b"one\ntwo\nthree")
    result = json.loads(_wait_for_object(s3, bucket, "results/incoming/notes.txt.json"))
    assert result == {"source": "incoming/notes.txt", "bytes": 13, "lines": 3}


def test_keys_outside_the_filter_do_not_trigger(triggered_bucket):
    s3, bucket = triggered_bucket
    s3.put_object(Bucket=bucket, Key="elsewhere/skip.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="incoming/after.txt", Body=b"y")
    _wait_for_object(s3, bucket, "results/incoming/after.txt.json")
    # Events for different keys may run in parallel, so give a wrongly delivered event for the
    # earlier key time to show: the function handles any key in milliseconds.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="results/").get("Contents", [])]
        assert listed == ["results/incoming/after.txt.json"]
        time.sleep(0.2)


def test_a_key_with_spaces_arrives_url_encoded_and_is_decoded_by_the_function(triggered_bucket):
    s3, bucket = triggered_bucket
    s3.put_object(Bucket=bucket, Key="incoming/my notes+1.txt", Body=b"a\nb")
    result = json.loads(_wait_for_object(s3, bucket, "results/incoming/my notes+1.txt.json"))
    assert result["source"] == "incoming/my notes+1.txt" and result["lines"] == 2
