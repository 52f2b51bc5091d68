"""PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions, DeleteLayerVersion,
and unpacking a function's layers (what AWS puts under /opt) for its environments."""

from __future__ import annotations

import copy
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.code import check_zip, store_zip
from overcast.services.lambda_.common import LambdaBase, now_iso
from overcast.services.lambda_.errors import InvalidParameterValue, ResourceNotFound
from overcast.services.lambda_.layer_policies import layer_shared_with, not_shared
from overcast.services.lambda_.models import CodeInfo, LayerVersion
from overcast.services.lambda_.versions import paginate

_LAYER_VERSION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):(\d+)$")
_LAYER_ACCOUNT = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:(\d{12}):layer:")
_LAYER_NAME = re.compile(r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:)?([a-zA-Z0-9-_]{1,140})$")


class LayerOps(LambdaBase):
    _code_bytes: Any  # FunctionOps._code_bytes

    def _layer_name(self, value: str) -> str:
        match = _LAYER_NAME.match(value or "")
        if match is None:
            raise InvalidParameterValue(f"Invalid layer name: {value}")
        return match.group(1)

    def _layer(self, ctx: RequestContext, name: str, version: int, account: str | None = None) -> LayerVersion:
        """A layer version of the caller's account, or of `account` (an ARN's) when the caller may
        use it: another account's version that is not shared with the caller (or is not there)
        is refused as AWS refuses it, without saying which."""
        owner = account or ctx.account_id
        layer = self.store.layers.get((owner, ctx.region, name), {}).get(int(version))
        if owner != ctx.account_id and (layer is None or not layer_shared_with(layer, ctx.account_id)):
            raise not_shared(ctx.account_id, f"arn:aws:lambda:{ctx.region}:{owner}:layer:{name}:{version}")
        if layer is None:
            raise ResourceNotFound("The resource you requested does not exist.")
        return layer

    @staticmethod
    def _out(layer: LayerVersion, with_content: bool = True) -> dict[str, Any]:
        doc = copy.deepcopy(layer.doc)
        code = doc.pop("code")
        doc.pop("policy", None)
        if not with_content:
            doc.pop("Content", None)
            doc.pop("LayerArn", None)
        else:
            doc["Content"] = {"Location": doc.pop("_location", ""), "CodeSha256": code["sha256"],
                              "CodeSize": code["size"]}
        doc.pop("_location", None)
        return doc

    async def publish_layer_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = self._layer_name(params["LayerName"])
        data = await self._code_bytes(ctx, params.get("Content") or {}, "PublishLayerVersion")
        check_zip(data)
        code = await store_zip(self.blobs, data)
        number = self.store.next_layer_version(ctx.account_id, ctx.region, name)
        layer_arn = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:layer:{name}"
        doc: dict[str, Any] = {
            "LayerArn": layer_arn, "LayerVersionArn": f"{layer_arn}:{number}",
            "Description": params.get("Description") or "", "CreatedDate": now_iso(), "Version": number,
            "code": code.to_doc(), "_location": self.code_location(code.blob_id),
        }
        for key in ("CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
            if params.get(key):
                doc[key] = copy.deepcopy(params[key])
        layer = LayerVersion(ctx.account_id, ctx.region, name, number, doc)
        await self.store.put_layer(layer)
        return self._out(layer)

    async def get_layer_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_version_number(params["VersionNumber"])
        account = _LAYER_ACCOUNT.match(params["LayerName"] or "")
        return self._out(self._layer(ctx, self._layer_name(params["LayerName"]), params["VersionNumber"],
                                     account=account.group(1) if account else None))

    async def get_layer_version_by_arn(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        match = _LAYER_VERSION_ARN.match(params.get("Arn") or "")
        if match is None:
            raise InvalidParameterValue(f"Invalid layer version ARN: {params.get('Arn')}")
        if match.group(1) != ctx.region:
            raise ResourceNotFound("The resource you requested does not exist.")
        # The version the ARN names, in its own account (not the caller's layer of that name).
        return self._out(self._layer(ctx, match.group(3), int(match.group(4)), account=match.group(2)))

    async def list_layer_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = self._layer_name(params["LayerName"])
        versions = self.store.layers.get((ctx.account_id, ctx.region, name), {})
        runtime = params.get("CompatibleRuntime")
        items = [self._out(versions[n], with_content=False) for n in sorted(versions, reverse=True)
                 if runtime is None or runtime in versions[n].doc.get("CompatibleRuntimes", [])]
        return paginate(items, params, "LayerVersions", max_items_limit=50)

    async def list_layers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        items = []
        for (account, region, name), versions in sorted(self.store.layers.items()):
            if (account, region) != (ctx.account_id, ctx.region) or not versions:
                continue
            newest = versions[max(versions)]
            items.append({"LayerName": name, "LayerArn": newest.arn,
                          "LatestMatchingVersion": self._out(newest, with_content=False)})
        return paginate(items, params, "Layers", max_items_limit=50)

    async def delete_layer_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_version_number(params["VersionNumber"])
        name = self._layer_name(params["LayerName"])
        layer = self.store.layers.get((ctx.account_id, ctx.region, name), {}).get(int(params["VersionNumber"]))
        if layer is not None:
            await self.store.delete_layer(layer)
            self.release_blob(layer.doc["code"]["blob_id"])  # unless a function still uses it
        return {}

    # -- used by functions --------------------------------------------------------------------

    def resolve_layer_arn(self, ctx: RequestContext, arn: str) -> dict[str, Any]:
        match = _LAYER_VERSION_ARN.match(arn)
        layer = None
        if match is not None:
            region, account, name, number = match.groups()
            layer = self.store.layers.get((account, region, name), {}).get(int(number))
        if layer is None:
            raise InvalidParameterValue(f"Layer version {arn} does not exist.")
        if not layer_shared_with(layer, ctx.account_id):
            raise not_shared(ctx.account_id, arn)
        return {"Arn": arn, "CodeSize": layer.doc["code"]["size"]}

    async def layer_dirs_for(self, config: dict[str, Any]) -> list[str]:
        dirs = []
        for entry in config.get("Layers") or []:
            match = _LAYER_VERSION_ARN.match(entry["Arn"])
            if match is None:
                continue
            region, account, name, number = match.groups()
            layer = self.store.layer_in_use(account, region, name, int(number))
            if layer is not None:
                dirs.append(await self.codes.ensure(CodeInfo(**layer.doc["code"])))
        return dirs


def _check_version_number(number: int) -> None:
    """LocalStack's AWS-validated test_layer_exceptions: version 0 or below is refused, not missing."""
    if number < 1:
        raise InvalidParameterValue("Layer Version Cannot be less than 1")
