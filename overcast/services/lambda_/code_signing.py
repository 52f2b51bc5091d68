"""Code signing configurations: Create/Get/Update/Delete/ListCodeSigningConfigs,
Put/Get/DeleteFunctionCodeSigningConfig and ListFunctionsByCodeSigningConfig.

A configuration names the signing profiles whose signatures a function's code must carry and
what happens to code that does not (CodeSigningPolicies.UntrustedArtifactOnDeployment: Warn, the
default, deploys it anyway; Enforce refuses it). Overcast has no AWS Signer, so no code it
receives is signed: under Enforce every deployment of code is refused, as Lambda refuses
unsigned code, and under Warn every deployment goes through, as on Lambda. The configurations
live in their own table (they belong to the account, not to a function); a function's
attachment is part of its document.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LambdaBase, now_iso
from overcast.services.lambda_.errors import (
    CodeSigningConfigNotFound,
    CodeVerificationFailed,
    ResourceConflict,
    ResourceNotFound,
)
from overcast.services.lambda_.models import FunctionRecord
from overcast.services.lambda_.versions import paginate

_OUTPUT_KEYS = ("CodeSigningConfigId", "CodeSigningConfigArn", "Description", "AllowedPublishers",
                "CodeSigningPolicies", "LastModified")


def code_signing_arn(ctx: RequestContext, csc_id: str) -> str:
    return f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:code-signing-config:{csc_id}"


def is_code_signing_arn(resource: str) -> bool:
    return ":code-signing-config:" in resource


class CodeSigningOps(LambdaBase):
    # -- lookups ------------------------------------------------------------------------------

    def code_signing_config(self, ctx: RequestContext, arn: str) -> dict[str, Any]:
        """A configuration of the caller's account and Region, worded as Lambda words a missing
        one (LocalStack's AWS-validated code signing tests)."""
        doc = self.store.code_signing.get(arn)
        if doc is None or not arn.startswith(f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:"):
            raise ResourceNotFound(f"The Lambda code signing configuration {arn} can not be found.")
        return doc

    def _attachable(self, ctx: RequestContext, arn: str) -> dict[str, Any]:
        """A configuration a function is to use: PutFunctionCodeSigningConfig's and CreateFunction's
        own error when it is not there."""
        try:
            return self.code_signing_config(ctx, arn)
        except ResourceNotFound:
            raise CodeSigningConfigNotFound(f"The code signing configuration cannot be found. Check that the "
                                            f"provided configuration is not deleted: {arn}.") from None

    def check_code_signature(self, ctx: RequestContext, csc_arn: str, function_name: str) -> None:
        """Refuse code deployed under an Enforce configuration: none that Overcast receives is
        signed. Lambda's words for unsigned code, as CloudFormation relayed them (aws/aws-cdk#29474)."""
        if not csc_arn:
            return
        doc = self._attachable(ctx, csc_arn)
        if (doc.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment") == "Enforce":
            raise CodeVerificationFailed("Lambda cannot deploy the function. The function or layer might be signed "
                                         "using a signature that the client is not configured to accept. Check the "
                                         f"provided signature for {function_name}.")

    @staticmethod
    def _csc_out(doc: dict[str, Any]) -> dict[str, Any]:
        return {key: copy.deepcopy(doc[key]) for key in _OUTPUT_KEYS if key in doc}

    # -- configurations -----------------------------------------------------------------------

    async def create_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        csc_id = "csc-" + os.urandom(9).hex()[:17]  # 17 lower-case hex digits, as the model's ARN pattern has
        arn = code_signing_arn(ctx, csc_id)
        doc: dict[str, Any] = {
            "CodeSigningConfigId": csc_id, "CodeSigningConfigArn": arn,
            "Description": params.get("Description") or "",
            "AllowedPublishers": copy.deepcopy(params["AllowedPublishers"]),
            # Warn unless told otherwise (the API reference's default).
            "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Warn",
                                    **(params.get("CodeSigningPolicies") or {})},
            "LastModified": now_iso(),
            "Tags": dict(params.get("Tags") or {}),
            "created": self.clock.time(),
        }
        await self.store.put_code_signing(arn, ctx.account_id, ctx.region, doc)
        return {"CodeSigningConfig": self._csc_out(doc)}

    async def get_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"CodeSigningConfig": self._csc_out(self.code_signing_config(ctx, params["CodeSigningConfigArn"]))}

    async def update_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["CodeSigningConfigArn"]
        doc = copy.deepcopy(self.code_signing_config(ctx, arn))
        if params.get("Description") is not None:
            doc["Description"] = params["Description"]
        if params.get("AllowedPublishers") is not None:
            doc["AllowedPublishers"] = copy.deepcopy(params["AllowedPublishers"])
        if params.get("CodeSigningPolicies") is not None:
            doc["CodeSigningPolicies"] = {"UntrustedArtifactOnDeployment": "Warn", **params["CodeSigningPolicies"]}
        doc["LastModified"] = now_iso()
        await self.store.put_code_signing(arn, ctx.account_id, ctx.region, doc)
        return {"CodeSigningConfig": self._csc_out(doc)}

    async def delete_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["CodeSigningConfigArn"]
        self.code_signing_config(ctx, arn)
        # Only a configuration no function uses can go (the API reference); the wording is Overcast's.
        if self._users(ctx, arn):
            raise ResourceConflict(f"The code signing configuration {arn} cannot be deleted because it is used by "
                                   "one or more functions.")
        await self.store.delete_code_signing(arn)
        return {}

    async def list_code_signing_configs(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:"
        docs = sorted((doc for arn, doc in self.store.code_signing.items() if arn.startswith(prefix)),
                      key=lambda doc: doc["created"])
        return paginate([self._csc_out(doc) for doc in docs], params, "CodeSigningConfigs", max_items_limit=10000)

    def _users(self, ctx: RequestContext, arn: str) -> list[FunctionRecord]:
        return [record for record in self.store.functions_in(ctx.account_id, ctx.region)
                if record.code_signing_config_arn == arn]

    async def list_functions_by_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]
                                                    ) -> dict[str, Any]:
        arn = params["CodeSigningConfigArn"]
        self.code_signing_config(ctx, arn)
        return paginate([record.arn for record in self._users(ctx, arn)], params, "FunctionArns",
                        max_items_limit=10000)

    # -- a function's configuration -----------------------------------------------------------

    async def put_function_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]
                                               ) -> dict[str, Any]:
        arn = params["CodeSigningConfigArn"]
        self._attachable(ctx, arn)
        record, _ = self.find(ctx, params["FunctionName"])
        record.code_signing_config_arn = arn
        await self.store.put(record)
        return {"CodeSigningConfigArn": arn, "FunctionName": record.name}

    async def get_function_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # A function without one answers an empty ARN: Terraform reads this after every change to
        # a zip function.
        record, _ = self.find(ctx, params["FunctionName"])
        return {"CodeSigningConfigArn": record.code_signing_config_arn, "FunctionName": record.name}

    async def delete_function_code_signing_config(self, ctx: RequestContext, params: dict[str, Any]
                                                  ) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        if record.code_signing_config_arn:
            record.code_signing_config_arn = ""
            await self.store.put(record)
        return {}

    # -- tags (a configuration is taggable as a function is) ------------------------------------

    async def tag_code_signing_config(self, ctx: RequestContext, arn: str, tags: dict[str, str] | None,
                                      remove: list[str] | None = None) -> dict[str, str]:
        doc = copy.deepcopy(self.code_signing_config(ctx, arn))
        current = doc.setdefault("Tags", {})
        current.update(tags or {})
        for key in remove or ():
            current.pop(key, None)
        if tags or remove:
            await self.store.put_code_signing(arn, ctx.account_id, ctx.region, doc)
        return dict(current)
