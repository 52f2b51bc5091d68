"""GetRuntimeManagementConfig and PutRuntimeManagementConfig: a version's runtime update mode.

Overcast runs one build of each runtime, so the mode changes nothing about how a function runs;
it is stored (in the function's document, by version) and answered as Lambda answers it: Auto
unless set, the runtime version ARN only in Manual mode (the API reference: "If the runtime
update mode is Auto or Function update, ... null is returned for the ARN"). Manual mode also pins
the runtime: UpdateFunctionConfiguration may not change it (check_runtime_change).
"""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.errors import InvalidParameterValue
from overcast.services.lambda_.models import FunctionRecord


def check_runtime_change(record: FunctionRecord, new_runtime: str | None) -> None:
    """A function whose $LATEST is in Manual mode keeps its runtime (AWS's words, quoted in
    hashicorp/terraform-provider-aws#42699)."""
    mode = (record.runtime_management.get(LATEST) or {}).get("UpdateRuntimeOn")
    if mode == "Manual" and new_runtime and new_runtime != record.config.get("Runtime"):
        raise InvalidParameterValue("Cannot change runtime identifier when runtime management configuration is set "
                                    "to 'Manual'. Change the runtime management configuration to 'Auto' or "
                                    "'FunctionUpdate', then retry.")


class RuntimeManagementOps(LambdaBase):
    def _runtime_target(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[FunctionRecord, str, str]:
        """(function, version, the ARN the answer names): the qualifier's, else the function's."""
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        version = self.resolve_version(record, qualifier)
        return record, version, f"{record.arn}:{qualifier}" if qualifier else record.arn

    async def get_runtime_management_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, version, arn = self._runtime_target(ctx, params)
        stored = record.runtime_management.get(version) or {"UpdateRuntimeOn": "Auto"}
        return {**stored, "FunctionArn": arn}

    async def put_runtime_management_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, version, arn = self._runtime_target(ctx, params)
        mode = params["UpdateRuntimeOn"]
        runtime_arn = params.get("RuntimeVersionArn")
        if mode == "Manual" and not runtime_arn:
            raise InvalidParameterValue("RuntimeVersionArn is required when UpdateRuntimeOn is Manual.")
        if mode != "Manual" and runtime_arn:
            raise InvalidParameterValue(f"RuntimeVersionArn can only be specified when UpdateRuntimeOn is Manual, "
                                        f"not {mode}.")
        stored: dict[str, Any] = {"UpdateRuntimeOn": mode}
        if runtime_arn:
            stored["RuntimeVersionArn"] = runtime_arn
        record.runtime_management[version] = stored
        await self.store.put(record)
        return {**stored, "FunctionArn": arn}
