"""Event notifications are produced in AWS's format, filtered by the configuration, written
durably with the change (they survive kill -9), and ordered per key."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name

QUEUE = "arn:aws:sqs:us-east-1:000000000000:uploads"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:on-delete"
REMOVALS = "arn:aws:sqs:us-east-1:000000000000:removals"


def pending_events(server) -> list[tuple[str, dict]]:
    conn = sqlite3.connect(f"file:{server.data_dir / 'overcast.db'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT destination, payload FROM s3_events ORDER BY event_id").fetchall()
    finally:
        conn.close()
    return [(destination, json.loads(payload)["Records"][0]) for destination, payload in rows]


def test_events_written_with_the_change(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("events")
    s3.create_bucket(Bucket=bucket)
    # Queue destinations only: SQS does not exist yet, so their events stay in the outbox where
    # this test can read them (Lambda destinations are delivered at once: tests/e2e).
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [
            {"Id": "new-images", "QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"},
                                                {"Name": "suffix", "Value": ".png"}]}}},
            {"Id": "removals", "QueueArn": REMOVALS, "Events": ["s3:ObjectRemoved:Delete"]},
        ],
    })
    etag = s3.put_object(Bucket=bucket, Key="images/cat one.png", Body=b"meow")["ETag"].strip('"')
    s3.put_object(Bucket=bucket, Key="images/readme.txt", Body=b"no event: suffix")
    s3.put_object(Bucket=bucket, Key="docs/x.png", Body=b"no event: prefix")
    s3.copy_object(Bucket=bucket, Key="images/copy.png", CopySource=f"{bucket}/images/cat one.png")
    s3.delete_object(Bucket=bucket, Key="docs/x.png")
    s3.delete_object(Bucket=bucket, Key="never-existed")
    fresh_server.kill9()  # acknowledged means durable: the events are there after a crash
    events = pending_events(fresh_server)
    assert [(d, e["eventName"], e["s3"]["object"]["key"]) for d, e in events] == [
        (QUEUE, "ObjectCreated:Put", "images/cat+one.png"),
        (QUEUE, "ObjectCreated:Copy", "images/copy.png"),
        (REMOVALS, "ObjectRemoved:Delete", "docs/x.png"),
    ]
    first = events[0][1]
    assert first["eventVersion"] == "2.1"
    assert first["eventSource"] == "aws:s3"
    assert first["awsRegion"] == "us-east-1"
    assert first["s3"]["configurationId"] == "new-images"
    assert first["s3"]["bucket"]["name"] == bucket
    assert first["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert first["s3"]["object"]["size"] == 4
    assert first["s3"]["object"]["eTag"] == etag
    assert first["eventTime"].endswith("Z")
    sequencers = [e["s3"]["object"]["sequencer"] for _, e in events]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == len(sequencers)
    assert "size" not in events[2][1]["s3"]["object"]


def test_multipart_completion_event(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("events")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:CompleteMultipartUpload"]}]})
    s3.put_object(Bucket=bucket, Key="plain", Body=b"no event")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=1, Body=b"x")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    events = pending_events(fresh_server)
    assert [(e["eventName"], e["s3"]["object"]["key"]) for _, e in events] == [
        ("ObjectCreated:CompleteMultipartUpload", "big")]
