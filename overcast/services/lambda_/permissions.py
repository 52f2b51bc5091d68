"""AddPermission, RemovePermission, GetPolicy: a function's resource-based policy, per qualifier."""

from __future__ import annotations

import json
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase, new_revision
from overcast.services.lambda_.errors import (
    InvalidParameterValue,
    PreconditionFailed,
    ResourceConflict,
    ResourceNotFound,
    validation_error,
)
from overcast.services.lambda_.models import FunctionRecord


def principal_of(principal: str) -> Any:
    if principal == "*":
        return "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        return {"Service": principal}
    if re.fullmatch(r"\d{12}", principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    return {"AWS": principal}


STATEMENT_ID_PATTERN = "([a-zA-Z0-9-_]+)"
ACTION_PATTERN = "(lambda:[*]|lambda:[a-zA-Z]+|[*])"
_STATEMENT_ID = re.compile(STATEMENT_ID_PATTERN)
_ACTION = re.compile(ACTION_PATTERN)


def _check_statement(params: dict[str, Any]) -> None:
    """AddPermission's patterns, from the API reference (StatementId, Action)."""
    sid, action = params["StatementId"], params["Action"]
    if len(sid) > 100 or not _STATEMENT_ID.fullmatch(sid):
        raise validation_error(sid, "statementId", f"Member must satisfy regular expression pattern: "
                                                   f"{STATEMENT_ID_PATTERN}")
    if not _ACTION.fullmatch(action):
        raise validation_error(action, "action", f"Member must satisfy regular expression pattern: {ACTION_PATTERN}")


class PolicyOps(LambdaBase):
    # A policy belongs to $LATEST, a version or an alias, and its RevisionId is theirs: GetPolicy
    # answers the RevisionId GetFunction/GetAlias show, a RevisionId read from either guards
    # AddPermission/RemovePermission, and a policy change moves it on (as LocalStack's tests,
    # recorded against AWS, show).

    @staticmethod
    def _target_revision(record: FunctionRecord, key: str) -> str:
        if key in ("", LATEST):
            return record.config["RevisionId"]
        if key.isdigit():
            return record.versions[key]["config"]["RevisionId"]
        return record.aliases[key]["RevisionId"]

    def _check_policy_revision(self, record: FunctionRecord, key: str, revision_id: str | None) -> None:
        if revision_id and revision_id != self._target_revision(record, key):
            raise PreconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the "
                                     "GetPolicy API to retrieve the latest Revision Id")

    def _bump_target_revision(self, record: FunctionRecord, key: str) -> None:
        new = new_revision()
        if key not in ("", LATEST) and not key.isdigit():
            record.aliases[key]["RevisionId"] = new
            return
        version = key if key.isdigit() else LATEST
        config = record.config if version == LATEST else record.versions[version]["config"]
        old, config["RevisionId"] = config["RevisionId"], new
        # Neither code nor configuration changed: the invoke cache's spec (and with it the warm
        # environments, which follow the spec's revision) carries over to the new RevisionId.
        specs = getattr(self, "_specs", None)
        if specs is not None:
            spec = specs.pop((record.account, record.region, record.name, version, old), None)
            if spec is not None:
                specs[(record.account, record.region, record.name, version, new)] = spec

    def _policy_target(self, record: FunctionRecord, qualifier: str | None) -> tuple[str, str]:
        if qualifier and qualifier != LATEST:  # $LATEST's policy is the unqualified function's
            if not qualifier.isdigit() and qualifier not in record.aliases:
                # An alias that does not exist is named as GetAlias names it.
                raise ResourceNotFound(f"Cannot find alias arn: {record.arn}:{qualifier}")
            self.resolve_version(record, qualifier)
            return qualifier, f"{record.arn}:{qualifier}"
        return "", record.arn

    async def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_statement(params)  # request constraints are checked before the function is looked up
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        if qualifier == LATEST:
            raise InvalidParameterValue("We currently do not support adding policies for $LATEST.")
        key, resource = self._policy_target(record, qualifier)
        self._check_policy_revision(record, key, params.get("RevisionId"))
        statements = record.policy.setdefault(key, [])
        sid = params["StatementId"]
        if any(s["Sid"] == sid for s in statements):
            raise ResourceConflict(f"The statement id ({sid}) provided already exists. Please provide a new "
                                   "statement id, or remove the existing statement.")
        statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": principal_of(params["Principal"]),
                                     "Action": params["Action"], "Resource": resource}
        condition: dict[str, dict[str, str]] = {}
        if params.get("SourceArn"):
            condition.setdefault("ArnLike", {})["AWS:SourceArn"] = params["SourceArn"]
        if params.get("SourceAccount"):
            condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
        if params.get("PrincipalOrgID"):
            condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
        if params.get("EventSourceToken"):
            condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
        if params.get("FunctionUrlAuthType"):
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
        if params.get("InvokedViaFunctionUrl"):
            # A Bool condition key, as AWS's policy examples write it for function URLs.
            condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
        self._bump_target_revision(record, key)
        await self.store.put(record)
        return {"Statement": json.dumps(statement)}

    async def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        key, _ = self._policy_target(record, qualifier)
        self._check_policy_revision(record, key, params.get("RevisionId"))
        statements = record.policy.get(key) or []
        if not statements:
            raise ResourceNotFound("No policy is associated with the given resource.")
        remaining = [s for s in statements if s["Sid"] != params["StatementId"]]
        if len(remaining) == len(statements):
            raise ResourceNotFound(f"Statement {params['StatementId']} is not found in resource policy.")
        if remaining:
            record.policy[key] = remaining
        else:
            record.policy.pop(key, None)
        self._bump_target_revision(record, key)
        await self.store.put(record)
        return {}

    async def get_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        if qualifier:
            self.resolve_version(record, qualifier)
        key = "" if qualifier in (None, LATEST) else qualifier
        statements = record.policy.get(key)
        if not statements:
            raise ResourceNotFound("The resource you requested does not exist.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return {"Policy": json.dumps(policy), "RevisionId": self._target_revision(record, key)}
