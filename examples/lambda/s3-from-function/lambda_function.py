"""A function that uses boto3 against Overcast's S3 from inside: creates a bucket if needed,
stores the event, and lists what is there."""

import json

import boto3

s3 = boto3.client("s3")


def lambda_handler(event, context):
    bucket = event["bucket"]
    existing = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"events/{context.aws_request_id}.json", Body=json.dumps(event).encode())
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {"bucket": bucket, "keys": keys}
