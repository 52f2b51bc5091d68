"""Which ResourceArn a resource-based policy may name (a table, or one of its streams), and the
checks on the document itself, as DynamoDB refuses them (the ack-api-quirks lab's findings
DDB-TABLE-211/212/213/214/356, recorded against DynamoDB; aws-cdk #32230; ACK
dynamodb-controller #176)."""

from __future__ import annotations

import json

import pytest

from tests.services.dynamodb.conftest import refused
from tests.services.dynamodb.policy_documents import JOHN, NOT_FOUND, policy, table_arn

INVALID = "One or more parameter values were invalid: "
STREAM = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}


def stream_policy(resource: str, actions: list[str] | None = None) -> str:
    return policy(resource, actions or ["dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"])


def test_a_stream_holds_a_policy_of_its_own(ddb, make_table):
    name = make_table(StreamSpecification=STREAM)
    arn = table_arn(ddb, name)
    stream = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    revision = ddb.put_resource_policy(ResourceArn=stream, Policy=stream_policy(stream))["RevisionId"]
    assert ddb.get_resource_policy(ResourceArn=stream)["RevisionId"] == revision
    assert refused(ddb.get_resource_policy, ResourceArn=arn) == ("PolicyNotFoundException", NOT_FOUND + arn, 400)
    table_revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    assert ddb.get_resource_policy(ResourceArn=stream)["RevisionId"] == revision
    assert ddb.delete_resource_policy(ResourceArn=stream)["RevisionId"] == revision
    assert ddb.get_resource_policy(ResourceArn=arn)["RevisionId"] == table_revision


def test_a_disabled_stream_keeps_its_policy_and_a_deleted_table_s_streams_have_none(ddb, make_table):
    name = make_table(StreamSpecification=STREAM)
    stream = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    revision = ddb.put_resource_policy(ResourceArn=stream, Policy=stream_policy(stream))["RevisionId"]
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert ddb.get_resource_policy(ResourceArn=stream)["RevisionId"] == revision
    assert ddb.put_resource_policy(ResourceArn=stream, Policy=stream_policy(stream, ["dynamodb:GetRecords"]))["RevisionId"] > revision
    ddb.delete_table(TableName=name)
    assert refused(ddb.get_resource_policy, ResourceArn=stream) == ("PolicyNotFoundException", NOT_FOUND + stream, 400)


def test_a_stream_the_table_never_had(ddb, make_table):
    name = make_table(StreamSpecification=STREAM)
    stream = table_arn(ddb, name) + "/stream/2000-01-01T00:00:00.000"
    missing = ("ResourceNotFoundException",
               f"Requested resource not found: Stream: 2000-01-01T00:00:00.000 not found for Table: {name}", 400)
    assert refused(ddb.get_resource_policy, ResourceArn=stream) == missing
    assert refused(ddb.put_resource_policy, ResourceArn=stream, Policy=stream_policy(stream)) == missing
    assert refused(ddb.delete_resource_policy, ResourceArn=stream) == missing


def test_an_index_has_no_policy_of_its_own(ddb, make_table):
    index = table_arn(ddb, make_table()) + "/index/by-owner"
    expected = ("ValidationException",
                f"{INVALID}Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {index}", 400)
    assert refused(ddb.get_resource_policy, ResourceArn=index) == expected
    assert refused(ddb.put_resource_policy, ResourceArn=index, Policy=policy(index)) == expected
    assert refused(ddb.delete_resource_policy, ResourceArn=index) == expected


def _other(arn: str, part: int, value: str) -> str:
    parts = arn.split(":")
    parts[part] = value
    return ":".join(parts)


