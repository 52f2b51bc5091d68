"""Resources: the path tree, with `{param}` and greedy `{proxy+}` path parts."""

from __future__ import annotations

import copy
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, page
from overcast.services.apigateway.patch import apply_patch, check_ops, check_replace_only
from overcast.services.apigateway.store import new_id

_PATH_PART = re.compile(r"^(?:[A-Za-z0-9._:\-@~$&'()*,;=]+|\{[A-Za-z0-9._-]+\+?\})$")


def is_variable(part: str) -> bool:
    return part.startswith("{") and part.endswith("}")


def resource_view(resource: dict[str, Any], embed: bool) -> dict[str, Any]:
    out = {k: v for k, v in resource.items() if k != "resourceMethods"}
    methods = resource.get("resourceMethods") or {}
    if methods:
        out["resourceMethods"] = methods if embed else {m: {} for m in methods}
    return out


class ResourceOps(ApiOps):
    def _check_path_part(self, doc: dict[str, Any], parent: dict[str, Any], part: str, own_id: str | None) -> None:
        if not _PATH_PART.match(part or ""):
            raise errors.BadRequest(
                "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
                "and an optional plus sign before the closing brace.")
        if parent.get("pathPart", "").endswith("+}"):
            raise errors.BadRequest(
                f"Cannot create a child of a resource with a greedy path variable: {parent['path']}")
        for sibling in doc["resources"].values():
            if sibling.get("parentId") != parent["id"] or sibling["id"] == own_id:
                continue
            if sibling["pathPart"] == part:
                raise errors.Conflict(f"Another resource with the same parent already has this name: {part}")
            if is_variable(part) and is_variable(sibling["pathPart"]):
                raise errors.BadRequest(
                    f"A sibling ({sibling['pathPart']}) of this resource already has a variable path part -- "
                    "only one is allowed")

    async def create_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        parent = self.resource(doc, params["parentId"])
        part = params.get("pathPart") or ""
        self._check_path_part(doc, parent, part, None)
        path = parent["path"].rstrip("/") + "/" + part
        resource = {"id": new_id(6), "parentId": parent["id"], "pathPart": part, "path": path, "resourceMethods": {}}
        doc["resources"][resource["id"]] = resource
        await self.save(ctx, doc)
        return resource_view(resource, False)

    def get_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        return resource_view(self.resource(doc, params["resourceId"]), "methods" in (params.get("embed") or []))

    def get_resources(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        embed = "methods" in (params.get("embed") or [])
        items = [resource_view(r, embed) for r in sorted(doc["resources"].values(), key=lambda r: r["path"])]
        return page(items, params)

    async def update_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        resource = self.resource(doc, params["resourceId"])
        operations = params.get("patchOperations")
        check_ops(operations, "updateResourceInput")
        check_replace_only(operations, ["/parentId", "/pathPart"])
        if "parentId" not in resource:
            field = (operations or [{}])[0].get("path", "/pathPart").lstrip("/")
            raise errors.BadRequest(f"Root resource cannot update its {field}.")
        changed = copy.deepcopy(resource)
        apply_patch(changed, operations, {"pathPart": "str", "parentId": "str"})
        parent = self.resource(doc, changed["parentId"])
        ancestor: dict[str, Any] | None = parent
        while ancestor is not None:  # a resource cannot move under itself
            if ancestor["id"] == resource["id"]:
                raise errors.BadRequest("Resources cannot be cyclical.")
            ancestor = doc["resources"].get(ancestor.get("parentId") or "")
        self._check_path_part(doc, parent, changed["pathPart"], resource["id"])
        doc["resources"][resource["id"]] = changed
        self._repath(doc)
        await self.save(ctx, doc)
        return resource_view(changed, False)

    def _repath(self, doc: dict[str, Any]) -> None:
        resources = doc["resources"]

        def path_of(resource: dict[str, Any]) -> str:
            if "parentId" not in resource:
                return "/"
            return path_of(resources[resource["parentId"]]).rstrip("/") + "/" + resource["pathPart"]

        for resource in resources.values():
            resource["path"] = path_of(resource)

    async def delete_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        resource = self.resource(doc, params["resourceId"])
        if "parentId" not in resource:
            raise errors.BadRequest("Cannot delete the root resource of an API")
        doomed = {resource["id"]}
        grew = True
        while grew:
            before = len(doomed)
            doomed |= {r["id"] for r in doc["resources"].values() if r.get("parentId") in doomed}
            grew = len(doomed) != before
        for resource_id in doomed:
            doc["resources"].pop(resource_id, None)
        await self.save(ctx, doc)
        return {}
