"""Invoke (RequestResponse, DryRun; Event is handed to the asynchronous queue) and the bridge
from a function's stored configuration to the data plane's FunctionSpec."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.errors import (
    InvalidRequestContent,
    RequestTooLarge,
    ResourceNotFound,
    TooManyRequests,
)
from overcast.services.lambda_.models import CodeInfo, FunctionRecord
from overcast.services.lambda_.payload_errors import non_standard_token, payload_error
from overcast.services.lambda_.runtime.environment import TAIL_BYTES
from overcast.services.lambda_.runtime.invocation import Invocation, InvokeResult
from overcast.services.lambda_.runtime.launcher import RuntimeUnavailable
from overcast.services.lambda_.runtime.pool import Throttled
from overcast.services.lambda_.runtime.spec import FunctionSpec
from overcast.services.lambda_.validation import (
    INVOCATION_TYPES,
    MAX_ASYNC_PAYLOAD,
    MAX_SYNC_PAYLOAD,
    check_invocation_type,
    parse_function_ref,
    runtime_family,
)


class InvalidRuntime(ServiceError):
    code = "InvalidRuntimeException"
    status = 502


def log_result(tail: str) -> str:
    """X-Amz-Log-Result: the last 4 KB of the invocation's log, base64."""
    return base64.b64encode(tail.encode("utf-8", "replace")[-TAIL_BYTES:]).decode()


def new_trace_id() -> str:
    """An X-Ray trace header: Root=1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>."""
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Sampled=0"


def check_payload(payload: bytes) -> None:
    if not payload:
        return
    try:
        json.loads(payload, parse_constant=_refuse_non_numeric)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidRequestContent(payload_error(payload, str(e))) from None
    except RecursionError:
        pass  # nested past Python's stack, not proven malformed: Lambda's parser has no depth limit


def _refuse_non_numeric(name: str) -> Any:
    # Python reads NaN and Infinity; Lambda's parser refuses them.
    raise ValueError(non_standard_token(name))