@pytest.mark.parametrize("operation", ["get_resource_policy", "put_resource_policy", "delete_resource_policy"])
def test_arns_that_name_no_table_of_this_account_and_region(ddb, make_table, operation):
    name = make_table()
    arn = table_arn(ddb, name)
    call = getattr(ddb, operation)
    extra = {"Policy": policy(arn)} if operation == "put_resource_policy" else {}
    assert refused(call, ResourceArn=name, **extra) == ("ValidationException", f"{INVALID}ARNs must start with 'arn:': {name}", 400)
    for other in (_other(arn, 3, "eu-west-1"), _other(arn, 1, "aws-cn")):
        assert refused(call, ResourceArn=other, **extra) == ("ValidationException", f"{INVALID}Invalid resource Arn: {other}", 400)
    assert refused(call, ResourceArn=_other(arn, 4, "999999999999"), **extra) == (
        "ValidationException", "This action is only supported by accounts that match the resource owner’s account.", 400)
    backup = arn + "/backup/01700000000000-abcdefgh"
    assert refused(call, ResourceArn=backup, **extra) == (
        "ValidationException", f"{INVALID}Provided Arn is not a DynamoDB resource arn: {backup}", 400)
    # Table names are case-sensitive.
    assert refused(call, ResourceArn=arn.rsplit("/", 1)[0] + "/" + name.upper(), **extra) == (
        "ResourceNotFoundException", f"Requested resource not found: Table: {name.upper()} not found", 400)


def _document(**statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": JOHN}, "Action": "dynamodb:GetItem", **statement}]})


def test_documents_dynamodb_refuses(ddb, make_table):
    arn = table_arn(ddb, make_table())
    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    document = INVALID + "Invalid policy document: "
    two_sids = json.dumps({"Version": "2012-10-17", "Statement": [json.loads(policy(arn, Sid="A"))["Statement"][0]] * 2})
    cases = {
        "{not json": document + "This policy contains invalid Json",
        "": document + "This policy contains invalid Json",
        json.dumps({"Version": "2012-10-17", "Statement": []}): document + "Could not parse the policy: Statement is empty!",
        _document(): document + "Missing required field Resource",
        two_sids: document + "The Statement Ids in the policy are not unique",
        policy(arn, ["dynamodb:GetItem", "dynamodb:GetRecords", "dynamodb:DescribeStream"]):
            document + 'The following action names are invalid: "dynamodb:GetRecords", "dynamodb:DescribeStream"',
        policy(arn).replace(json.dumps({"AWS": JOHN}), '"*"'):
            "Resource-based policy grants unbounded access in one or more elements. "
            "Please revise the policy to ensure least-privilege form of access",
        policy(arn).replace(JOHN, "*"):
            "Resource-based policy grants unbounded access in one or more elements. "
            "Please revise the policy to ensure least-privilege form of access",
    }
    for text, message in cases.items():
        assert refused(ddb.put_resource_policy, ResourceArn=arn, Policy=text) == ("ValidationException", message, 400), text
    assert ddb.get_resource_policy(ResourceArn=arn)["RevisionId"] == revision  # refusals leave the policy as it was


def test_a_stream_s_policy_may_not_grant_list_streams(ddb, make_table):
    name = make_table(StreamSpecification=STREAM)
    stream = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    assert refused(ddb.put_resource_policy, ResourceArn=stream,
                   Policy=stream_policy(stream, ["dynamodb:GetRecords", "dynamodb:ListStreams"])) == (
        "ValidationException", f'{INVALID}Invalid policy document: The following action names are invalid: "dynamodb:ListStreams"', 400)


def test_size_limit_counts_whitespace(ddb, make_table):
    arn = table_arn(ddb, make_table())
    compact = policy(arn)
    padded = compact[:-1] + " " * (20480 - len(compact)) + compact[-1]
    assert len(padded.encode()) == 20480
    ddb.put_resource_policy(ResourceArn=arn, Policy=padded)
    assert ddb.get_resource_policy(ResourceArn=arn)["Policy"] == compact.replace(", ", ",").replace(": ", ":")
    assert refused(ddb.put_resource_policy, ResourceArn=arn, Policy=padded[:-1] + "  }") == (
        "ValidationException", f"{INVALID}Maximum policy size of 20480 bytes exceeded", 400)


def test_an_allow_to_everyone_narrowed_by_a_condition_is_accepted(ddb, make_table):
    arn = table_arn(ddb, make_table())
    narrowed = policy(arn, Condition={"StringEquals": {"aws:PrincipalAccount": "111122223333"}}).replace(JOHN, "*")
    assert ddb.put_resource_policy(ResourceArn=arn, Policy=narrowed)["RevisionId"]
