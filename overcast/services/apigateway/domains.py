"""Custom domain names and their base path mappings (which API stage serves which base path)."""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import compact, now, page
from overcast.services.apigateway.invoke import endpoint as invoke_endpoint
from overcast.services.apigateway.patch import apply_patch
from overcast.services.apigateway.store import ApiGatewayStore

NO_BASE_PATH = "(none)"
DOMAIN_PATCH = {"certificateName": "str", "certificateArn": "str", "regionalCertificateName": "str",
                "regionalCertificateArn": "str", "securityPolicy": "str"}


def domain_view(domain: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in domain.items() if not k.startswith("_")}


class DomainOps:
    store: ApiGatewayStore

    def domain(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        return errors.require(self.store.get("domain", ctx.account_id, ctx.region, name),
                              "Invalid domain name identifier specified")

    async def create_domain_name(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = (params.get("domainName") or "").lower()
        if not name:
            raise errors.BadRequest("No domain name specified")
        if self.store.get("domain", ctx.account_id, ctx.region, name) is not None:
            raise errors.Conflict("The domain name you provided already exists.")
        endpoint = params.get("endpointConfiguration") or {"types": ["EDGE"]}
        regional = "REGIONAL" in (endpoint.get("types") or [])
        domain = compact({
            "domainName": name, "certificateName": params.get("certificateName"),
            "certificateArn": params.get("certificateArn"),
            "regionalCertificateName": params.get("regionalCertificateName"),
            "regionalCertificateArn": params.get("regionalCertificateArn"),
            "certificateUploadDate": now(), "endpointConfiguration": endpoint,
            "domainNameStatus": "AVAILABLE", "securityPolicy": params.get("securityPolicy") or "TLS_1_2",
            "tags": params.get("tags") or None, "_mappings": {},
            "regionalDomainName": f"d-{abs(hash(name)) % 10**10:010d}.execute-api.{ctx.region}.amazonaws.com"
            if regional else None,
            "distributionDomainName": None if regional else f"d{abs(hash(name)) % 10**12:012d}.cloudfront.net",
        })
        await self.store.put("domain", ctx.account_id, ctx.region, name, domain)
        invoke_endpoint.CUSTOM_HOSTS.add(name)
        return domain_view(domain)

    def get_domain_name(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return domain_view(self.domain(ctx, params["domainName"].lower()))

    def get_domain_names(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domains = sorted(self.store.list("domain", ctx.account_id, ctx.region), key=lambda d: d["domainName"])
        return page([domain_view(d) for d in domains], params)

    async def update_domain_name(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domain = dict(self.domain(ctx, params["domainName"].lower()))
        apply_patch(domain, params.get("patchOperations"), DOMAIN_PATCH)
        await self.store.put("domain", ctx.account_id, ctx.region, domain["domainName"], domain)
        return domain_view(domain)

    async def delete_domain_name(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domain = self.domain(ctx, params["domainName"].lower())
        await self.store.delete("domain", ctx.account_id, ctx.region, domain["domainName"])
        invoke_endpoint.CUSTOM_HOSTS.discard(domain["domainName"])
        return {}

    # -- base path mappings --------------------------------------------------------------------

    async def create_base_path_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domain = dict(self.domain(ctx, params["domainName"].lower()))
        base_path = (params.get("basePath") or "").strip("/") or NO_BASE_PATH
        api = self.store.get("restapi", ctx.account_id, ctx.region, params.get("restApiId") or "")
        if api is None:
            raise errors.BadRequest("Invalid REST API identifier specified")
        stage = params.get("stage")
        if stage and stage not in api["stages"]:
            raise errors.BadRequest("Invalid stage identifier specified")
        mappings = dict(domain.get("_mappings") or {})
        if base_path in mappings:
            raise errors.Conflict("Base path already exists for this domain name")
        mapping = compact({"basePath": base_path, "restApiId": params["restApiId"], "stage": stage})
        mappings[base_path] = mapping
        domain["_mappings"] = mappings
        await self.store.put("domain", ctx.account_id, ctx.region, domain["domainName"], domain)
        return mapping

    def _mapping(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        domain = self.domain(ctx, params["domainName"].lower())
        mapping = (domain.get("_mappings") or {}).get(params.get("basePath") or NO_BASE_PATH)
        if mapping is None:
            raise errors.NotFound("Invalid base path mapping identifier specified")
        return domain, mapping

    def get_base_path_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._mapping(ctx, params)[1]

    def get_base_path_mappings(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domain = self.domain(ctx, params["domainName"].lower())
        return page(list((domain.get("_mappings") or {}).values()), params)

    async def update_base_path_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domain, mapping = self._mapping(ctx, params)
        changed = dict(mapping)
        apply_patch(changed, params.get("patchOperations"), {"basePath": "str", "restApiId": "str", "stage": "str"})
        changed["basePath"] = (changed.get("basePath") or "").strip("/") or NO_BASE_PATH
        domain = dict(domain)
        mappings = {k: v for k, v in (domain.get("_mappings") or {}).items() if k != mapping["basePath"]}
        mappings[changed["basePath"]] = changed
        domain["_mappings"] = mappings
        await self.store.put("domain", ctx.account_id, ctx.region, domain["domainName"], domain)
        return changed

    async def delete_base_path_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domain, mapping = self._mapping(ctx, params)
        domain = dict(domain)
        domain["_mappings"] = {k: v for k, v in (domain.get("_mappings") or {}).items() if k != mapping["basePath"]}
        await self.store.put("domain", ctx.account_id, ctx.region, domain["domainName"], domain)
        return {}
