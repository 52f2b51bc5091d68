"""VPC links (REST APIs): a named route to Network Load Balancers for VPC_LINK integrations.

There is no network to provision here, so a link is ready at once; but the answer to CreateVpcLink
says PENDING, as AWS's does while it provisions, and every later read says AVAILABLE, so tools
that wait for AVAILABLE (Terraform's aws_api_gateway_vpc_link, CloudFormation) see the states
they expect.
"""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import compact, page
from overcast.services.apigateway.patch import apply_patch, check_ops
from overcast.services.apigateway.store import ApiGatewayStore, new_id

PENDING = {"status": "PENDING", "statusMessage": "VPC link is provisioning ENIs"}
AVAILABLE = {"status": "AVAILABLE", "statusMessage": "Your vpc link is ready for use"}


def vpc_link_not_found() -> errors.NotFound:
    return errors.NotFound("Invalid VPC Link identifier specified")


def link_view(link: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in link.items() if not k.startswith("_")}


class VpcLinkOps:
    store: ApiGatewayStore

    def vpc_link(self, ctx: RequestContext, link_id: str) -> dict[str, Any]:
        return errors.require(self.store.get("vpclink", ctx.account_id, ctx.region, link_id), vpc_link_not_found)

    async def create_vpc_link(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("name"):
            raise errors.BadRequest("VPC link name must be non-empty")
        if not params.get("targetArns"):
            raise errors.BadRequest("VPC link targetArns must be non-empty")
        if len(params["targetArns"]) > 1:
            # A REST API's VPC link reaches one Network Load Balancer (AWS's answer, quoted in
            # hashicorp/terraform-provider-aws#2512).
            raise errors.BadRequest("More than one target arn specified for vpc link.")
        link = compact({"id": new_id(6), "name": params["name"], "description": params.get("description"),
                        "targetArns": list(params["targetArns"]), "tags": params.get("tags") or None, **AVAILABLE})
        await self.store.put("vpclink", ctx.account_id, ctx.region, link["id"], link)
        return {**link_view(link), **PENDING}

    def get_vpc_link(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return link_view(self.vpc_link(ctx, params["vpcLinkId"]))

    def get_vpc_links(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        links = sorted(self.store.list("vpclink", ctx.account_id, ctx.region), key=lambda link: link["id"])
        return page([link_view(link) for link in links], params)

    async def update_vpc_link(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        link = dict(self.vpc_link(ctx, params["vpcLinkId"]))
        check_ops(params.get("patchOperations"), "updateVpcLinkInput")
        if any(str(op.get("path") or "").startswith("/targetArns") for op in params.get("patchOperations") or []):
            # AWS's answer (quoted in hashicorp/terraform-provider-aws#2512).
            raise errors.BadRequest("Target arns are not allowed to be changed/added.")
        apply_patch(link, params.get("patchOperations"), {"name": "str", "description": "str"})
        if not link.get("name"):
            raise errors.BadRequest("VPC link name must be non-empty")
        await self.store.put("vpclink", ctx.account_id, ctx.region, link["id"], link)
        return link_view(link)

    async def delete_vpc_link(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        link = self.vpc_link(ctx, params["vpcLinkId"])
        references = self._deployed_references(ctx, link["id"])
        if references:
            # AWS's answer while a stage serves an integration through the link (quoted in
            # klothoplatform/klotho#202; the older form, without the API id, in hashicorp/terraform#18392).
            raise errors.BadRequest(f"Cannot delete vpc link. Vpc link '{link['id']}', is referenced in "
                                    f"[{', '.join(references)}] in format of [RESTApiId:Method:Resource:Stage].")
        await self.store.delete("vpclink", ctx.account_id, ctx.region, link["id"])
        return {}

    def _deployed_references(self, ctx: RequestContext, link_id: str) -> list[str]:
        """RESTApiId:Method:Resource:Stage of each deployed integration that goes through the link
        (its connectionId naming it, directly or through the stage's variables)."""
        references: list[str] = []
        for doc in self.store.list("restapi", ctx.account_id, ctx.region):
            deployments = doc.get("deployments") or {}
            for stage_name, stage in (doc.get("stages") or {}).items():
                variables = stage.get("variables") or {}
                for deployment_id in (stage.get("deploymentId"), (stage.get("canarySettings") or {}).get("deploymentId")):
                    deployment = deployments.get(deployment_id) if deployment_id else None
                    if deployment is None:
                        continue
                    for resource_id, resource in sorted(deployment["snapshot"]["resources"].items()):
                        for verb, method in (resource.get("resourceMethods") or {}).items():
                            integration = method.get("methodIntegration") or {}
                            if (integration.get("connectionType") == "VPC_LINK"
                                    and _with_variables(integration.get("connectionId") or "", variables) == link_id):
                                reference = f"{doc['api']['id']}:{verb}:{resource_id}:{stage_name}"
                                if reference not in references:
                                    references.append(reference)
        return references


def _with_variables(text: str, variables: dict[str, str]) -> str:
    """A connectionId such as ${stageVariables.vpcLinkId}, as the stage resolves it."""
    for name, value in variables.items():
        text = text.replace("${stageVariables." + name + "}", value)
    return text
