"""PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy, and CreateTable's ResourcePolicy.

Overcast does not enforce IAM, so a policy is stored and returned, never evaluated: it grants and
denies nothing here (ConfirmRemoveSelfResourceAccess, which guards against locking oneself out,
is accepted for the same reason). What is emulated is what a client can see:
- a table and each of its streams hold one policy each, independently; an index has none (its
  permissions are in its table's policy);
- RevisionId is the change's time in epoch milliseconds (13 digits, growing with each change);
  an equivalent re-put keeps it; ExpectedRevisionId makes a write conditional, "NO_POLICY"
  conditional on there being none;
- DeleteResourcePolicy is idempotent: without a policy it answers an empty body, or, after a
  deletion, the deletion's own RevisionId;
- a table's policies go with it (DeleteTable) and a table created under the same name has none.
Sources: moto's aws_verified tests (test_dynamodb_resource_policy.py) and the ack-api-quirks lab's
findings recorded against DynamoDB (DDB-TABLE-205/207/209/211/212/213/214). Not emulated: the
seconds a policy takes to become readable, and the 15-second wait DynamoDB imposes between two
changes of one resource's policy (ResourceInUseException, then ThrottlingException).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import store, streams
from overcast.services.dynamodb.errors import (
    PolicyNotFoundException,
    ResourceNotFoundException,
    ValidationException,
    invalid,
    table_not_found,
)
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.policy_documents import PolicyDocument, checked_policy

NO_POLICY = "NO_POLICY"
_NOT_FOUND = "Resource-based policy not found for the provided ResourceArn: "


@dataclass(frozen=True)
class PolicyTarget:
    """What a ResourceArn names: a table, or one of its streams."""

    arn: str
    table_name: str
    stream_label: str | None


def policy_target(arn: str, account: str, region: str) -> PolicyTarget:
    """The table or stream `arn` names, refused in DynamoDB's words when it names neither in the
    caller's account and Region (DDB-TABLE-212)."""
    if not arn.startswith("arn:"):
        raise invalid(f"ARNs must start with 'arn:': {arn}")
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[1] != "aws" or parts[2] != "dynamodb" or parts[3] != region:
        raise invalid(f"Invalid resource Arn: {arn}")
    if parts[4] != account:
        raise ValidationException("This action is only supported by accounts that match the resource owner’s account.")
    segments = parts[5].split("/")
    if segments[0] == "table" and len(segments) >= 2 and segments[1]:
        if len(segments) == 2:
            return PolicyTarget(arn, segments[1], None)
        if len(segments) == 4 and segments[2] == "stream" and segments[3]:
            return PolicyTarget(arn, segments[1], segments[3])
        if segments[2] == "index":
            raise invalid(f"Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}")
    raise invalid(f"Provided Arn is not a DynamoDB resource arn: {arn}")


def revision_at(now: float) -> str:
    return str(int(now * 1000))


def policy_record(document: PolicyDocument, revision: str) -> dict[str, str]:
    """A policy as Table.policies holds it. A record without "Policy" is a deletion's: it keeps
    the deletion's RevisionId, which a later DeleteResourcePolicy answers."""
    return {"Policy": document.text, "Identity": document.identity, "RevisionId": revision}


def initial_policies(policy: Any, table_arn: str, now: float) -> dict[str, dict[str, str]]:
    """CreateTable's ResourcePolicy, checked as PutResourcePolicy checks one (aws-cdk #32230 shows
    CreateTable refusing a document in PutResourcePolicy's words)."""
    if policy is None:
        return {}
    return {table_arn: policy_record(checked_policy(policy, on_stream=False), revision_at(now))}


def _check_expected(expected: str | None, record: dict | None, table_name: str) -> None:
    """ExpectedRevisionId against the resource's current policy (moto's aws_verified tests word
    the mismatches; DDB-TABLE-205 the case of a table that never had one)."""
    if expected is None:
        return
    live = record if record and "Policy" in record else None
    if expected == NO_POLICY:
        if live:
            raise PolicyNotFoundException(
                f"{_NOT_FOUND}Requested policy update expecting none to be present for table {table_name}, "
                f"but a policy exists with revision id {live['RevisionId']}.")
        return
    if live and live["RevisionId"] == expected:
        return
    if record:
        raise PolicyNotFoundException(
            f"{_NOT_FOUND}Requested update for policy with revision id {expected}, but the policy associated to "
            f"target table {table_name} has revision id {record['RevisionId']}.")
    raise PolicyNotFoundException(
        f"{_NOT_FOUND}Requested update for policy with revision id {expected}, but table {table_name} has no "
        "associated policy.")


def _stream_not_found(target: PolicyTarget) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        f"Requested resource not found: Stream: {target.stream_label} not found for Table: {target.table_name}")


class ResourcePoliciesMixin:
    """The Provider supplies _tables, _now and self.db."""

    def _policy_holder(self, ctx: RequestContext, target: PolicyTarget) -> Table:
        table = self._tables.get((ctx.account_id, ctx.region, target.table_name))
        if table is None:
            raise table_not_found(target.table_name)
        if target.stream_label is not None and not streams.is_stream_of(self.db, table, target.arn):
            raise _stream_not_found(target)
        return table

    def _next_revision(self, table: Table) -> str:
        """The time of the change, made later than every revision the table's policies had, so
        that revisions order as their changes do even when the clock is moved back."""
        latest = max((int(record["RevisionId"]) for record in table.policies.values()), default=0)
        return str(max(int(revision_at(self._now())), latest + 1))

    async def _save_policy(self, table: Table, arn: str, record: dict[str, str]) -> None:
        # Replaced in place, as tags are, so that a copy of the Table made meanwhile keeps it.
        table.policies = {**table.policies, arn: record}
        await self.db.write(lambda tx: store.save_table(tx, table))

    async def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        target = policy_target(params["ResourceArn"], ctx.account_id, ctx.region)
        # The document is judged before the resource is looked up (DDB-TABLE-212: a stream that
        # is not there is named so by Get, while Put refused the document first).
        document = checked_policy(params.get("Policy"), on_stream=target.stream_label is not None)
        table = self._policy_holder(ctx, target)
        record = table.policies.get(target.arn)
        _check_expected(params.get("ExpectedRevisionId"), record, table.name)
        if record and record.get("Identity") == document.identity:
            return {"RevisionId": record["RevisionId"]}  # an equivalent document changes nothing
        revision = self._next_revision(table)
        await self._save_policy(table, target.arn, policy_record(document, revision))
        return {"RevisionId": revision}

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        target = policy_target(params["ResourceArn"], ctx.account_id, ctx.region)
        if target.stream_label is not None and (ctx.account_id, ctx.region, target.table_name) not in self._tables:
            # A deleted table's stream has no policy to read (DDB-TABLE-214).
            raise PolicyNotFoundException(_NOT_FOUND + target.arn)
        record = self._policy_holder(ctx, target).policies.get(target.arn)
        if not record or "Policy" not in record:
            raise PolicyNotFoundException(_NOT_FOUND + target.arn)
        return {"Policy": record["Policy"], "RevisionId": record["RevisionId"]}

    async def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        target = policy_target(params["ResourceArn"], ctx.account_id, ctx.region)
        table = self._policy_holder(ctx, target)
        record = table.policies.get(target.arn)
        _check_expected(params.get("ExpectedRevisionId"), record, table.name)
        if not record:
            return {}
        if "Policy" not in record:
            return {"RevisionId": record["RevisionId"]}
        await self._save_policy(table, target.arn, {"RevisionId": self._next_revision(table)})
        return {"RevisionId": record["RevisionId"]}

