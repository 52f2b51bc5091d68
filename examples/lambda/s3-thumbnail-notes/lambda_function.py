"""Triggered by S3 ObjectCreated events: reads each new object and writes a summary next to it.

Like AWS's "Using an Amazon S3 trigger to invoke a Lambda function" tutorial; boto3 inside the
function reaches Overcast's S3 through AWS_ENDPOINT_URL, which Overcast sets.
"""

import json
import urllib.parse

import boto3

s3 = boto3.client("s3")


def lambda_handler(event, context):
    written = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        if key.startswith("results/"):
            continue  # our own output must not trigger more work
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        summary = {"source": key, "bytes": len(body), "lines": body.count(b"\n") + (1 if body else 0)}
        target = f"results/{key}.json"
        s3.put_object(Bucket=bucket, Key=target, Body=json.dumps(summary).encode(),
                      ContentType="application/json")
        written.append(target)
    return {"written": written}
