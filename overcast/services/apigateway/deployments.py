"""Deployments: frozen snapshots of an API's configuration that stages serve."""

from __future__ import annotations

import copy
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, now, page
from overcast.services.apigateway.patch import apply_patch
from overcast.services.apigateway.store import new_id

SNAPSHOT_PARTS = ("resources", "models", "validators", "authorizers", "gatewayResponses")


def deployment_view(deployment: dict[str, Any], embed_summary: bool = False) -> dict[str, Any]:
    out = {k: v for k, v in deployment.items() if k != "snapshot"}
    if embed_summary:
        out["apiSummary"] = api_summary(deployment["snapshot"])
    return out


def api_summary(snapshot: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for resource in snapshot["resources"].values():
        for verb, method in (resource.get("resourceMethods") or {}).items():
            summary.setdefault(resource["path"], {})[verb] = {
                "authorizationType": method.get("authorizationType", "NONE"),
                "apiKeyRequired": method.get("apiKeyRequired", False)}
    return summary


def take_snapshot(doc: dict[str, Any]) -> dict[str, Any]:
    snapshot = {part: copy.deepcopy(doc.get(part) or {}) for part in SNAPSHOT_PARTS}
    snapshot["api"] = copy.deepcopy(doc["api"])
    return snapshot


class DeploymentOps(ApiOps):
    # new_stage and check_stage_name come from StageOps, mixed into the same provider.

    async def create_deployment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        methods = [m for r in doc["resources"].values() for m in (r.get("resourceMethods") or {}).values()]
        if not methods:
            raise errors.BadRequest("The REST API doesn't contain any methods")
        if any("methodIntegration" not in m for m in methods):
            raise errors.BadRequest("No integration defined for method")
        deployment = compact({"id": new_id(6), "description": params.get("description"), "createdDate": now(),
                              "snapshot": take_snapshot(doc)})
        stage_name = params.get("stageName")
        if stage_name:
            self.check_stage_name(stage_name)
        doc["deployments"][deployment["id"]] = deployment
        if stage_name:
            stage = doc["stages"].get(stage_name)
            if stage is None:
                doc["stages"][stage_name] = self.new_stage(stage_name, deployment["id"], {
                    "description": params.get("stageDescription"), "variables": params.get("variables"),
                    "cacheClusterEnabled": params.get("cacheClusterEnabled"),
                    "cacheClusterSize": params.get("cacheClusterSize"),
                    "tracingEnabled": params.get("tracingEnabled"), "canarySettings": params.get("canarySettings")})
            elif params.get("canarySettings") is not None:
                # A canary deployment: the stage keeps serving its deployment to most requests.
                stage["canarySettings"] = {**params["canarySettings"], "deploymentId": deployment["id"]}
                stage["lastUpdatedDate"] = now()
            else:
                stage["deploymentId"] = deployment["id"]
                stage["lastUpdatedDate"] = now()
                if params.get("variables"):
                    stage.setdefault("variables", {}).update(params["variables"])
        await self.save(ctx, doc)
        return deployment_view(deployment)

    def _deployment(self, doc: dict[str, Any], deployment_id: str) -> dict[str, Any]:
        return errors.require(doc["deployments"].get(deployment_id), errors.deployment_not_found)

    def get_deployment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        deployment = self._deployment(doc, params["deploymentId"])
        return deployment_view(deployment, "apisummary" in (params.get("embed") or []))

    def get_deployments(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        items = sorted((deployment_view(d) for d in doc["deployments"].values()), key=lambda d: d["createdDate"])
        return page(items, params)

    async def update_deployment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        deployment = self._deployment(doc, params["deploymentId"])
        apply_patch(deployment, params.get("patchOperations"), {"description": "str"})
        await self.save(ctx, doc)
        return deployment_view(deployment)

    async def delete_deployment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        deployment = self._deployment(doc, params["deploymentId"])
        if any(s.get("deploymentId") == deployment["id"] for s in doc["stages"].values()):
            raise errors.BadRequest("Active stages pointing to this deployment must be moved or deleted")
        del doc["deployments"][deployment["id"]]
        await self.save(ctx, doc)
        return {}
