"""Layer version permissions against a real server: AddLayerVersionPermission,
GetLayerVersionPolicy, RemoveLayerVersionPermission."""

from __future__ import annotations

import json
import subprocess

from tests.services.lambda_.helpers import refused, unique, zip_of

AWS = "/work/main/.venv/bin/aws"


def publish(lam) -> tuple[str, dict]:
    name = unique("shared")
    return name, lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of({"python/m.py": "X = 1\n"})})


def test_policy_lifecycle(lam):
    name, layer = publish(lam)
    arn = layer["LayerVersionArn"]
    assert refused(lam.get_layer_version_policy, LayerName=name, VersionNumber=1) == (
        "ResourceNotFoundException", "No policy is associated with the given resource.", 404)

    added = lam.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="xaccount",
                                             Action="lambda:GetLayerVersion", Principal="111122223333")
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert json.loads(added["Statement"]) == {
        "Sid": "xaccount", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "lambda:GetLayerVersion", "Resource": arn}
    org = lam.add_layer_version_permission(LayerName=layer["LayerArn"], VersionNumber=1, StatementId="org",
                                           Action="lambda:GetLayerVersion", Principal="*",
                                           OrganizationId="o-t194hfs8cz", RevisionId=added["RevisionId"])
    assert json.loads(org["Statement"])["Principal"] == "*"
    assert json.loads(org["Statement"])["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-t194hfs8cz"}}
    assert org["RevisionId"] != added["RevisionId"]

    got = lam.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert got["RevisionId"] == org["RevisionId"]
    policy = json.loads(got["Policy"])
    assert (policy["Version"], policy["Id"]) == ("2012-10-17", "default")
    assert [s["Sid"] for s in policy["Statement"]] == ["xaccount", "org"]
    # The policy is not part of the layer version's own description.
    assert "Policy" not in lam.get_layer_version(LayerName=name, VersionNumber=1)

    assert refused(lam.add_layer_version_permission, LayerName=name, VersionNumber=1, StatementId="org",
                   Action="lambda:GetLayerVersion", Principal="*") == (
        "ResourceConflictException", "The statement id (org) provided already exists. Please provide a new "
        "statement id, or remove the existing statement.", 409)
    stale = ("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call "
             "the GetLayerPolicy API to retrieve the latest Revision Id", 412)
    assert refused(lam.add_layer_version_permission, LayerName=name, VersionNumber=1, StatementId="late",
                   Action="lambda:GetLayerVersion", Principal="*", RevisionId=added["RevisionId"]) == stale
    assert refused(lam.remove_layer_version_permission, LayerName=name, VersionNumber=1, StatementId="org",
                   RevisionId=added["RevisionId"]) == stale
    assert lam.get_layer_version_policy(LayerName=name, VersionNumber=1)["RevisionId"] == org["RevisionId"]

    assert refused(lam.remove_layer_version_permission, LayerName=name, VersionNumber=1, StatementId="nope") == (
        "ResourceNotFoundException", "Statement nope is not found in resource policy.", 404)
    removed = lam.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="org",
                                                  RevisionId=org["RevisionId"])
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert [s["Sid"] for s in json.loads(lam.get_layer_version_policy(LayerName=name, VersionNumber=1)["Policy"])[
        "Statement"]] == ["xaccount"]
    lam.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="xaccount")
    assert refused(lam.get_layer_version_policy, LayerName=name, VersionNumber=1)[1] == \
        "No policy is associated with the given resource."


def test_missing_layer_versions_and_bad_input(lam, lam_unchecked):
    name, layer = publish(lam)
    missing = f"{layer['LayerArn']}:2"
    for call, extra in ((lam.get_layer_version_policy, {}),
                        (lam.add_layer_version_permission, {"StatementId": "s", "Action": "lambda:GetLayerVersion",
                                                            "Principal": "*"}),
                        (lam.remove_layer_version_permission, {"StatementId": "s"})):
        assert refused(call, LayerName=name, VersionNumber=2, **extra) == (
            "ResourceNotFoundException", f"Layer version {missing} does not exist.", 404)
    assert refused(lam_unchecked.add_layer_version_permission, LayerName=name, VersionNumber=1, StatementId="s",
                   Action="lambda:InvokeFunction", Principal="*") == (
        "ValidationException", "1 validation error detected: Value 'lambda:InvokeFunction' at 'action' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion", 400)
    code, message, status = refused(lam_unchecked.add_layer_version_permission, LayerName=name, VersionNumber=1,
                                    StatementId="s", Action="lambda:GetLayerVersion", Principal="someone")
    assert (code, status) == ("ValidationException", 400) and "'principal'" in message
    assert refused(lam.get_layer_version_policy, LayerName=name, VersionNumber=1)[0] == "ResourceNotFoundException"


