"""Saved query definitions: PutQueryDefinition creates and (by id) replaces, DescribeQueryDefinitions
lists by name prefix in pages, DeleteQueryDefinition removes; they survive a restart."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.conftest import make_client
from tests.support.errors import refused

AWS = "/work/main/.venv/bin/aws"


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


def test_create_update_list_delete(logs):
    prefix = f"team-{uuid.uuid4().hex[:8]}/"
    created = logs.put_query_definition(name=prefix + "errors", queryString="filter level = 'ERROR'",
                                        logGroupNames=["/app/a", "/app/b"])["queryDefinitionId"]
    other = logs.put_query_definition(name=prefix + "all", queryString="fields @message")["queryDefinitionId"]
    listed = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix)["queryDefinitions"]
    assert [d["name"] for d in listed] == [prefix + "all", prefix + "errors"]
    errors = listed[1]
    assert errors["queryDefinitionId"] == created and errors["queryString"] == "filter level = 'ERROR'"
    assert errors["logGroupNames"] == ["/app/a", "/app/b"] and errors["lastModified"] > 0
    assert "logGroupNames" not in listed[0]

    # With its id, a put replaces the definition whole: groups left out are dropped.
    same = logs.put_query_definition(queryDefinitionId=created, name=prefix + "errors-v2",
                                     queryString="filter level = 'ERROR' | stats count(*)")["queryDefinitionId"]
    assert same == created
    listed = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix + "errors")["queryDefinitions"]
    assert [(d["queryDefinitionId"], d["name"], d["queryString"]) for d in listed] == [
        (created, prefix + "errors-v2", "filter level = 'ERROR' | stats count(*)")]
    assert "logGroupNames" not in listed[0]

    assert logs.delete_query_definition(queryDefinitionId=other)["success"] is True
    assert [d["queryDefinitionId"] for d in logs.describe_query_definitions(
        queryDefinitionNamePrefix=prefix)["queryDefinitions"]] == [created]


def test_paging(logs):
    prefix = f"paged-{uuid.uuid4().hex[:8]}-"
    for i in range(5):
        logs.put_query_definition(name=f"{prefix}{i}", queryString="fields @message")
    names, token = [], None
    while True:
        page = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix, maxResults=2,
                                               **({"nextToken": token} if token else {}))
        names.extend(d["name"] for d in page["queryDefinitions"])
        token = page.get("nextToken")
        if not token:
            break
    assert names == [f"{prefix}{i}" for i in range(5)]


def test_unknown_definitions(logs):
    missing = str(uuid.uuid4())
    assert refused(logs.delete_query_definition, queryDefinitionId=missing) == (
        "ResourceNotFoundException", "The specified query definition does not exist.", 400)
    assert refused(logs.put_query_definition, queryDefinitionId=missing, name="x", queryString="fields a") == (
        "ResourceNotFoundException", "The specified query definition does not exist.", 400)
    code, message, status = refused(logs.put_query_definition, name="n" * 256, queryString="fields a")
    assert (code, status) == ("InvalidParameterException", 400)
    assert message == (f"1 validation error detected: Value '{'n' * 256}' at 'name' failed to satisfy constraint: "
                       "Member must have length less than or equal to 255")


def test_aws_cli(logs, aws_cli_env):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    put = subprocess.run([AWS, "logs", "put-query-definition", "--name", name, "--query-string",
                          "fields @timestamp, @message | sort @timestamp desc | limit 20",
                          "--log-group-names", "/cli/group"], env=aws_cli_env, capture_output=True, text=True,
                         check=True)
    definition_id = json.loads(put.stdout)["queryDefinitionId"]
    listed = subprocess.run([AWS, "logs", "describe-query-definitions", "--query-definition-name-prefix", name],
                            env=aws_cli_env, capture_output=True, text=True, check=True)
    [definition] = json.loads(listed.stdout)["queryDefinitions"]
    assert definition["queryDefinitionId"] == definition_id and definition["logGroupNames"] == ["/cli/group"]


def test_definitions_survive_restart(fresh_server):
    logs = make_client("logs", fresh_server.endpoint_url)
    definition_id = logs.put_query_definition(name="kept", queryString="stats count(*) by bin(1h)",
                                              logGroupNames=["/kept"])["queryDefinitionId"]
    fresh_server.kill9()
    fresh_server.start()
    [kept] = logs.describe_query_definitions()["queryDefinitions"]
    assert (kept["queryDefinitionId"], kept["name"], kept["queryString"], kept["logGroupNames"]) == (
        definition_id, "kept", "stats count(*) by bin(1h)", ["/kept"])
