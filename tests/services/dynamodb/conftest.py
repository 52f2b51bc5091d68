"""boto3 clients and throw-away tables on the shared server."""

from __future__ import annotations

import itertools
import uuid

import boto3
import pytest
from botocore.config import Config

from tests.services.dynamodb.transfer_support import held_server  # noqa: F401  (a fixture of the export and import tests)
from tests.support.errors import error_of, refused  # noqa: F401  (the DynamoDB tests import them from here)

_counter = itertools.count()


@pytest.fixture(scope="session")
def ddb(client_factory):
    return client_factory("dynamodb")


@pytest.fixture(scope="session")
def streams(client_factory):
    return client_factory("dynamodbstreams")


@pytest.fixture(scope="session")
def ddb_resource(server):
    return boto3.resource("dynamodb", endpoint_url=server.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(retries={"max_attempts": 1}))


def unique_name(prefix: str = "tbl") -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


def on_demand_table(client, prefix: str = "tbl", **extra) -> str:
    """A new on-demand table keyed by a string pk, through `client` (a fresh server's)."""
    name = unique_name(prefix)
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], **extra)
    return name


@pytest.fixture
def make_table(ddb):
    created = []

    def factory(hash_type: str = "S", range_type: str | None = None, **extra) -> str:
        name = extra.pop("TableName", None) or unique_name()
        schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
        definitions = [{"AttributeName": "pk", "AttributeType": hash_type}]
        if range_type:
            schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
            definitions.append({"AttributeName": "sk", "AttributeType": range_type})
        definitions += extra.pop("ExtraDefinitions", [])
        ddb.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=definitions,
                         BillingMode="PAY_PER_REQUEST", **extra)
        created.append(name)
        return name

    yield factory
    for name in created:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            pass


@pytest.fixture(scope="session")
def raw(client_factory):
    """A client without botocore's own checks, so that the server's answer is what is tested."""
    return client_factory("dynamodb", parameter_validation=False)


@pytest.fixture(scope="session")
def raw_streams(client_factory):
    return client_factory("dynamodbstreams", parameter_validation=False)
