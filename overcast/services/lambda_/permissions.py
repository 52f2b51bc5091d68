"""AddPermission, RemovePermission, GetPolicy: a function's resource-based policy, per qualifier."""

from __future__ import annotations

import json
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LambdaBase, new_revision
from overcast.services.lambda_.errors import PreconditionFailed, ResourceConflict, ResourceNotFound
from overcast.services.lambda_.models import FunctionRecord


def principal_of(principal: str) -> Any:
    if principal == "*":
        return "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        return {"Service": principal}
    if re.fullmatch(r"\d{12}", principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    return {"AWS": principal}


def _check_policy_revision(record: FunctionRecord, revision_id: str | None) -> None:
    if revision_id and revision_id != record.policy_revision:
        raise PreconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the "
                                 "GetPolicy API to retrieve the latest Revision Id")


class PolicyOps(LambdaBase):
    def _policy_target(self, record: FunctionRecord, qualifier: str | None) -> tuple[str, str]:
        if qualifier:
            self.resolve_version(record, qualifier)
            return qualifier, f"{record.arn}:{qualifier}"
        return "", record.arn

    async def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        key, resource = self._policy_target(record, qualifier)
        _check_policy_revision(record, params.get("RevisionId"))
        statements = record.policy.setdefault(key, [])
        sid = params["StatementId"]
        if any(s["Sid"] == sid for s in statements):
            raise ResourceConflict("The statement id (sid) provided already exists. Please choose another "
                                   "statement id.")
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
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
        record.policy_revision = new_revision()
        await self.store.put(record)
        return {"Statement": json.dumps(statement)}

    async def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        key, _ = self._policy_target(record, qualifier)
        _check_policy_revision(record, params.get("RevisionId"))
        statements = record.policy.get(key) or []
        remaining = [s for s in statements if s["Sid"] != params["StatementId"]]
        if len(remaining) == len(statements):
            raise ResourceNotFound(f"Statement {params['StatementId']} is not found in resource policy.")
        if remaining:
            record.policy[key] = remaining
        else:
            record.policy.pop(key, None)
        record.policy_revision = new_revision()
        await self.store.put(record)
        return {}

    async def get_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        key, _ = self._policy_target(record, qualifier)
        statements = record.policy.get(key)
        if not statements:
            raise ResourceNotFound("The resource you requested does not exist.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return {"Policy": json.dumps(policy), "RevisionId": record.policy_revision}
