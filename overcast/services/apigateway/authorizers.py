"""Authorizers: Lambda TOKEN and REQUEST, and Cognito user pools."""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, page
from overcast.services.apigateway.patch import apply_patch
from overcast.services.apigateway.store import new_id

AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
AUTHORIZER_PATCH = {
    "name": "str", "type": "str", "authType": "str", "authorizerUri": "str", "authorizerCredentials": "str",
    "identitySource": "str", "identityValidationExpression": "str", "authorizerResultTtlInSeconds": "int",
    "providerARNs": ("list", "str"),
}


def check_authorizer(authorizer: dict[str, Any]) -> None:
    kind = authorizer.get("type")
    if kind not in AUTHORIZER_TYPES:
        raise errors.BadRequest(f"Invalid authorizer type specified: {kind}")
    if kind == "COGNITO_USER_POOLS":
        if not authorizer.get("providerARNs"):
            raise errors.BadRequest("ProviderARNs need to be specified for the COGNITO_USER_POOLS authorizer")
    elif not authorizer.get("authorizerUri"):
        raise errors.BadRequest(f"Authorizer URI must be specified for the {kind} authorizer")
    if kind == "TOKEN" and not (authorizer.get("identitySource") or "").startswith("method.request.header."):
        raise errors.BadRequest("Identity source for a TOKEN authorizer must be a request header, as "
                                "'method.request.header.<name>'")
    ttl = authorizer.get("authorizerResultTtlInSeconds", 300)
    if not 0 <= ttl <= 3600:
        raise errors.BadRequest("Authorizer result TTL must be between 0 and 3600 seconds")


class AuthorizerOps(ApiOps):
    async def create_authorizer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # AWS answers CreateAuthorizer on an unknown API with this 409, not a 404.
        doc = errors.require(self.store.get("restapi", ctx.account_id, ctx.region, params["restApiId"]),
                             lambda: errors.Conflict("Unable to complete operation due to concurrent modification. "
                                                     "Please try again later."))
        authorizer = compact({
            "id": new_id(6), "name": params.get("name"), "type": params.get("type"),
            "providerARNs": params.get("providerARNs"), "authType": params.get("authType"),
            "authorizerUri": params.get("authorizerUri"), "authorizerCredentials": params.get("authorizerCredentials"),
            "identitySource": params.get("identitySource") or (
                "method.request.header.Authorization" if params.get("type") != "REQUEST" else None),
            "identityValidationExpression": params.get("identityValidationExpression"),
            "authorizerResultTtlInSeconds": params.get("authorizerResultTtlInSeconds", 300),
        })
        check_authorizer(authorizer)
        doc["authorizers"][authorizer["id"]] = authorizer
        await self.save(ctx, doc)
        return authorizer

    def _authorizer(self, doc: dict[str, Any], authorizer_id: str) -> dict[str, Any]:
        return errors.require(doc["authorizers"].get(authorizer_id), "Invalid Authorizer identifier specified")

    def get_authorizer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._authorizer(self.api(ctx, params["restApiId"]), params["authorizerId"])

    def get_authorizers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return page(list(self.api(ctx, params["restApiId"])["authorizers"].values()), params)

    async def update_authorizer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        authorizer = dict(self._authorizer(doc, params["authorizerId"]))
        apply_patch(authorizer, params.get("patchOperations"), AUTHORIZER_PATCH)
        check_authorizer(authorizer)
        doc["authorizers"][authorizer["id"]] = authorizer
        await self.save(ctx, doc)
        return authorizer

    async def delete_authorizer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        authorizer = self._authorizer(doc, params["authorizerId"])
        for resource in doc["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if method.get("authorizerId") == authorizer["id"]:
                    raise errors.Conflict("Cannot delete authorizer, is referenced in method: "
                                          f"{resource['path']}/{method['httpMethod']}")
        del doc["authorizers"][authorizer["id"]]
        await self.save(ctx, doc)
        return {}
