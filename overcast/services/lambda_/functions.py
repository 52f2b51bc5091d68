"""CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, DeleteFunction,
UpdateFunctionCode and UpdateFunctionConfiguration."""

from __future__ import annotations

import base64
import copy
from typing import Any
from urllib.parse import quote

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.internal import read_body
from overcast.services.lambda_ import validation as v
from overcast.services.lambda_.code import check_zip, store_zip
from overcast.services.lambda_.common import LATEST, LambdaBase, new_revision, now_iso
from overcast.services.lambda_.errors import (
    InvalidParameterValue,
    ResourceConflict,
)
from overcast.services.lambda_.models import CodeInfo, FunctionRecord
from overcast.services.lambda_.runtime_management import check_runtime_change
from overcast.services.lambda_.settings import check_tag_count
from overcast.services.lambda_.versions import STATE_FIELDS

DEFAULT_PAGE = 50
MAX_LAYERS = 5


class FunctionOps(LambdaBase):
    reconcile_provisioned: Any  # ProvisionedConcurrencyOps.reconcile_provisioned
    forget_provisioned: Any  # ProvisionedConcurrencyOps.forget_provisioned
    check_code_signature: Any  # CodeSigningOps.check_code_signature

    # -- code ---------------------------------------------------------------------------------

    async def _code_bytes(self, ctx: RequestContext, params: dict[str, Any], operation: str) -> bytes:
        data = params.get("ZipFile")
        if data is not None:
            if isinstance(data, str):
                data = base64.b64decode(data)
            v.check_zip_size(data, operation)
            return data
        bucket, key = params.get("S3Bucket"), params.get("S3Key")
        if bucket and key:
            return await self._code_from_s3(ctx, bucket, key, params.get("S3ObjectVersion"))
        if params.get("ImageUri"):
            raise InvalidParameterValue("Overcast runs zip packages only; container images are not supported.")
        raise InvalidParameterValue("Please provide a source for function code.")

    async def _code_from_s3(self, ctx: RequestContext, bucket: str, key: str, version: str | None) -> bytes:
        request = {"Bucket": bucket, "Key": key}
        if version:
            request["VersionId"] = version
        try:
            out = await self.runtime.internal.call("s3", "GetObject", request, account_id=ctx.account_id,
                                                   region=ctx.region)
        except ServiceError as e:
            raise InvalidParameterValue(f"Error occurred while GetObject. S3 Error Code: {e.code}. "
                                        f"S3 Error Message: {e.message}") from None
        return await read_body(out.get("Body"))

    async def _new_code(self, ctx: RequestContext, params: dict[str, Any], operation: str) -> CodeInfo:
        data = await self._code_bytes(ctx, params, operation)
        check_zip(data)
        code = await store_zip(self.blobs, data)
        await self.codes.ensure(code)
        return code

    # -- configuration ------------------------------------------------------------------------

    def _layers_out(self, ctx: RequestContext, arns: list[str]) -> list[dict[str, Any]]:
        resolve = getattr(self, "resolve_layer_arn", None)
        return [resolve(ctx, arn) if resolve else {"Arn": arn, "CodeSize": 0} for arn in arns]

    def _check_layers(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        """Before anything is stored or changed: a function's layers, as Lambda refuses them
        (wording as recorded against AWS in LocalStack's tests)."""
        arns = params.get("Layers")
        if not arns:
            return
        if len(arns) > MAX_LAYERS:
            raise InvalidParameterValue(f"Cannot reference more than {MAX_LAYERS} layers.")
        seen: dict[str, str] = {}
        for arn in arns:
            parts = arn.split(":")
            if len(parts) > 3 and parts[3] and parts[3] != ctx.region:  # test_layer_function_exceptions
                raise InvalidParameterValue("Layers are not in the same region as the function. "
                                            f"Layers are expected to be in region {ctx.region}.")
            self._layers_out(ctx, [arn])  # raises for a layer version that does not exist
            layer = arn.rsplit(":", 1)[0]
            if layer in seen:
                raise InvalidParameterValue(
                    "Two different versions of the same layer are not allowed to be referenced in the same "
                    f"function. {seen[layer]} and {arn} are versions of the same layer.")
            seen[layer] = arn

    def _validate_config(self, params: dict[str, Any]) -> None:
        v.check_handler(params.get("Handler"))
        v.check_memory(params.get("MemorySize"))
        v.check_timeout(params.get("Timeout"))
        v.check_ephemeral(params.get("EphemeralStorage"))
        v.check_environment(params.get("Environment"))
        v.check_description(params.get("Description"))
        v.check_tracing(params.get("TracingConfig"))
        v.check_architectures(params.get("Architectures"))
        if "Role" in params:
            v.check_role(params.get("Role"))
        if params.get("Runtime") is not None:
            v.check_runtime(params["Runtime"], params.get("Handler") or "x", "Zip")

    def _apply_config(self, ctx: RequestContext, config: dict[str, Any], params: dict[str, Any]) -> None:
        for key in ("Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime", "KMSKeyArn"):
            if key in params and params[key] is not None:
                config[key] = params[key]
        if params.get("Environment") is not None:
            config["Environment"] = {"Variables": dict(params["Environment"].get("Variables") or {})}
        if params.get("EphemeralStorage"):
            config["EphemeralStorage"] = {"Size": params["EphemeralStorage"]["Size"]}
        if params.get("TracingConfig"):
            config["TracingConfig"] = {"Mode": params["TracingConfig"].get("Mode", "PassThrough")}
        if params.get("DeadLetterConfig") is not None:
            target = params["DeadLetterConfig"].get("TargetArn")
            if target:
                config["DeadLetterConfig"] = {"TargetArn": target}
            else:
                config.pop("DeadLetterConfig", None)
        if params.get("Layers") is not None:
            config["Layers"] = self._layers_out(ctx, list(params["Layers"]))
        if params.get("VpcConfig") is not None:
            vpc = params["VpcConfig"]
            config["VpcConfig"] = {"SubnetIds": vpc.get("SubnetIds", []),
                                   "SecurityGroupIds": vpc.get("SecurityGroupIds", []), "VpcId": ""}
        if params.get("LoggingConfig"):
            logging_config = dict(config.get("LoggingConfig") or {})
            logging_config.update(params["LoggingConfig"])
            config["LoggingConfig"] = logging_config
        if params.get("Architectures"):
            config["Architectures"] = list(params["Architectures"])

    # -- operations ---------------------------------------------------------------------------

    async def create_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("FunctionName", "")
        v.check_function_name_for_create(name)
        ref = v.parse_function_ref(name)
        name = ref.name
        package_type = params.get("PackageType") or "Zip"
        v.check_package_type(package_type)
        v.check_role(params.get("Role"))
        v.check_runtime(params.get("Runtime"), params.get("Handler"), package_type)
        self._validate_config(params)
        check_tag_count(params.get("Tags") or {})
        if self.store.get(ctx.account_id, ctx.region, name) is not None:
            raise ResourceConflict(f"Function already exist: {name}")
        self._check_layers(ctx, params)
        # The configuration must exist, and under Enforce unsigned code is refused (code_signing.py).
        self.check_code_signature(ctx, params.get("CodeSigningConfigArn") or "", name)
        code = await self._new_code(ctx, params.get("Code") or {}, "CreateFunction")
        if self.store.get(ctx.account_id, ctx.region, name) is not None:
            raise ResourceConflict(f"Function already exist: {name}")
        config: dict[str, Any] = {
            "FunctionName": name,
            "FunctionArn": self.function_arn(ctx, name),
            "Runtime": params["Runtime"],
            "Role": params["Role"],
            "Handler": params["Handler"],
            "CodeSize": code.size,
            "Description": params.get("Description") or "",
            "Timeout": params.get("Timeout") or 3,
            "MemorySize": params.get("MemorySize") or 128,
            "LastModified": now_iso(),
            "CodeSha256": code.sha256,
            "Version": LATEST,
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": new_revision(),
            "PackageType": package_type,
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "RuntimeVersionConfig": {"RuntimeVersionArn": f"arn:aws:lambda:{ctx.region}::runtime:overcast"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
        }
        self._apply_config(ctx, config, params)
        record = FunctionRecord(ctx.account_id, ctx.region, name, config, code, tags=dict(params.get("Tags") or {}),
                                code_signing_config_arn=params.get("CodeSigningConfigArn") or "")
        if params.get("Publish"):
            self.publish(record, params.get("Description") or "")
        await self.store.put(record)
        self.launcher.prewarm(config["Runtime"])
        out = self.configuration(record, record.versions and str(record.next_version - 1) or LATEST)
        # Published at creation: version 1's configuration under the function's own ARN
        # (LocalStack's AWS-validated test_publish_version_on_create).
        out["FunctionArn"] = record.arn
        out.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
        out.pop("LastUpdateStatus", None)
        return out

    def publish(self, record: FunctionRecord, description: str) -> str:
        """Snapshot $LATEST as the next version (callers persist the record)."""
        version = str(record.next_version)
        record.next_version += 1
        config = copy.deepcopy(record.config)
        config.update(Version=version, FunctionArn=f"{record.arn}:{version}", RevisionId=new_revision(),
                      Description=description or record.config.get("Description", ""),
                      LastModified=now_iso())
        # The function's own description when published: a version's Description may be PublishVersion's,
        # so this is what tells whether $LATEST's description changed since.
        record.versions[version] = {"config": config, "code": record.code.to_doc(),
                                    "latest_description": record.config.get("Description", "")}
        return version

    async def get_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        version = self.resolve_version(record, qualifier)
        _, code = self.version_doc(record, version)
        out: dict[str, Any] = {
            "Configuration": self.qualified_configuration(record, version, qualifier),
            "Code": {"RepositoryType": "S3", "Location": self.code_location(code["blob_id"])},
        }
        if record.tags:
            out["Tags"] = dict(record.tags)
        if record.reserved_concurrency is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": record.reserved_concurrency}
        return out

    def code_location(self, blob_id: str) -> str:
        return f"{self.config.endpoint_url}/_overcast/lambda/code/{quote(blob_id, safe='')}"

    async def get_function_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        return self.qualified_configuration(record, self.resolve_version(record, qualifier), qualifier)

    def qualified_configuration(self, record: FunctionRecord, version: str, qualifier: str | None) -> dict[str, Any]:
        """A configuration asked for by qualifier names the function as it was asked for: an alias's
        answer is its version's configuration with the alias's ARN, and $LATEST's is qualified too
        (as recorded against AWS in LocalStack's snapshot tests)."""
        out = self.configuration(record, version)
        if qualifier:
            out["FunctionArn"] = f"{record.arn}:{qualifier}"
        return out

    async def list_functions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        function_version = params.get("FunctionVersion")
        if function_version is not None and function_version != "ALL":
            raise v.validation_error(function_version, "functionVersion", "Member must satisfy enum value set: [ALL]")
        v.check_max_items(params.get("MaxItems"))
        all_versions = function_version == "ALL"
        items: list[dict[str, Any]] = []
        for record in self.store.functions_in(ctx.account_id, ctx.region):
            if all_versions:
                # Listing every version names $LATEST by its qualified ARN, as the versions are.
                latest = self.configuration(record, LATEST)
                latest["FunctionArn"] = f"{record.arn}:{LATEST}"
                items.append(latest)
                items.extend(self.configuration(record, version)
                             for version in sorted(record.versions, key=int))
            else:
                items.append(self.configuration(record, LATEST))
        start = 0
        marker = params.get("Marker")
        if marker:
            try:
                start = int(base64.urlsafe_b64decode(marker.encode()).decode())
            except (ValueError, UnicodeDecodeError):
                raise InvalidParameterValue("Invalid marker.") from None
        size = min(params.get("MaxItems") or DEFAULT_PAGE, v.MAX_PAGE)
        page = items[start:start + size]
        for item in page:
            # ListFunctions returns a subset of the configuration (GetFunction has the rest).
            for key in STATE_FIELDS:
                item.pop(key, None)
        out: dict[str, Any] = {"Functions": page}
        if start + size < len(items):
            out["NextMarker"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return out

    async def delete_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        if qualifier == LATEST:
            raise InvalidParameterValue("$LATEST version cannot be deleted without deleting the function.")
        if qualifier:
            if qualifier not in record.versions:
                return {}  # nothing to delete, and no error (LocalStack's AWS-validated test_delete_on_nonexisting_version)
            users = [name for name, alias in record.aliases.items()
                     if alias["FunctionVersion"] == qualifier
                     or qualifier in ((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})]
            if users:
                raise ResourceConflict(f"Unable to delete version because the following aliases reference it: "
                                       f"[{', '.join(users)}]")
            removed = record.versions.pop(qualifier)
            record.event_invoke_configs.pop(qualifier, None)
            record.provisioned_concurrency.pop(qualifier, None)
            await self.store.put(record)
            self.reconcile_provisioned(record)
            self.release_blob(removed["code"]["blob_id"])
            self.release_deleted_layers()
            self.pool.retire(record.account, record.region, record.name, qualifier)
            return {}
        await self.store.delete(record)
        self.pool.retire(record.account, record.region, record.name)
        self.forget_provisioned(record.account, record.region, record.name)
        for blob_id in {record.code.blob_id, *(entry["code"]["blob_id"] for entry in record.versions.values())}:
            self.release_blob(blob_id)
        self.release_deleted_layers()
        return {}

    async def update_function_code(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        self.check_revision(record, params.get("RevisionId"))
        v.check_architectures(params.get("Architectures"))
        self.check_code_signature(ctx, record.code_signing_config_arn, record.name)
        code = await self._new_code(ctx, params, "UpdateFunctionCode")
        if params.get("DryRun"):
            out = self.configuration(record)
            out.update(CodeSha256=code.sha256, CodeSize=code.size)
            return out
        replaced = record.code
        record.code = code
        record.config.update(CodeSha256=code.sha256, CodeSize=code.size, LastModified=now_iso(),
                             RevisionId=new_revision())
        if params.get("Architectures"):
            record.config["Architectures"] = list(params["Architectures"])
        version = self.publish(record, "") if params.get("Publish") else LATEST
        await self.store.put(record)
        self.release_blob(replaced.blob_id)
        self.pool.retire(record.account, record.region, record.name, LATEST)
        out = self.configuration(record, version)
        if version == LATEST:
            out.update(LastUpdateStatus="InProgress", LastUpdateStatusReason="The function is being created.",
                       LastUpdateStatusReasonCode="Creating")
        return out

    async def update_function_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        self.check_revision(record, params.get("RevisionId"))
        self._validate_config(params)
        check_runtime_change(record, params.get("Runtime"))
        if params.get("Runtime") or params.get("Handler"):
            v.check_runtime(params.get("Runtime") or record.config["Runtime"],
                            params.get("Handler") or record.config["Handler"], "Zip")
        # Everything is checked before $LATEST is touched: the record in memory is the live one.
        self._check_layers(ctx, params)
        self._apply_config(ctx, record.config, params)
        record.config.update(LastModified=now_iso(), RevisionId=new_revision())
        await self.store.put(record)
        if params.get("Layers") is not None:
            self.release_deleted_layers()  # one it stopped using may now be needed by nobody
        self.pool.retire(record.account, record.region, record.name, LATEST)
        self.launcher.prewarm(record.config["Runtime"])
        out = self.configuration(record)
        out.update(LastUpdateStatus="InProgress", LastUpdateStatusReason="The function is being created.",
                   LastUpdateStatusReasonCode="Creating")
        return out
