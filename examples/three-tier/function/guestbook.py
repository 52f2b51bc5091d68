"""The guestbook's API, behind API Gateway as a Lambda proxy integration (payload format 1.0).

GET /entries lists the newest entries; POST /entries {"name": ..., "message": ...} signs the
book. Entries live in DynamoDB, one partition ordered by time, so the list is a single Query.
The page that calls this API is served from another origin (the S3 website), so every answer
carries CORS headers and the browser's preflight OPTIONS is answered here too.
"""

import base64
import json
import os
import time
import uuid

import boto3
from boto3.dynamodb.conditions import Key

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
BOOK = "main"  # the partition every entry is written to
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}


def respond(status, body=None):
    headers = {**CORS, "Content-Type": "application/json"}
    return {"statusCode": status, "headers": headers, "body": "" if body is None else json.dumps(body)}


def list_entries():
    answer = TABLE.query(KeyConditionExpression=Key("book").eq(BOOK), ScanIndexForward=False, Limit=20)
    entries = [{"name": item["name"], "message": item["message"], "at": int(item["at"])} for item in answer["Items"]]
    return respond(200, {"entries": entries})


def sign(event):
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    try:
        data = json.loads(body)
    except ValueError:
        return respond(400, {"message": "The body must be JSON."})
    if not isinstance(data, dict):
        return respond(400, {"message": "The body must be a JSON object."})
    name, message = str(data.get("name") or "").strip(), str(data.get("message") or "").strip()
    if not name or not message:
        return respond(400, {"message": "Both name and message are required."})
    at = int(time.time() * 1000)
    # The sort key orders entries by time; the suffix keeps two entries of one millisecond apart.
    entry = {"book": BOOK, "sk": f"{at:013d}#{uuid.uuid4().hex[:8]}", "name": name[:100],
             "message": message[:500], "at": at}
    TABLE.put_item(Item=entry)
    return respond(201, {"name": entry["name"], "message": entry["message"], "at": at})


def lambda_handler(event, context):
    method, path = event["httpMethod"], (event.get("path") or "/").rstrip("/")
    if method == "OPTIONS":
        return {"statusCode": 204, "headers": CORS, "body": ""}
    if path != "/entries":
        return respond(404, {"message": f"Nothing at {event.get('path')}."})
    if method == "GET":
        return list_entries()
    if method == "POST":
        return sign(event)
    return respond(405, {"message": f"{method} is not allowed here."})
