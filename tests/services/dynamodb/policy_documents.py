"""Resource-based policy documents for the tests, and the words DynamoDB refuses them with."""

from __future__ import annotations

import json

NOT_FOUND = "Resource-based policy not found for the provided ResourceArn: "
JOHN = "arn:aws:iam::111122223333:user/John"


def policy(resource: str, action: str | list = "dynamodb:GetItem", **statement) -> str:
    """A document granting John `action` on `resource`."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": JOHN}, "Action": action, "Resource": resource, **statement}]})


def table_arn(ddb, name: str) -> str:
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]
