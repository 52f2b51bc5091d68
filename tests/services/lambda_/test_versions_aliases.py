"""Versions, aliases (with weights), qualified ARNs, policies, tags, concurrency, invoke configs."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.services.lambda_.helpers import create_python, invoke_json, zip_of

V1 = "def handler(e, c):\n    return 'v1'\n"
V2 = "def handler(e, c):\n    return 'v2'\n"


def code(err) -> str:
    return err.value.response["Error"]["Code"]


def test_publish_versions_and_invoke_by_qualifier(lam):
    name = create_python(lam, V1)
    v1 = lam.publish_version(FunctionName=name, Description="first")
    assert v1["Version"] == "1" and v1["FunctionArn"].endswith(f":{name}:1") and v1["Description"] == "first"
    assert lam.publish_version(FunctionName=name)["Version"] == "1"  # nothing changed since
    lam.update_function_code(FunctionName=name, ZipFile=zip_of({"lambda_function.py": V2}))
    v2 = lam.publish_version(FunctionName=name)
    assert v2["Version"] == "2"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    response, body = invoke_json(lam, name, Qualifier="1")
    assert body == "v1" and response["ExecutedVersion"] == "1"
    assert invoke_json(lam, f"{name}:2")[1] == "v2"
    config = lam.get_function_configuration(FunctionName=name, Qualifier="1")
    assert config["Version"] == "1"
    lam.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError) as err:
        lam.get_function(FunctionName=name, Qualifier="1")
    assert code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        lam.delete_function(FunctionName=name, Qualifier="$LATEST")
    assert code(err) == "InvalidParameterValueException"


def test_aliases(lam):
    name = create_python(lam, V1)
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=zip_of({"lambda_function.py": V2}))
    lam.publish_version(FunctionName=name)
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="prod")
    assert alias["AliasArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}:live"
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    response, body = invoke_json(lam, name, Qualifier="live")
    assert body == "v1" and response["ExecutedVersion"] == "1"
    with pytest.raises(ClientError) as err:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert code(err) == "ResourceConflictException"
    with pytest.raises(ClientError) as err:
        lam.get_alias(FunctionName=name, Name="nope")
    assert err.value.response["Error"]["Message"] == (
        f"Cannot find alias arn: arn:aws:lambda:us-east-1:000000000000:function:{name}:nope")

    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
    assert invoke_json(lam, name, Qualifier="live")[0]["ExecutedVersion"] == "2"
    with pytest.raises(ClientError) as err:
        lam.delete_function(FunctionName=name, Qualifier="2")
    assert code(err) == "ResourceConflictException"

    updated = lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2", RoutingConfig={})
    assert updated["FunctionVersion"] == "2" and "RoutingConfig" not in updated
    names = [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]]
    assert names == ["live"]
    lam.delete_alias(FunctionName=name, Name="live")
    assert lam.list_aliases(FunctionName=name)["Aliases"] == []


def test_permissions_and_policy(lam):
    name = create_python(lam, V1)
    with pytest.raises(ClientError) as err:
        lam.get_policy(FunctionName=name)
    assert code(err) == "ResourceNotFoundException"
    added = lam.add_permission(FunctionName=name, StatementId="s3-invoke", Action="lambda:InvokeFunction",
                               Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bucket",
                               SourceAccount="000000000000")
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::bucket"
    with pytest.raises(ClientError) as err:
        lam.add_permission(FunctionName=name, StatementId="s3-invoke", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com")
    assert code(err) == "ResourceConflictException"
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s3-invoke"]
    assert policy["Statement"][0]["Resource"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    lam.remove_permission(FunctionName=name, StatementId="s3-invoke")
    with pytest.raises(ClientError) as err:
        lam.remove_permission(FunctionName=name, StatementId="s3-invoke")
    assert code(err) == "ResourceNotFoundException"


def test_tags(lam):
    name = create_python(lam, V1, Tags={"a": "1"})
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    lam.tag_resource(Resource=arn, Tags={"b": "2"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_concurrency_settings(lam):
    name = create_python(lam, V1)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    with pytest.raises(ClientError) as err:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
    assert code(err) == "InvalidParameterValueException"
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)


def test_event_invoke_config(lam):
    name = create_python(lam, V1)
    with pytest.raises(ClientError) as err:
        lam.get_function_event_invoke_config(FunctionName=name)
    assert code(err) == "ResourceNotFoundException"
    put = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1,
                                               MaximumEventAgeInSeconds=120)
    assert put["MaximumRetryAttempts"] == 1 and put["FunctionArn"].endswith(":$LATEST")
    updated = lam.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert updated["MaximumRetryAttempts"] == 0 and updated["MaximumEventAgeInSeconds"] == 120
    assert len(lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]) == 1
    lam.delete_function_event_invoke_config(FunctionName=name)
    with pytest.raises(ClientError) as err:
        lam.get_function_event_invoke_config(FunctionName=name)
    assert code(err) == "ResourceNotFoundException"


def test_publish_on_create_and_update_and_list_all_versions(lam):
    name = create_python(lam, V1, Publish=True)
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["Version"] == "1"
    updated = lam.update_function_code(FunctionName=name, ZipFile=zip_of({"lambda_function.py": V2}), Publish=True)
    assert updated["Version"] == "2"
    assert invoke_json(lam, name, Qualifier="2")[1] == "v2"
    everything = [f for page in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL")
                  for f in page["Functions"] if f["FunctionName"] == name]
    assert sorted(f["Version"] for f in everything) == ["$LATEST", "1", "2"]
    listed = [f for page in lam.get_paginator("list_functions").paginate()
              for f in page["Functions"] if f["FunctionName"] == name]
    assert len(listed) == 1 and "State" not in listed[0]


def test_publish_version_checks(lam):
    name = create_python(lam, V1)
    with pytest.raises(ClientError) as err:
        lam.publish_version(FunctionName=name, CodeSha256="not-the-sha")
    assert code(err) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as err:
        lam.publish_version(FunctionName=name, RevisionId="stale")
    assert code(err) == "PreconditionFailedException"
    with pytest.raises(ClientError) as err:
        lam.create_alias(FunctionName=name, Name="x", FunctionVersion="5")
    assert code(err) == "ResourceNotFoundException"