def test_a_deleted_layer_version_has_no_policy_to_change(lam):
    name, _ = publish(lam)
    lam.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="all",
                                     Action="lambda:GetLayerVersion", Principal="*")
    lam.delete_layer_version(LayerName=name, VersionNumber=1)
    assert refused(lam.get_layer_version_policy, LayerName=name, VersionNumber=1)[0::2] == (
        "ResourceNotFoundException", 404)


def test_policies_survive_a_restart_and_the_cli_reads_them(fresh_server):
    from tests.conftest import make_client

    lam = make_client("lambda", fresh_server.endpoint_url)
    name, _ = publish(lam)
    added = lam.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="all",
                                             Action="lambda:GetLayerVersion", Principal="*")
    fresh_server.kill9()
    fresh_server.start()
    env = {"PATH": "/usr/bin:/bin", "AWS_ENDPOINT_URL": fresh_server.endpoint_url, "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([AWS, "lambda", "get-layer-version-policy", "--layer-name", name, "--version-number", "1",
                          "--output", "json"], env=env, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["RevisionId"] == added["RevisionId"]
    assert json.loads(got["Policy"])["Statement"][0]["Sid"] == "all"


def _account_client(server, account: str):
    import boto3
    from botocore.config import Config

    return boto3.client("lambda", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        aws_access_key_id=account, aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def test_another_accounts_layer_is_used_only_once_shared(lam, server):
    """A layer version's policy is what lets another account use it: CreateFunction and
    GetLayerVersion(ByArn) from an account it is not shared with are refused with AWS's
    AccessDeniedException (its words as users quote them), and allowed once a statement grants
    that account (or "*") lambda:GetLayerVersion. By ARN, the version is the ARN's account's,
    never the caller's own layer of the same name."""
    name, layer = publish(lam)
    arn = layer["LayerVersionArn"]
    other = _account_client(server, "222222222222")
    own = other.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of({"python/own.py": "Y = 2\n"})})
    assert own["LayerVersionArn"] != arn
    denied = ("AccessDeniedException",
              f"User: arn:aws:iam::222222222222:root is not authorized to perform: lambda:GetLayerVersion on "
              f"resource: {arn} because no resource-based policy allows the lambda:GetLayerVersion action", 403)
    function = unique("borrower")
    create = dict(FunctionName=function, Runtime="python3.11", Role="arn:aws:iam::222222222222:role/r",
                  Handler="m.handler", Code={"ZipFile": zip_of({"m.py": "def handler(e, c):\n    return 1\n"})},
                  Layers=[arn])
    assert refused(other.create_function, **create) == denied
    assert refused(other.get_layer_version_by_arn, Arn=arn) == denied
    assert refused(other.get_layer_version, LayerName=layer["LayerArn"], VersionNumber=1) == denied
    lam.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="third",
                                     Action="lambda:GetLayerVersion", Principal="333333333333")
    assert refused(other.create_function, **create) == denied  # shared with another account only

    lam.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="partner",
                                     Action="lambda:GetLayerVersion", Principal="222222222222")
    assert other.get_layer_version_by_arn(Arn=arn)["Content"]["CodeSha256"] == layer["Content"]["CodeSha256"]
    assert other.get_layer_version(LayerName=layer["LayerArn"], VersionNumber=1)["LayerVersionArn"] == arn
    assert other.create_function(**create)["Layers"][0]["Arn"] == arn
    assert other.get_layer_version(LayerName=name, VersionNumber=1)["LayerVersionArn"] == own["LayerVersionArn"]
