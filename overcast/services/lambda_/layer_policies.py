"""AddLayerVersionPermission, GetLayerVersionPolicy, RemoveLayerVersionPermission: who may use a
layer version. The policy lives in the layer version's stored document, with its own RevisionId
that every change moves on.

Statements are written as the Lambda Developer Guide's layer-sharing examples show them: an
account as {"AWS": "arn:aws:iam::<account>:root"}, "*" as itself, an organization as a
StringEquals aws:PrincipalOrgID condition. The errors are those LocalStack's provider gives after
its AWS-validated layer policy tests ("Layer version <arn> does not exist.", statement conflicts
worded as AddPermission's, "Call the GetLayerPolicy API" for a stale RevisionId).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LambdaBase, new_revision
from overcast.services.lambda_.errors import (
    AccessDenied,
    PreconditionFailed,
    ResourceConflict,
    ResourceNotFound,
)
from overcast.services.lambda_.models import LayerVersion

_ACCOUNT = re.compile(r"\d{12}")
NO_POLICY = "No policy is associated with the given resource."


def layer_principal(principal: str) -> Any:
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    return principal if principal == "*" else {"AWS": principal}


def layer_shared_with(layer: LayerVersion, account: str) -> bool:
    """Whether `account` may use the layer version: its own, or granted lambda:GetLayerVersion by
    the version's policy (to that account or to "*"; a grant to an organization needs
    organizations, which Overcast has none of, so it grants nothing here)."""
    if layer.account == account:
        return True
    for statement in (layer.doc.get("policy") or {}).get("statements") or []:
        if statement.get("Effect") == "Allow" and statement.get("Action") == "lambda:GetLayerVersion" \
                and not statement.get("Condition") \
                and statement.get("Principal") in ("*", {"AWS": f"arn:aws:iam::{account}:root"}):
            return True
    return False


def not_shared(account: str, layer_version_arn: str) -> AccessDenied:
    """AWS's refusal of another account's layer version that no policy shares (as CreateFunction
    answers it, quoted by users: crucial-project/serverless-shell#2, aws-samples/sample-serverless-mcp-servers#7)."""
    return AccessDenied(f"User: arn:aws:iam::{account}:root is not authorized to perform: lambda:GetLayerVersion on "
                        f"resource: {layer_version_arn} because no resource-based policy allows the "
                        "lambda:GetLayerVersion action")


class LayerPolicyOps(LambdaBase):
    _layer_name: Any  # LayerOps._layer_name

    def _policy_layer(self, ctx: RequestContext, params: dict[str, Any]) -> LayerVersion:
        name = self._layer_name(params["LayerName"])
        number = int(params["VersionNumber"])
        layer = self.store.layers.get((ctx.account_id, ctx.region, name), {}).get(number)
        if layer is None:
            raise ResourceNotFound(f"Layer version arn:aws:lambda:{ctx.region}:{ctx.account_id}:layer:{name}:{number} "
                                   "does not exist.")
        return layer

    @staticmethod
    def _check_revision(policy: dict[str, Any], revision_id: str | None) -> None:
        if revision_id and revision_id != policy.get("revision"):
            raise PreconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the "
                                     "GetLayerPolicy API to retrieve the latest Revision Id")

    async def add_layer_version_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        layer = self._policy_layer(ctx, params)
        policy = copy.deepcopy(layer.doc.get("policy") or {"revision": new_revision(), "statements": []})
        sid = params["StatementId"]
        if any(statement["Sid"] == sid for statement in policy["statements"]):
            raise ResourceConflict(f"The statement id ({sid}) provided already exists. Please provide a new "
                                   "statement id, or remove the existing statement.")
        self._check_revision(policy, params.get("RevisionId"))
        statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Principal": layer_principal(params["Principal"]),
                                     "Action": params["Action"], "Resource": layer.doc["LayerVersionArn"]}
        if params.get("OrganizationId"):
            statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
        policy["statements"].append(statement)
        policy["revision"] = new_revision()
        await self.store.put_layer(LayerVersion(layer.account, layer.region, layer.name, layer.version,
                                                {**layer.doc, "policy": policy}))
        return {"Statement": json.dumps(statement, separators=(",", ":")), "RevisionId": policy["revision"]}

    async def get_layer_version_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        layer = self._policy_layer(ctx, params)
        policy = layer.doc.get("policy") or {}
        if not policy.get("statements"):
            raise ResourceNotFound(NO_POLICY)
        document = {"Version": "2012-10-17", "Id": "default", "Statement": policy["statements"]}
        return {"Policy": json.dumps(document, separators=(",", ":")), "RevisionId": policy["revision"]}

    async def remove_layer_version_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        layer = self._policy_layer(ctx, params)
        policy = copy.deepcopy(layer.doc.get("policy") or {})
        if not policy.get("statements"):
            raise ResourceNotFound(NO_POLICY)
        self._check_revision(policy, params.get("RevisionId"))
        sid = params["StatementId"]
        remaining = [statement for statement in policy["statements"] if statement["Sid"] != sid]
        if len(remaining) == len(policy["statements"]):
            raise ResourceNotFound(f"Statement {sid} is not found in resource policy.")
        policy["statements"] = remaining
        policy["revision"] = new_revision()
        await self.store.put_layer(LayerVersion(layer.account, layer.region, layer.name, layer.version,
                                                {**layer.doc, "policy": policy}))
        return {}
