"""Tags, reserved concurrency, event invoke configuration and account settings."""

from __future__ import annotations

import copy
import re
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.lambda_.code_signing import is_code_signing_arn
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.errors import (
    InvalidParameterValue,
    ResourceConflict,
    ResourceNotFound,
    validation_error,
)
from overcast.services.lambda_.models import FunctionRecord
from overcast.services.lambda_.provisioned import MIN_UNRESERVED, provisioned_total
from overcast.services.lambda_.validation import MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES, parse_function_ref
from overcast.services.lambda_.versions import paginate

DESTINATION_ARN_PATTERN = (r"^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})?:"
                           r"(\d{12})?:(.*)")
_DESTINATION_ARN = re.compile(DESTINATION_ARN_PATTERN)


MAX_TAGS = 50  # a function's, counting those it has (LocalStack's AWS-validated test_tag_limits)


def check_tag_count(tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidParameterValue("Number of tags exceeds resource tag limit.")


class SettingsOps(LambdaBase):
    account_concurrency: int
    claimed_concurrency: Any  # ProvisionedConcurrencyOps.claimed_concurrency
    tag_code_signing_config: Any  # CodeSigningOps.tag_code_signing_config

    # -- tags ---------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, resource: str) -> FunctionRecord:
        record, qualifier = self.find(ctx, resource, member="resource")
        if qualifier:
            raise InvalidParameterValue("Tags on function aliases and versions are not supported. Please "
                                        "specify a function ARN.")
        return record

    async def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if is_code_signing_arn(params["Resource"]):
            current = (await self.tag_code_signing_config(ctx, params["Resource"], None))
            check_tag_count({**current, **(params.get("Tags") or {})})
            await self.tag_code_signing_config(ctx, params["Resource"], params.get("Tags") or {})
            return {}
        record = self._tagged(ctx, params["Resource"])
        check_tag_count({**record.tags, **(params.get("Tags") or {})})
        record.tags.update(params.get("Tags") or {})
        await self.store.put(record)
        return {}

    async def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if is_code_signing_arn(params["Resource"]):
            await self.tag_code_signing_config(ctx, params["Resource"], None, params.get("TagKeys") or [])
            return {}
        record = self._tagged(ctx, params["Resource"])
        for key in params.get("TagKeys") or []:
            record.tags.pop(key, None)
        await self.store.put(record)
        return {}

    async def list_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if is_code_signing_arn(params["Resource"]):
            return {"Tags": await self.tag_code_signing_config(ctx, params["Resource"], None)}
        return {"Tags": dict(self._tagged(ctx, params["Resource"]).tags)}

    # -- concurrency --------------------------------------------------------------------------

    async def put_function_concurrency(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params["ReservedConcurrentExecutions"]
        if wanted < 0:  # a request constraint: answered before the function is looked up
            raise validation_error(wanted, "reservedConcurrentExecutions",
                                   "Member must have value greater than or equal to 0")
        record, qualifier = self.find(ctx, params["FunctionName"])
        if qualifier is not None:  # LocalStack's AWS-validated test_function_concurrency_exceptions
            raise InvalidParameterValue(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                "operation. Please specify either a function name or an unqualified function ARN.")
        provisioned = provisioned_total(record)
        if wanted < provisioned:
            # Worded (spaces included) as LocalStack's AWS-validated test_reserved_provisioned_overlap
            # recorded it.
            raise InvalidParameterValue(f" ReservedConcurrentExecutions  {wanted} should not be lower than "
                                        f"function's total provisioned concurrency [{provisioned}].")
        if self.account_concurrency - self.claimed_concurrency(ctx, record.name) - wanted < MIN_UNRESERVED:
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

    def _eic_target(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[FunctionRecord, str]:
        """Put and Update name a missing function or qualifier in their own words (as recorded
        against AWS in LocalStack's event invoke config tests)."""
        try:
            return self._eic_key(ctx, params)
        except ResourceNotFound:
            raise ResourceNotFound("The function doesn't exist.") from None

    def _check_destinations(self, ctx: RequestContext, record: FunctionRecord,
                            destinations: dict[str, Any] | None) -> None:
        """Destinations Lambda can deliver to: SQS, SNS, EventBridge, and other existing functions."""
        targets = {side: ((destinations or {}).get(side) or {}).get("Destination")
                   for side in ("OnSuccess", "OnFailure")}
        unsupported = False
        for side, arn in targets.items():
            if not arn:
                continue
            if not _DESTINATION_ARN.fullmatch(arn):
                member = f"destinationConfig.{side[0].lower()}{side[1:]}.destination"
                raise validation_error(arn, member, f"Member must satisfy regular expression pattern: "
                                                    f"{DESTINATION_ARN_PATTERN}")
            service = arn.split(":")[2]
            if service == "lambda":
                # Looked up where its ARN says (a destination may be in another Region).
                try:
                    ref = parse_function_ref(arn)
                except ServiceError:
                    raise InvalidParameterValue(f"The destination ARN {arn} is invalid.") from None
                target = self.store.get(ref.account or ctx.account_id, ref.region or ctx.region, ref.name)
                if target is None:
                    raise InvalidParameterValue(f"The destination ARN {arn} is invalid.")
                if target.arn == record.arn:
                    raise InvalidParameterValue("You can't specify the function as a destination for itself.")
            elif service not in ("sqs", "sns", "events"):
                unsupported = True
        if unsupported:
            shown = {side: f"{side}(destination={arn})" if arn else "null" for side, arn in targets.items()}
            raise InvalidParameterValue(f"The provided destination config DestinationConfig(onSuccess="
                                        f"{shown['OnSuccess']}, onFailure={shown['OnFailure']}) is invalid.")

    def _eic_key(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[FunctionRecord, str]:
        """The function and qualifier whose configuration Get or Delete reads. A function or a
        qualifier that is not there has no configuration, as Lambda says it
        (LocalStack's AWS-validated test_lambda_eventinvokeconfig_exceptions)."""
        ref = parse_function_ref(params["FunctionName"])
        try:
            record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
            qualifier = qualifier or LATEST
            self.resolve_version(record, qualifier)
        except ResourceNotFound:
            wanted = params.get("Qualifier") or ref.qualifier or LATEST
            raise ResourceNotFound(
                f"The function {self.function_arn(ctx, ref.name)}:{wanted} doesn't have an EventInvokeConfig") from None
        return record, qualifier

    @staticmethod
    def _check_eic_ranges(params: dict[str, Any]) -> None:
        """The API reference's ranges, refused as request constraints (ValidationException)."""
        for key, member, low, high in (("MaximumRetryAttempts", "maximumRetryAttempts", 0, 2),
                                       ("MaximumEventAgeInSeconds", "maximumEventAgeInSeconds", 60, 21600)):
            value = params.get(key)
            if value is None:
                continue
            if value < low:
                raise validation_error(value, member, f"Member must have value greater than or equal to {low}")
            if value > high:
                raise validation_error(value, member, f"Member must have value less than or equal to {high}")

    @staticmethod
    def _check_eic_not_empty(params: dict[str, Any]) -> None:
        if all(params.get(key) is None for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds",
                                                   "DestinationConfig")):
            raise InvalidParameterValue("You must specify at least one of error handling or destination setting.")

    def _eic_out(self, record: FunctionRecord, qualifier: str) -> dict[str, Any]:
        config = copy.deepcopy(record.event_invoke_configs[qualifier])
        config["FunctionArn"] = f"{record.arn}:{qualifier}"
        # Both sides, {} where none was given (LocalStack's AWS-validated event invoke config snapshots).
        destinations = config.setdefault("DestinationConfig", {})
        destinations.setdefault("OnSuccess", {})
        destinations.setdefault("OnFailure", {})
        return config

    async def put_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._check_eic_ranges(params)
        self._check_eic_not_empty(params)
        record, qualifier = self._eic_target(ctx, params)
        self._check_destinations(ctx, record, params.get("DestinationConfig"))
        config: dict[str, Any] = {"LastModified": self.clock.time()}
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
            if params.get(key) is not None:
                config[key] = copy.deepcopy(params[key])
        record.event_invoke_configs[qualifier] = config
        await self.store.put(record)
        return self._eic_out(record, qualifier)

    async def update_function_event_invoke_config(self, ctx: RequestContext, params: dict[str, Any]
                                                  ) -> dict[str, Any]:
        self._check_eic_ranges(params)
        self._check_eic_not_empty(params)
        record, qualifier = self._eic_target(ctx, params)
        config = record.event_invoke_configs.get(qualifier)
        if config is None:  # Update changes an existing configuration; Put creates one
            raise ResourceNotFound(f"The function {record.arn}:{qualifier} doesn't have an EventInvokeConfig")
        self._check_destinations(ctx, record, params.get("DestinationConfig"))
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
        try:
            record, _ = self.find(ctx, params["FunctionName"])
        except ResourceNotFound:
            raise ResourceNotFound("The function doesn't exist.") from None
        items = [self._eic_out(record, q) for q in sorted(record.event_invoke_configs)]
        return paginate(items, params, "FunctionEventInvokeConfigs", max_items_limit=50)

    # -- account ------------------------------------------------------------------------------

    async def get_account_settings(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        records = self.store.functions_in(ctx.account_id, ctx.region)
        total = sum(r.code.size + sum(v["code"]["size"] for v in r.versions.values()) for r in records)
        return {
            "AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": MAX_UNZIPPED_BYTES,
                             "CodeSizeZipped": MAX_ZIP_BYTES, "ConcurrentExecutions": self.account_concurrency,
                             "UnreservedConcurrentExecutions": self.account_concurrency - self.claimed_concurrency(ctx)},
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(records)},
        }


__all__ = ["SettingsOps", "ResourceConflict"]