class InvokeOps(LambdaBase):
    _specs: dict[tuple, FunctionSpec]
    on_demand_limit: Any  # ProvisionedConcurrencyOps.on_demand_limit

    async def spec_for(self, record: FunctionRecord, version: str) -> FunctionSpec:
        # Every invoke comes here: a cached spec is found from the configuration alone.
        config = record.config if version == LATEST else record.versions[version]["config"]
        key = (record.account, record.region, record.name, version, config["RevisionId"])
        spec = self._specs.get(key)
        if spec is not None:
            return spec
        config, code_doc = self.version_doc(record, version)
        runtime = config.get("Runtime") or ""
        if not runtime_family(runtime):
            raise InvalidRuntime(f"Overcast cannot run {runtime} functions; it runs python, nodejs, java "
                                 f"and provided runtimes.")
        code_dir = await self.codes.ensure(CodeInfo(**code_doc))
        layer_dirs = await self.layer_dirs_for(config) if hasattr(self, "layer_dirs_for") else ()
        access_key, secret_key = next(iter(self.config.credential_map.items()), ("test", "test"))
        spec = FunctionSpec(
            function_name=record.name, function_arn=record.arn, version=version, runtime=runtime,
            handler=config.get("Handler") or "", code_dir=code_dir, memory_mb=config.get("MemorySize", 128),
            timeout_s=config.get("Timeout", 3), region=record.region, account_id=record.account,
            endpoint_url=self.config.endpoint_url, revision=f"{config['RevisionId']}/{code_doc['sha256']}",
            layer_dirs=tuple(layer_dirs),
            environment=tuple(sorted(((config.get("Environment") or {}).get("Variables") or {}).items())),
            ephemeral_mb=(config.get("EphemeralStorage") or {}).get("Size", 512),
            access_key=access_key, secret_key=secret_key,
            log_group=(config.get("LoggingConfig") or {}).get("LogGroup") or "")
        self._specs = {k: s for k, s in self._specs.items() if k[:4] != key[:4]}
        self._specs[key] = spec
        return spec

    async def run_invocation(self, record: FunctionRecord, version: str, payload: bytes, *,
                             request_id: str | None = None, client_context: str | None = None,
                             qualified_arn: str | None = None) -> InvokeResult:
        """Run one invocation to its end (used by synchronous and asynchronous invokes alike)."""
        # A throttled call is answered before anything is prepared for it (checked again below).
        # Reserved concurrency held by provisioned environments is not on demand: only an
        # invocation that finds one of its version's free gets past it.
        on_demand = self.on_demand_limit(record)
        self.pool.check_capacity((record.account, record.region, record.name), on_demand, version)
        spec = await self.spec_for(record, version)
        inv = Invocation(request_id=request_id or str(uuid.uuid4()), payload=payload or b"{}",
                         invoked_function_arn=qualified_arn or record.arn, timeout_s=float(spec.timeout_s),
                         client_context=client_context, trace_id=new_trace_id())
        try:
            return await self.pool.invoke(spec, inv, on_demand)
        except RuntimeUnavailable as e:
            raise InvalidRuntime(str(e)) from None
        except (RuntimeError, OSError) as e:
            # The interpreter or program could not be started at all.
            raise InvalidRuntime(f"Overcast could not start the {spec.runtime} runtime: {e}") from None

    async def invoke(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # Invoke names a missing function with the version it would have run, $LATEST by default
        # (LocalStack's AWS-validated test_invoke_exceptions, recorded in 2025).
        try:
            record, qualifier = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        except ResourceNotFound as error:
            ref = parse_function_ref(params["FunctionName"])
            if params.get("Qualifier") or ref.qualifier or not error.message.startswith("Function not found: "):
                raise
            raise ResourceNotFound(f"{error.message}:{LATEST}") from None
        invocation_type = params.get("InvocationType") or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            check_invocation_type(invocation_type)
        payload = params.get("Payload") or b""
        if isinstance(payload, str):
            payload = payload.encode()
        limit = MAX_ASYNC_PAYLOAD if invocation_type == "Event" else MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            # "InvokeFunction" is the name Lambda's message gives the synchronous call (quoted from AWS
            # in many user reports); the asynchronous wording is Overcast's.
            operation = "InvokeAsync" if invocation_type == "Event" else "InvokeFunction"
            raise RequestTooLarge(f"Request must be smaller than {limit} bytes for the {operation} operation")
        check_payload(payload)
        version = self.resolve_version(record, qualifier, for_invoke=True)
        if invocation_type == "DryRun":
            return {"StatusCode": 204}
        qualified_arn = f"{record.arn}:{qualifier}" if qualifier else record.arn
        if invocation_type == "Event":
            ordering_key = params.get("OrderingKey") if ctx.extra.get("internal") else None
            await self.enqueue_async(record, qualifier, payload, request_id=ctx.request_id,
                                     ordering_key=ordering_key)
            return {"StatusCode": 202, "Payload": b""}
        client_context = None
        if params.get("ClientContext"):
            try:
                client_context = base64.b64decode(params["ClientContext"]).decode()
                json.loads(client_context)
            except (ValueError, UnicodeDecodeError):
                raise InvalidRequestContent("Client context must be a valid Base64-encoded JSON object.") from None
        try:
            result = await self.run_invocation(record, version, payload, request_id=ctx.request_id,
                                               client_context=client_context, qualified_arn=qualified_arn)
        except Throttled as e:
            raise TooManyRequests(e.reason) from None
        out: dict[str, Any] = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": version}
        if result.function_error:
            out["FunctionError"] = result.function_error
        if params.get("LogType") == "Tail":
            out["LogResult"] = log_result(result.log_tail)
        return out

    async def enqueue_async(self, record: FunctionRecord, qualifier: str | None, payload: bytes,
                            request_id: str | None = None, ordering_key: str | None = None) -> None:
        raise NotImplementedError  # provided by AsyncInvokeOps
