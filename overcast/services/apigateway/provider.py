"""Amazon API Gateway (REST APIs): the provider class the server builds on the first request.

The control plane is split by concern into the sibling modules mixed in here; the data plane
(invoking a deployed stage, TestInvokeMethod) lives under invoke/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.server.context import RequestContext
from overcast.services.apigateway.authorizers import AuthorizerOps
from overcast.services.apigateway.client_certificates import ClientCertificateOps
from overcast.services.apigateway.deployments import DeploymentOps
from overcast.services.apigateway.documentation import DocumentationOps
from overcast.services.apigateway.domains import DomainOps
from overcast.services.apigateway.gateway_responses import GatewayResponseOps
from overcast.services.apigateway.integrations import IntegrationOps
from overcast.services.apigateway.keys import ApiKeyOps
from overcast.services.apigateway.methods import MethodOps
from overcast.services.apigateway.models import ModelOps
from overcast.services.apigateway.openapi import OpenApiOps
from overcast.services.apigateway.resources import ResourceOps
from overcast.services.apigateway.restapis import RestApiOps
from overcast.services.apigateway.stages import StageOps
from overcast.services.apigateway.store import ApiGatewayStore
from overcast.services.apigateway.tags import TagOps
from overcast.services.apigateway.usage_meter import UsageMeter
from overcast.services.apigateway.usage_plans import UsagePlanOps
from overcast.services.apigateway.vpc_links import VpcLinkOps
from overcast.services.base import Provider as BaseProvider
from overcast.services.base import ServiceRuntime

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.gateway import Gateway


class Provider(RestApiOps, ResourceOps, MethodOps, IntegrationOps, DeploymentOps, StageOps, ModelOps,
               AuthorizerOps, GatewayResponseOps, ApiKeyOps, UsagePlanOps, TagOps, OpenApiOps,
               DomainOps, DocumentationOps, ClientCertificateOps, VpcLinkOps, BaseProvider):
    service = "apigateway"

    def __init__(self, runtime: ServiceRuntime):
        BaseProvider.__init__(self, runtime)
        self.store = ApiGatewayStore(self.db)
        self.usage = UsageMeter(self.db)
        self._gateway: Gateway | None = None
        if runtime.config.apigateway_control_plane_quotas:
            from overcast.services.apigateway.quotas import ControlPlaneQuotas

            self.admit = ControlPlaneQuotas().admit

    def start(self) -> None:
        self.store.load()
        self.usage.load()
        self.runtime.health["apigateway"] = {"restApis": len(self.store.docs["restapi"])}

    def stop(self) -> None:
        self.usage.flush_blocking()

    @property
    def gateway(self) -> Gateway:
        """The data plane, built on the first invocation."""
        if self._gateway is None:
            from overcast.services.apigateway.invoke.gateway import Gateway

            self._gateway = Gateway(self)
        return self._gateway

    def flush_stage_cache_for(self, api_id: str, stage: str) -> None:
        if self._gateway is not None:
            self._gateway.flush_cache(api_id, stage)

    def flush_authorizer_cache_for(self, api_id: str, stage: str) -> None:
        if self._gateway is not None:
            self._gateway.flush_authorizer_cache(api_id, stage)

    async def test_invoke_method(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api_of_method(ctx, params["restApiId"])
        self.method(doc, params["resourceId"], params["httpMethod"])
        return await self.gateway.test_invoke(ctx, doc, params)

    async def test_invoke_authorizer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        authorizer = self._authorizer(doc, params["authorizerId"])
        if authorizer.get("type") == "COGNITO_USER_POOLS":
            return {"clientStatus": 200, "log": "", "latency": 0}
        return await self.gateway.test_authorizer(ctx, doc, authorizer, params)

    def get_account(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.store.get("account", ctx.account_id, ctx.region, "account") or {}
        return {"cloudwatchRoleArn": doc.get("cloudwatchRoleArn"),
                "throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0},
                "features": ["UsagePlans"], "apiKeyVersion": "4"}

    async def update_account(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        from overcast.services.apigateway.patch import apply_patch

        doc = dict(self.store.get("account", ctx.account_id, ctx.region, "account") or {})
        apply_patch(doc, params.get("patchOperations"), {"cloudwatchRoleArn": "str"})
        await self.store.put("account", ctx.account_id, ctx.region, "account", doc)
        return self.get_account(ctx, params)
