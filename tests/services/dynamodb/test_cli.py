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
