"""Tags, reserved concurrency, event invoke configuration and account settings."""

from __future__ import annotations

import copy
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.errors import InvalidParameterValue, ResourceConflict, ResourceNotFound
from overcast.services.lambda_.models import FunctionRecord
from overcast.services.lambda_.validation import MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES
from overcast.services.lambda_.versions import paginate

MIN_UNRESERVED = 100


class SettingsOps(LambdaBase):
    account_concurrency: int

    # -- tags ---------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, resource: str) -> FunctionRecord:
        record, qualifier = self.find(ctx, resource, member="resource")
        if qualifier:
            raise InvalidParameterValue("Tags on function aliases and versions are not supported. Please "
                                        "specify a function ARN.")
        return record

    async def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record = self._tagged(ctx, params["Resource"])
        record.tags.update(params.get("Tags") or {})
        await self.store.put(record)
        return {}

    async def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record = self._tagged(ctx, params["Resource"])
        for key in params.get("TagKeys") or []:
            record.tags.pop(key, None)
        await self.store.put(record)
        return {}

    async def list_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": dict(self._tagged(ctx, params["Resource"]).tags)}

    # -- concurrency --------------------------------------------------------------------------

    def _reserved_total(self, ctx: RequestContext, excluding: str | None = None) -> int:
        return sum(r.reserved_concurrency or 0 for r in self.store.functions_in(ctx.account_id, ctx.region)
                   if r.name != excluding)

    async def put_function_concurrency(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        wanted = params["ReservedConcurrentExecutions"]
        if wanted < 0:
            raise InvalidParameterValue("ReservedConcurrentExecutions must be greater than or equal to 0.")
        if self.account_concurrency - self._reserved_total(ctx, record.name) - wanted < MIN_UNRESERVED:
            raise InvalidParameterValue(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}].")
        record.reserved_concurrency = wanted
        await self.store.put(record)
        return {"ReservedConcurrentExecutions": wanted}

    async def get_function_concurrency(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        if record.reserved_concurrency is None:
            return {}
        return {"ReservedConcurrentExecutions": record.reserved_concurrency}

    async def delete_function_concurrency(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        record.reserved_concurrency = None
        await self.store.put(record)
        return {}

    # -- event invoke configuration -----------------------------------------------------------

    def _eic_key(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[FunctionRecord, str]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        qualifier = qualifier or LATEST
        self.resolve_version(record, qualifier)
        return record, qualifier

    @staticmethod
    def _check_eic(params: dict[str, Any]) -> None:
        retries = params.get("MaximumRetryAttempts")
        if retries is not None and not 0 <= retries <= 2:
            raise InvalidParameterValue("MaximumRetryAttempts must be between 0 and 2.")
        age = params.get("MaximumEventAgeInSeconds")
        if age is not None and not 60 <= age <= 21600:
            raise InvalidParameterValue("MaximumEventAgeInSeconds must be between 60 and 21600.")

    def _eic_out(self, record: FunctionRecord, qualifier: str) -> dict[str, Any]:
        config = copy.deepcopy(record.event_invoke_configs[qualifier])
        config["FunctionArn"] = f"{record.arn}:{qualifier}"
        config.setdefault("DestinationConfig", {"OnSuccess": {}, "OnFailure": {}})
        return config

    async def put_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self._eic_key(ctx, params)
        self._check_eic(params)
        config: dict[str, Any] = {"LastModified": self.clock.time()}
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
            if params.get(key) is not None:
                config[key] = copy.deepcopy(params[key])
        record.event_invoke_configs[qualifier] = config
        await self.store.put(record)
        return self._eic_out(record, qualifier)

    async def update_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]
                                                  ) -> dict[str, Any]:
        record, qualifier = self._eic_key(ctx, params)
        self._check_eic(params)
        config = record.event_invoke_configs.setdefault(qualifier, {})
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
            if params.get(key) is not None:
                config[key] = copy.deepcopy(params[key])
        config["LastModified"] = self.clock.time()
        await self.store.put(record)
        return self._eic_out(record, qualifier)

    async def get_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self._eic_key(ctx, params)
        if qualifier not in record.event_invoke_configs:
            raise ResourceNotFound(f"The function {record.arn}:{qualifier} doesn't have an EventInvokeConfig")
        return self._eic_out(record, qualifier)

    async def delete_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]
                                                  ) -> dict[str, Any]:
        record, qualifier = self._eic_key(ctx, params)
        if record.event_invoke_configs.pop(qualifier, None) is None:
            raise ResourceNotFound(f"The function {record.arn}:{qualifier} doesn't have an EventInvokeConfig")
        await self.store.put(record)
        return {}

    async def list_function_event_invoke_configs(self, ctx: RequestContext, params: dict[str, Any]
                                                 ) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        items = [self._eic_out(record, q) for q in sorted(record.event_invoke_configs)]
        return paginate(items, params, "FunctionEventInvokeConfigs")

    # -- account ------------------------------------------------------------------------------

    async def get_account_settings(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        records = self.store.functions_in(ctx.account_id, ctx.region)
        total = sum(r.code.size + sum(v["code"]["size"] for v in r.versions.values()) for r in records)
        return {
            "AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": MAX_UNZIPPED_BYTES,
                             "CodeSizeZipped": MAX_ZIP_BYTES, "ConcurrentExecutions": self.account_concurrency,
                             "UnreservedConcurrentExecutions": self.account_concurrency - self._reserved_total(ctx)},
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(records)},
        }


__all__ = ["SettingsOps", "ResourceConflict"]
