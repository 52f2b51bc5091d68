"""The AWS CLI against the server: create a table, write, read, query."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.services.dynamodb.conftest import unique_name

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="AWS CLI not installed")


def _aws(env, *args: str) -> dict:
    result = subprocess.run(["aws", "dynamodb", *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_cli_round_trip(aws_cli_env):
    name = unique_name("cli")
    _aws(aws_cli_env, "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
         "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
         "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N")
    _aws(aws_cli_env, "wait", "table-exists", "--table-name", name)
    _aws(aws_cli_env, "put-item", "--table-name", name, "--item", json.dumps({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}}))
    got = _aws(aws_cli_env, "get-item", "--table-name", name, "--key", json.dumps({"pk": {"S": "a"}, "sk": {"N": "1"}}))
    assert got["Item"]["v"] == {"S": "x"}
    queried = _aws(aws_cli_env, "query", "--table-name", name, "--key-condition-expression", "pk = :p",
                   "--expression-attribute-values", json.dumps({":p": {"S": "a"}}))
    assert queried["Count"] == 1
    result = subprocess.run(["aws", "dynamodb", "describe-table", "--table-name", "no-such-table"], env=aws_cli_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    _aws(aws_cli_env, "delete-table", "--table-name", name)


def test_cli_multi_attribute_index_and_resource_policy(aws_cli_env):
    """The CLI's shorthand for this session's features: a GSI keyed by two HASH and two RANGE
    attributes, queried by its prefix; a resource policy put and read back."""
    name = unique_name("cli-multi")
    definitions = [f"AttributeName={n},AttributeType=S" for n in ("pk", "h1", "h2", "r1", "r2")]
    index = {"IndexName": "multi", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "h1", "KeyType": "HASH"}, {"AttributeName": "h2", "KeyType": "HASH"},
                           {"AttributeName": "r1", "KeyType": "RANGE"}, {"AttributeName": "r2", "KeyType": "RANGE"}]}
    created = _aws(aws_cli_env, "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
                   "--key-schema", "AttributeName=pk,KeyType=HASH", "--attribute-definitions", *definitions,
                   "--global-secondary-indexes", json.dumps([index]))
    assert len(created["TableDescription"]["GlobalSecondaryIndexes"][0]["KeySchema"]) == 4
    for pk, r1, r2 in (("a", "x", "2"), ("b", "x", "1"), ("c", "y", "1")):
        _aws(aws_cli_env, "put-item", "--table-name", name, "--item", json.dumps(
            {"pk": {"S": pk}, "h1": {"S": "H"}, "h2": {"S": "K"}, "r1": {"S": r1}, "r2": {"S": r2}}))
    found = _aws(aws_cli_env, "query", "--table-name", name, "--index-name", "multi",
                 "--key-condition-expression", "h1 = :a AND h2 = :b AND r1 = :x",
                 "--expression-attribute-values", json.dumps({":a": {"S": "H"}, ":b": {"S": "K"}, ":x": {"S": "x"}}))
    assert [item["pk"]["S"] for item in found["Items"]] == ["b", "a"]
    arn = created["TableDescription"]["TableArn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                                                      "Action": "dynamodb:GetItem", "Resource": arn}]}
    put = _aws(aws_cli_env, "put-resource-policy", "--resource-arn", arn, "--policy", json.dumps(policy))
    got = _aws(aws_cli_env, "get-resource-policy", "--resource-arn", arn)
    assert got["RevisionId"] == put["RevisionId"] and json.loads(got["Policy"])["Statement"][0]["Action"] == "dynamodb:GetItem"
    _aws(aws_cli_env, "delete-table", "--table-name", name)


def test_cli_adds_a_replica_in_another_region(aws_cli_env):
    # The developer guide's tutorial: update-table --replica-updates, then describe-table in the replica's Region.
    name = unique_name("cli-global")
    _aws(aws_cli_env, "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
         "--key-schema", "AttributeName=pk,KeyType=HASH", "--attribute-definitions", "AttributeName=pk,AttributeType=S")
    answer = _aws(aws_cli_env, "update-table", "--table-name", name, "--replica-updates", "Create={RegionName=us-west-2}")
    assert answer["TableDescription"]["GlobalTableVersion"] == "2019.11.21"
    _aws(aws_cli_env, "wait", "table-exists", "--table-name", name, "--region", "us-west-2")
    replica = _aws(aws_cli_env, "describe-table", "--table-name", name, "--region", "us-west-2")["Table"]
    assert [(r["RegionName"], r["ReplicaStatus"]) for r in replica["Replicas"]] == [("us-east-1", "ACTIVE")]
    _aws(aws_cli_env, "put-item", "--table-name", name, "--item", json.dumps({"pk": {"S": "a"}}), "--region", "us-west-2")
    assert _aws(aws_cli_env, "get-item", "--table-name", name, "--key", json.dumps({"pk": {"S": "a"}}))["Item"]
    _aws(aws_cli_env, "delete-table", "--table-name", name, "--region", "us-west-2")
    assert "Replicas" not in _aws(aws_cli_env, "describe-table", "--table-name", name)["Table"]
    _aws(aws_cli_env, "delete-table", "--table-name", name)
