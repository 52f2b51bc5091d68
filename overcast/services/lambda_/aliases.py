"""CreateAlias, GetAlias, ListAliases, UpdateAlias, DeleteAlias (with weighted routing)."""

from __future__ import annotations

import copy
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase, new_revision
from overcast.services.lambda_.errors import (
    InvalidParameterValue,
    ResourceConflict,
    ResourceNotFound,
    validation_error,
)
from overcast.services.lambda_.models import FunctionRecord
from overcast.services.lambda_.validation import check_alias_name
from overcast.services.lambda_.versions import paginate


class AliasOps(LambdaBase):
    reconcile_provisioned: Any  # ProvisionedConcurrencyOps.reconcile_provisioned

    def _check_version_exists(self, record: FunctionRecord, version: str) -> None:
        if version != LATEST and version not in record.versions:
            raise ResourceNotFound(f"Function not found: {record.arn}:{version}")

    def _check_routing(self, record: FunctionRecord, primary: str, routing: dict[str, Any] | None) -> None:
        weights = (routing or {}).get("AdditionalVersionWeights") or {}
        if len(weights) > 1:
            raise InvalidParameterValue("Number of items in AdditionalVersionWeights cannot be greater than 1")
        for version, weight in weights.items():
            # The value is shown as Java prints a map entry, {2=1.5} (recorded against AWS in
            # LocalStack's snapshot tests).
            if not 0 <= weight <= 1:
                raise validation_error(f"{{{version}={weight}}}", "routingConfig.additionalVersionWeights",
                                       "Map value must satisfy constraint: [Member must have value less than or "
                                       "equal to 1.0, Member must have value greater than or equal to 0.0, "
                                       "Member must not be null]")
            if version == primary:
                raise InvalidParameterValue(f"Invalid function version {version}. Function version {version} is "
                                            "already included in routing configuration.")
            if primary == LATEST:
                raise InvalidParameterValue("$LATEST is not supported for an alias pointing to more than 1 version")
            if not version.isdigit() or len(version) > 1024:
                raise validation_error(f"{{{version}={weight}}}", "routingConfig.additionalVersionWeights",
                                       "Map keys must satisfy constraint: [Member must have length less than or "
                                       "equal to 1024, Member must have length greater than or equal to 1, Member "
                                       "must satisfy regular expression pattern: [0-9]+, Member must not be null]")
            self._check_version_exists(record, version)

    def _alias(self, record: FunctionRecord, name: str) -> dict[str, Any]:
        alias = record.aliases.get(name)
        if alias is None:
            # Lambda's wording, which clients match on (Terraform's AWS provider treats it as "gone").
            raise ResourceNotFound(f"Cannot find alias arn: {record.arn}:{name}")
        return alias

    async def create_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        name = params["Name"]
        check_alias_name(name)
        version = params["FunctionVersion"]
        self._check_version_exists(record, version)
        if name in record.aliases:
            raise ResourceConflict(f"Alias already exists: {record.arn}:{name}")
        self._check_routing(record, version, params.get("RoutingConfig"))
        alias: dict[str, Any] = {"AliasArn": f"{record.arn}:{name}", "Name": name, "FunctionVersion": version,
                                 "Description": params.get("Description") or "", "RevisionId": new_revision()}
        if params.get("RoutingConfig"):
            alias["RoutingConfig"] = copy.deepcopy(params["RoutingConfig"])
        record.aliases[name] = alias
        await self.store.put(record)
        return copy.deepcopy(alias)

    async def get_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        return copy.deepcopy(self._alias(record, params["Name"]))

    async def list_aliases(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        wanted = params.get("FunctionVersion")
        items = [copy.deepcopy(a) for _, a in sorted(record.aliases.items())
                 if wanted is None or a["FunctionVersion"] == wanted]
        return paginate(items, params, "Aliases")

    async def update_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        alias = self._alias(record, params["Name"])
        self.check_revision(record, params.get("RevisionId"), alias["RevisionId"])
        version = params.get("FunctionVersion") or alias["FunctionVersion"]
        self._check_version_exists(record, version)
        routing = params.get("RoutingConfig", alias.get("RoutingConfig"))
        self._check_routing(record, version, routing)
        alias["FunctionVersion"] = version
        if params.get("Description") is not None:
            alias["Description"] = params["Description"]
        if routing and (routing.get("AdditionalVersionWeights") or {}):
            alias["RoutingConfig"] = copy.deepcopy(routing)
        else:
            alias.pop("RoutingConfig", None)
        alias["RevisionId"] = new_revision()
        await self.store.put(record)
        self.reconcile_provisioned(record)  # an alias's provisioned environments move with it
        return copy.deepcopy(alias)

    async def delete_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        if record.aliases.pop(params["Name"], None) is not None:
            record.policy.pop(params["Name"], None)
            record.event_invoke_configs.pop(params["Name"], None)
            # Its provisioned concurrency goes too (LocalStack's AWS-validated test_lambda_provisioned_lifecycle).
            record.provisioned_concurrency.pop(params["Name"], None)
            await self.store.put_dropping_urls(record, params["Name"])  # the alias's URL goes with it
            self.reconcile_provisioned(record)
        return {}
