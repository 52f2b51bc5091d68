"""Usage plans, their keys, and the usage they have counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import compact, page
from overcast.services.apigateway.patch import apply_patch
from overcast.services.apigateway.store import ApiGatewayStore, new_id
from overcast.services.apigateway.usage_meter import UsageMeter

PLAN_PATCH = {
    "name": "str", "description": "str", "productCode": "str",
    "throttle": ("object", {"rateLimit": "float", "burstLimit": "int"}),
    "quota": ("object", {"limit": "int", "period": "str", "offset": "int"}),
}

def plan_view(plan: dict[str, Any], with_tags: bool = False) -> dict[str, Any]:
    """A plan as AWS answers it. GetUsagePlan and UpdateUsagePlan always carry tags ({} when
    there are none); CreateUsagePlan and GetUsagePlans only when there are some (LocalStack's
    AWS-validated test_usage_plan_crud, recorded 2024)."""
    view = {k: v for k, v in plan.items() if not k.startswith("_")}
    if with_tags:
        view.setdefault("tags", {})
    return view


def invalid_stage_for_plan(api_id: str, stage: str, plan_id: str) -> errors.NotFound:
    return errors.NotFound(f"Invalid API Stage {{api: {api_id}, stage: {stage}}} specified for usageplan {plan_id}")

class UsagePlanOps:
    store: ApiGatewayStore
    usage: UsageMeter  # requests counted by the data plane

    def usage_plan(self, ctx: RequestContext, plan_id: str) -> dict[str, Any]:
        return errors.require(self.store.get("usageplan", ctx.account_id, ctx.region, plan_id),
                              "Invalid Usage Plan ID specified")

    def _check_api_stages(self, ctx: RequestContext, stages: list[dict[str, Any]]) -> None:
        for entry in stages:
            doc = self.store.get("restapi", ctx.account_id, ctx.region, entry.get("apiId", ""))
            if doc is None or entry.get("stage") not in doc["stages"]:
                raise errors.BadRequest(f"Invalid API Stage {{api: {entry.get('apiId')}, stage: {entry.get('stage')}}} "
                                        "specified for usageplan")

    async def create_usage_plan(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stages = params.get("apiStages") or []
        self._check_api_stages(ctx, stages)
        quota = params.get("quota")
        if quota and quota.get("period") not in ("DAY", "WEEK", "MONTH"):
            raise errors.BadRequest("Invalid quota period specified")
        plan = compact({"id": new_id(6), "name": params.get("name"), "description": params.get("description"),
                        "apiStages": stages, "throttle": params.get("throttle"), "quota": quota,
                        "tags": params.get("tags") or None, "_keys": {}})
        await self.store.put("usageplan", ctx.account_id, ctx.region, plan["id"], plan)
        return plan_view(plan)

    def get_usage_plan(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return plan_view(self.usage_plan(ctx, params["usagePlanId"]), with_tags=True)

    def get_usage_plans(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plans = self.store.list("usageplan", ctx.account_id, ctx.region)
        if params.get("keyId"):
            plans = [p for p in plans if params["keyId"] in p.get("_keys", {})]
        return page([plan_view(p) for p in plans], params)

    async def update_usage_plan(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plan = dict(self.usage_plan(ctx, params["usagePlanId"]))

        def api_stages(target: dict[str, Any], op: str, segments: list[str], operation: dict[str, Any]) -> bool:
            if segments[0] != "apiStages":
                return False
            value = operation.get("value") or ""
            stages = list(target.get("apiStages") or [])
            api_id, colon, stage = value.partition(":")
            if op in ("add", "remove") and not (api_id and colon and stage):
                # no value, or one that is not <apiId>:<stage> (test_usage_plan_crud's
                # update-wrong-api-stages-no-value / -wrong-value)
                raise errors.BadRequest("Invalid API Stage specified")
            if op == "add":
                doc = self.store.get("restapi", ctx.account_id, ctx.region, api_id)
                if doc is None or stage not in doc["stages"]:
                    raise invalid_stage_for_plan(api_id, stage, target["id"])
                stages.append({"apiId": api_id, "stage": stage})
            elif op == "remove":
                stages = [s for s in stages if (s["apiId"], s["stage"]) != (api_id, stage)]
            target["apiStages"] = stages
            return True

        apply_patch(plan, params.get("patchOperations"), PLAN_PATCH, api_stages)
        await self.store.put("usageplan", ctx.account_id, ctx.region, plan["id"], plan)
        return plan_view(plan, with_tags=True)

    async def delete_usage_plan(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plan = self.usage_plan(ctx, params["usagePlanId"])
        await self.store.delete("usageplan", ctx.account_id, ctx.region, plan["id"])
        return {}

    # -- usage plan keys -----------------------------------------------------------------------

    def _plan_key_view(self, ctx: RequestContext, key_id: str) -> dict[str, Any]:
        key = self.store.get("apikey", ctx.account_id, ctx.region, key_id) or {}
        return compact({"id": key_id, "type": "API_KEY", "value": key.get("value"), "name": key.get("name")})

    async def create_usage_plan_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plan = dict(self.usage_plan(ctx, params["usagePlanId"]))
        key_id = params.get("keyId") or ""
        if self.store.get("apikey", ctx.account_id, ctx.region, key_id) is None:
            raise errors.NotFound("Invalid API Key identifier specified")
        if params.get("keyType") != "API_KEY":
            raise errors.BadRequest("Invalid key type specified")
        keys = dict(plan.get("_keys") or {})
        if key_id in keys:
            raise errors.Conflict(f"Usage Plan {plan['id']} cannot be added because API Key {key_id} cannot reference "
                                  "multiple Usage Plans with the same API Stage")
        keys[key_id] = {"type": "API_KEY"}
        plan["_keys"] = keys
        await self.store.put("usageplan", ctx.account_id, ctx.region, plan["id"], plan)
        return self._plan_key_view(ctx, key_id)

    def get_usage_plan_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plan = self.usage_plan(ctx, params["usagePlanId"])
        if params["keyId"] not in plan.get("_keys", {}):
            raise errors.NotFound("Invalid Usage Plan Key identifier specified")
        return self._plan_key_view(ctx, params["keyId"])

    def get_usage_plan_keys(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plan = self.usage_plan(ctx, params["usagePlanId"])
        items = [self._plan_key_view(ctx, k) for k in plan.get("_keys", {})]
        if params.get("nameQuery"):
            items = [i for i in items if (i.get("name") or "").startswith(params["nameQuery"])]
        return page(items, params)

    async def delete_usage_plan_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plan = dict(self.usage_plan(ctx, params["usagePlanId"]))
        keys = dict(plan.get("_keys") or {})
        if params["keyId"] not in keys:
            raise errors.NotFound("Invalid Usage Plan Key identifier specified")
        del keys[params["keyId"]]
        plan["_keys"] = keys
        await self.store.put("usageplan", ctx.account_id, ctx.region, plan["id"], plan)
        return {}

    # -- usage ---------------------------------------------------------------------------------

    def get_usage(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plan = self.usage_plan(ctx, params["usagePlanId"])
        start = dt.date.fromisoformat(params["startDate"])
        end = dt.date.fromisoformat(params["endDate"])
        if end < start:
            raise errors.BadRequest("The usage end date must be on or after the start date")
        limit = (plan.get("quota") or {}).get("limit")
        key_ids = [params["keyId"]] if params.get("keyId") else list(plan.get("_keys", {}))
        items: dict[str, list[list[int]]] = {}
        for key_id in key_ids:
            days = []
            day = start
            while day <= end:
                used = self.usage.counts.get((ctx.account_id, ctx.region, plan["id"], key_id, day.isoformat()), 0)
                days.append([used, (limit - used) if limit is not None else 0])
                day += dt.timedelta(days=1)
            items[key_id] = days
        return {"usagePlanId": plan["id"], "startDate": params["startDate"], "endDate": params["endDate"],
                "items": items}

    async def update_usage(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Grant (or take back) quota for one key: /keys/{keyId}/remaining sets what is left in the
        current period, by adjusting today's count."""
        plan = self.usage_plan(ctx, params["usagePlanId"])
        key_id = params["keyId"]
        if key_id not in plan.get("_keys", {}):
            raise errors.NotFound("Invalid Usage Plan Key identifier specified")
        limit = (plan.get("quota") or {}).get("limit")
        today = dt.datetime.fromtimestamp(self.clock.time(), dt.UTC).date()
        for operation in params.get("patchOperations") or []:
            if operation.get("path") != f"/keys/{key_id}/remaining" or limit is None:
                raise errors.BadRequest(f"Invalid patch path {operation.get('path')}")
            remaining = int(operation.get("value") or 0)
            used_before_today = sum(v for (a, r, p, k, day), v in self.usage.counts.items()
                                    if (a, r, p, k) == (ctx.account_id, ctx.region, plan["id"], key_id)
                                    and day != today.isoformat())
            slot = (ctx.account_id, ctx.region, plan["id"], key_id, today.isoformat())
            self.usage.set(slot, max(int(limit) - remaining - used_before_today, 0))
        await self.usage.persist()
        day = today.isoformat()
        return self.get_usage(ctx, {"usagePlanId": plan["id"], "keyId": key_id, "startDate": day, "endDate": day})
