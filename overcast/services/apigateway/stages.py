"""Stages: a named pointer to a deployment, with variables and per-method settings."""

from __future__ import annotations

import copy
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, now
from overcast.services.apigateway.patch import apply_patch, coerce

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

STAGE_PATCH = {
    "description": "str", "deploymentId": "str", "clientCertificateId": "str", "cacheClusterEnabled": "bool",
    "cacheClusterSize": "str", "tracingEnabled": "bool", "documentationVersion": "str", "webAclArn": "str",
    "variables": ("map", "str"),
    "accessLogSettings": ("object", {"format": "str", "destinationArn": "str"}),
    "canarySettings": ("object", {"percentTraffic": "float", "deploymentId": "str", "useStageCache": "bool",
                                  "stageVariableOverrides": "str"}),
}
# /{resource path}/{method}/{setting path} -> MethodSetting member and its kind
METHOD_SETTINGS = {
    "metrics/enabled": ("metricsEnabled", "bool"),
    "logging/loglevel": ("loggingLevel", "str"),
    "logging/dataTrace": ("dataTraceEnabled", "bool"),
    "throttling/burstLimit": ("throttlingBurstLimit", "int"),
    "throttling/rateLimit": ("throttlingRateLimit", "float"),
    "caching/enabled": ("cachingEnabled", "bool"),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", "int"),
    "caching/dataEncrypted": ("cacheDataEncrypted", "bool"),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", "bool"),
    "caching/unauthorizedCacheControlHeaderStrategy": ("unauthorizedCacheControlHeaderStrategy", "str"),
}
DEFAULT_METHOD_SETTING = {
    "metricsEnabled": False, "dataTraceEnabled": False, "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0, "cachingEnabled": False, "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False, "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}


# What UpdateStage answers for a path it does not know, word for word (missing commas included):
# LocalStack's AWS-validated test_create_update_stages, for /documentation_version and /tags/tag1
# (recorded 2023 and 2024).
_STAGE_PATHS = (
    "/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, "
    "/accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, "
    "/{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, "
    "/{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit"
    "/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, "
    "/{resourcePath}/{httpMethod}/caching/dataEncrypted, "
    "/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, "
    "/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, "
    "/*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit "
    "/*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, "
    "/*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, "
    "/variables/{variable_name}, /tracingEnabled")


def invalid_stage_path(path: str) -> errors.BadRequest:
    return errors.BadRequest(f"Invalid method setting path: {path}. Must be one of: [{_STAGE_PATHS}]")


def _method_settings_patch(stage: dict[str, Any], op: str, segments: list[str], operation: dict[str, Any]) -> bool:
    if segments[0] in STAGE_PATCH:
        return False
    if len(segments) < 3:
        raise invalid_stage_path(operation.get("path", ""))
    # Segments were unescaped; the resource path may itself hold '/', so the method and setting
    # are read from the end: .../{method}/{group}/{name}.
    setting_key = "/".join(segments[-2:])
    if setting_key not in METHOD_SETTINGS:
        raise invalid_stage_path(operation.get("path", ""))
    method_key = "/".join(segments[:-2]).lstrip("/")
    member, kind = METHOD_SETTINGS[setting_key]
    settings = stage.setdefault("methodSettings", {})
    if op == "remove":
        settings.pop(method_key, None)
        return True
    entry = settings.setdefault(method_key, dict(DEFAULT_METHOD_SETTING))
    entry[member] = coerce(kind, operation.get("value"), operation.get("path", ""))
    if setting_key == "caching/enabled":
        stage.setdefault("cacheClusterEnabled", False)
    return True


class StageOps(ApiOps):
    def check_stage_name(self, name: str) -> None:
        if not _STAGE_NAME.match(name or ""):
            raise errors.BadRequest("Stage name only allows a-zA-Z0-9_ and hyphens")

    def new_stage(self, name: str, deployment_id: str, params: dict[str, Any]) -> dict[str, Any]:
        created = now()
        return compact({
            "stageName": name, "deploymentId": deployment_id, "description": params.get("description"),
            "cacheClusterEnabled": bool(params.get("cacheClusterEnabled") or False),
            "cacheClusterSize": params.get("cacheClusterSize"),
            "cacheClusterStatus": "AVAILABLE" if params.get("cacheClusterEnabled") else "NOT_AVAILABLE",
            "methodSettings": {}, "variables": params.get("variables") or None,
            "documentationVersion": params.get("documentationVersion"),
            "canarySettings": params.get("canarySettings"),
            "tracingEnabled": bool(params.get("tracingEnabled") or False),
            "tags": params.get("tags") or None, "createdDate": created, "lastUpdatedDate": created,
        })

    async def create_stage(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        name = params.get("stageName") or ""
        self.check_stage_name(name)
        if name in doc["stages"]:
            raise errors.Conflict("Stage already exists")
        if params.get("deploymentId") not in doc["deployments"]:
            raise errors.deployment_not_found()
        stage = self.new_stage(name, params["deploymentId"], params)
        doc["stages"][name] = stage
        await self.save(ctx, doc)
        return stage

    def _stage(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
        return errors.require(doc["stages"].get(name), errors.stage_not_found)

    def get_stage(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._stage(self.api(ctx, params["restApiId"]), params["stageName"])

    def get_stages(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        stages = sorted(doc["stages"].values(), key=lambda s: s["createdDate"])
        if params.get("deploymentId"):
            stages = [s for s in stages if s.get("deploymentId") == params["deploymentId"]]
        return {"item": stages}

    async def update_stage(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        stage = copy.deepcopy(self._stage(doc, params["stageName"]))
        apply_patch(stage, params.get("patchOperations"), STAGE_PATCH, _method_settings_patch)
        if stage.get("deploymentId") not in doc["deployments"]:
            raise errors.deployment_not_found()
        stage["cacheClusterStatus"] = "AVAILABLE" if stage.get("cacheClusterEnabled") else "NOT_AVAILABLE"
        stage["lastUpdatedDate"] = now()
        doc["stages"][stage["stageName"]] = stage
        await self.save(ctx, doc)
        self.flush_stage_cache_for(doc["api"]["id"], stage["stageName"])
        return stage

    async def delete_stage(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        self._stage(doc, params["stageName"])
        del doc["stages"][params["stageName"]]
        await self.save(ctx, doc)
        return {}

    def flush_stage_cache(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        self._stage(doc, params["stageName"])
        self.flush_stage_cache_for(params["restApiId"], params["stageName"])
        return {}

    def flush_stage_authorizers_cache(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        self._stage(doc, params["stageName"])
        self.flush_authorizer_cache_for(params["restApiId"], params["stageName"])
        return {}

    # provided by the provider (the data plane's caches)
    def flush_stage_cache_for(self, api_id: str, stage: str) -> None:
        pass

    def flush_authorizer_cache_for(self, api_id: str, stage: str) -> None:
        pass
