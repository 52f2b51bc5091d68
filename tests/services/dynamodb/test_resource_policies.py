"""PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy on tables, as DynamoDB answers
them (moto's aws_verified test_dynamodb_resource_policy.py; the ack-api-quirks lab's findings
DDB-TABLE-205/207/208/209/214)."""

from __future__ import annotations

import json

from tests.services.dynamodb.conftest import refused, unique_name
from tests.services.dynamodb.policy_documents import JOHN, NOT_FOUND, policy, table_arn


def test_put_then_get_returns_the_document_and_its_revision(ddb, make_table):
    arn = table_arn(ddb, make_table())
    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    assert len(revision) == 13 and revision.isdigit()  # the change's time in epoch milliseconds
    got = ddb.get_resource_policy(ResourceArn=arn)
    assert got["RevisionId"] == revision
    assert json.loads(got["Policy"]) == json.loads(policy(arn))


def test_get_answers_the_canonical_form(ddb, make_table):
    arn = table_arn(ddb, make_table())
    sent = {"Statement": {"Resource": [arn], "Action": ["dynamodb:GetItem"], "Principal": {"AWS": ["111122223333"]},
                          "Effect": "allow", "Sid": "Read"}}
    ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(sent, indent=4))
    assert ddb.get_resource_policy(ResourceArn=arn)["Policy"] == (
        '{"Version":"2008-10-17","Statement":[{"Sid":"Read","Effect":"Allow",'
        '"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem",'
        f'"Resource":"{arn}"}}]}}')


def test_an_equivalent_put_keeps_the_revision_and_another_document_makes_a_later_one(ddb, make_table):
    arn = table_arn(ddb, make_table())
    first = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    reordered = json.dumps({"Statement": [{"Resource": [arn], "Action": ["dynamodb:GetItem"], "Principal": {"AWS": JOHN},
                                           "Effect": "Allow"}], "Version": "2012-10-17"}, indent=2)
    assert ddb.put_resource_policy(ResourceArn=arn, Policy=reordered)["RevisionId"] == first
    second = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn, "dynamodb:PutItem"))["RevisionId"]
    assert second > first
    # Revisions are change times, not digests: the first document again is a third revision.
    third = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    assert third > second


def test_a_document_without_version_is_not_equivalent_to_one_with_it(ddb, make_table):
    arn = table_arn(ddb, make_table())
    with_version = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    without = json.loads(policy(arn))
    del without["Version"]
    assert ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(without))["RevisionId"] > with_version


def test_expected_revision_id(ddb, make_table):
    name = make_table()
    arn = table_arn(ddb, name)
    first = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn), ExpectedRevisionId="NO_POLICY")["RevisionId"]
    second = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn, "dynamodb:PutItem"),
                                     ExpectedRevisionId=first)["RevisionId"]
    assert refused(ddb.put_resource_policy, ResourceArn=arn, Policy=policy(arn, "dynamodb:Query"),
                   ExpectedRevisionId=first) == (
        "PolicyNotFoundException", f"{NOT_FOUND}Requested update for policy with revision id {first}, but the policy "
        f"associated to target table {name} has revision id {second}.", 400)
    assert refused(ddb.put_resource_policy, ResourceArn=arn, Policy=policy(arn), ExpectedRevisionId="NO_POLICY") == (
        "PolicyNotFoundException", f"{NOT_FOUND}Requested policy update expecting none to be present for table {name}, "
        f"but a policy exists with revision id {second}.", 400)
    assert refused(ddb.delete_resource_policy, ResourceArn=arn, ExpectedRevisionId=first) == (
        "PolicyNotFoundException", f"{NOT_FOUND}Requested update for policy with revision id {first}, but the policy "
        f"associated to target table {name} has revision id {second}.", 400)
    assert ddb.get_resource_policy(ResourceArn=arn)["RevisionId"] == second


def test_expected_revision_id_on_a_table_that_never_had_a_policy(ddb, make_table):
    name = make_table()
    arn = table_arn(ddb, name)
    message = (f"{NOT_FOUND}Requested update for policy with revision id 123456789, but table {name} has no "
               "associated policy.")
    assert refused(ddb.put_resource_policy, ResourceArn=arn, Policy=policy(arn), ExpectedRevisionId="123456789") == (
        "PolicyNotFoundException", message, 400)
    assert refused(ddb.delete_resource_policy, ResourceArn=arn, ExpectedRevisionId="123456789") == (
        "PolicyNotFoundException", message, 400)


def test_delete_is_idempotent_and_answers_the_revisions_it_knows(ddb, make_table):
    arn = table_arn(ddb, make_table())
    answer = ddb.delete_resource_policy(ResourceArn=arn)
    assert "RevisionId" not in answer  # never had a policy: an empty body
    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    assert ddb.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=revision)["RevisionId"] == revision
    assert refused(ddb.get_resource_policy, ResourceArn=arn) == ("PolicyNotFoundException", NOT_FOUND + arn, 400)
    # Deleting again answers the deletion's own revision, a later one.
    deletion = ddb.delete_resource_policy(ResourceArn=arn)["RevisionId"]
    assert deletion > revision
    assert ddb.delete_resource_policy(ResourceArn=arn)["RevisionId"] == deletion
    assert ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn), ExpectedRevisionId="NO_POLICY")["RevisionId"] > deletion


def test_confirm_remove_self_resource_access_is_accepted(ddb, make_table):
    arn = table_arn(ddb, make_table())
    deny = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                               "Action": "dynamodb:PutResourcePolicy", "Resource": arn}]})
    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=deny, ConfirmRemoveSelfResourceAccess=True)["RevisionId"]
    assert ddb.get_resource_policy(ResourceArn=arn)["RevisionId"] == revision


def test_the_policy_outlives_other_table_changes(ddb, make_table):
    name = make_table()
    arn = table_arn(ddb, name)
    revision = ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}])
    assert ddb.get_resource_policy(ResourceArn=arn)["RevisionId"] == revision


def test_a_table_s_policy_goes_with_it(ddb, make_table):
    name = make_table()
    arn = table_arn(ddb, name)
    ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))
    ddb.delete_table(TableName=name)
    gone = ("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found", 400)
    assert refused(ddb.get_resource_policy, ResourceArn=arn) == gone
    assert refused(ddb.put_resource_policy, ResourceArn=arn, Policy=policy(arn)) == gone
    assert refused(ddb.delete_resource_policy, ResourceArn=arn) == gone
    make_table(TableName=name)
    assert refused(ddb.get_resource_policy, ResourceArn=arn) == ("PolicyNotFoundException", NOT_FOUND + arn, 400)


def test_create_table_with_a_resource_policy(ddb, make_table):
    name = unique_name("policied")
    arn = table_arn(ddb, make_table()).rsplit("/", 1)[0] + "/" + name  # the ARN it will have
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", ResourcePolicy=policy(arn),
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    try:
        got = ddb.get_resource_policy(ResourceArn=arn)
        assert json.loads(got["Policy"]) == json.loads(policy(arn))
        assert len(got["RevisionId"]) == 13
        # It is the table's policy like any other: an equivalent put keeps its revision.
        assert ddb.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"] == got["RevisionId"]
    finally:
        ddb.delete_table(TableName=name)


def test_create_table_refuses_a_policy_put_would_refuse(ddb):
    name = "refused-policy-table"
    assert refused(ddb.create_table, TableName=name, BillingMode="PAY_PER_REQUEST", ResourcePolicy="{not json",
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}]) == (
        "ValidationException",
        "One or more parameter values were invalid: Invalid policy document: This policy contains invalid Json", 400)
    assert name not in ddb.list_tables()["TableNames"]
