"""Provisioned concurrency: PutProvisionedConcurrencyConfig, GetProvisionedConcurrencyConfig,
ListProvisionedConcurrencyConfigs, DeleteProvisionedConcurrencyConfig.

A configuration is stored in its function's document, by qualifier (an alias or a published
version). Applying it is real: the pool starts that many environments of the version the
qualifier selects and waits for each to initialize; the configuration is IN_PROGRESS until they
all have, then READY (FAILED if the function's initialization fails), as Lambda reports it.
Invocations of the version take a free provisioned environment first (LocalStack's
AWS-validated TestLambdaConcurrency: an alias's provisioned concurrency serves invocations of
its version too, and a second concurrent invocation runs on demand). A moved alias moves its
environments; a restarted server starts them again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase, now_iso
from overcast.services.lambda_.errors import (
    InvalidParameterValue,
    ProvisionedConcurrencyConfigNotFound,
    ResourceConflict,
    ResourceNotFound,
)
from overcast.services.lambda_.models import FunctionRecord
from overcast.services.lambda_.runtime.provisioned_env import InitFailed
from overcast.services.lambda_.validation import check_qualifier_matches, parse_function_ref
from overcast.services.lambda_.versions import paginate

log = logging.getLogger("overcast.lambda")

MIN_UNRESERVED = 100  # what Lambda leaves to functions without reserved concurrency
# Environments actually started per configuration. Lambda allows hundreds; here each is a
# process on the user's machine, so past this many the rest start on demand (the counts still
# report what was requested).
MAX_STARTED = 10
# The StatusReason Lambda gives when the function's initialization fails (as CloudFormation
# relays it: "Provisioned Concurrency configuration failed to be applied. Reason:
# FUNCTION_ERROR_INIT_FAILURE").
INIT_FAILURE = "FUNCTION_ERROR_INIT_FAILURE"


@dataclass
class Allocation:
    version: str
    requested: int
    task: asyncio.Task | None = None
    failure: str | None = None
    done: bool = field(default=False)


def provisioned_total(record: FunctionRecord) -> int:
    return sum(conf["Requested"] for conf in record.provisioned_concurrency.values())


class ProvisionedConcurrencyOps(LambdaBase):
    account_concurrency: int
    spec_for: Any  # InvokeOps.spec_for
    _allocations: dict[tuple[str, str, str, str], Allocation]

    # -- what a request names -----------------------------------------------------------------

    def _pc_target(self, ctx: RequestContext, params: dict[str, Any], latest_message: str
                   ) -> tuple[FunctionRecord, str]:
        """The function and qualifier, worded as Lambda words a missing one (LocalStack's
        AWS-validated test_provisioned_concurrency_exceptions): an alias that is not there is
        "Cannot find alias arn", whether or not its function is."""
        ref = parse_function_ref(params["FunctionName"])
        qualifier = check_qualifier_matches(ref, params.get("Qualifier")) or ""
        if qualifier == LATEST:
            raise InvalidParameterValue(latest_message)
        if ref.region and ref.region != ctx.region:
            # As every other operation answers an ARN of another Region (LambdaBase.find): not
            # the caller's Region's function of that name.
            raise ResourceNotFound(f"Functions from '{ref.region}' are not reachable in this region ('{ctx.region}')")
        record = self.store.get(ref.account or ctx.account_id, ctx.region, ref.name)
        arn = self.function_arn(ctx, ref.name)
        if not qualifier.isdigit():
            if record is None or qualifier not in record.aliases:
                raise ResourceNotFound(f"Cannot find alias arn: {arn}:{qualifier}")
        elif record is None or qualifier not in record.versions:
            raise ResourceNotFound(f"Function not found: {arn}:{qualifier}")
        return record, qualifier

    @staticmethod
    def _target_version(record: FunctionRecord, qualifier: str) -> str | None:
        if qualifier.isdigit():
            return qualifier if qualifier in record.versions else None
        alias = record.aliases.get(qualifier)
        return alias["FunctionVersion"] if alias and alias["FunctionVersion"] != LATEST else None

    # -- limits -------------------------------------------------------------------------------

    def claimed_concurrency(self, ctx: RequestContext, excluding: str | None = None) -> int:
        """What the account's functions hold out of its concurrency: reserved concurrency, and
        the provisioned concurrency of functions without any (which comes from the unreserved
        pool)."""
        total = 0
        for record in self.store.functions_in(ctx.account_id, ctx.region):
            if record.name == excluding:
                continue
            total += record.reserved_concurrency if record.reserved_concurrency is not None \
                else provisioned_total(record)
        return total

    def _check_limits(self, ctx: RequestContext, record: FunctionRecord, qualifier: str, wanted: int) -> None:
        others = sum(conf["Requested"] for q, conf in record.provisioned_concurrency.items() if q != qualifier)
        if record.reserved_concurrency is not None:
            # LocalStack's AWS-validated test_reserved_provisioned_overlap.
            if others + wanted > record.reserved_concurrency:
                raise InvalidParameterValue("Requested Provisioned Concurrency should not be greater than the "
                                            "reservedConcurrentExecution for function")
            return
        # Quoted from AWS by its users (anomalyco/sst#5829, with their account's minimum of 10).
        if self.account_concurrency - self.claimed_concurrency(ctx, record.name) - others - wanted < MIN_UNRESERVED:
            raise InvalidParameterValue("Specified ConcurrentExecutions for function decreases account's "
                                        f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}].")

    @staticmethod
    def _check_conflicts(record: FunctionRecord, qualifier: str) -> None:
        """An alias and the version it points to cannot both have provisioned concurrency
        (LocalStack's AWS-validated test_lambda_provisioned_lifecycle)."""
        if qualifier.isdigit():
            if any(alias["FunctionVersion"] == qualifier and name in record.provisioned_concurrency
                   for name, alias in record.aliases.items()):
                raise ResourceConflict("Version is pointed by a Provisioned Concurrency alias")
        elif record.aliases[qualifier]["FunctionVersion"] in record.provisioned_concurrency:
            raise ResourceConflict("Alias can't be used for Provisioned Concurrency configuration on an already "
                                   "Provisioned version")

    # -- operations ---------------------------------------------------------------------------

    async def put_provisioned_concurrency_config(self, ctx: RequestContext, params: dict[str, Any]
                                                 ) -> dict[str, Any]:
        record, qualifier = self._pc_target(
            ctx, params, "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        if not qualifier.isdigit() and (record.aliases[qualifier].get("RoutingConfig") or {}).get(
                "AdditionalVersionWeights"):
            # Quoted from AWS in hashicorp/terraform#24957 and terraform-provider-aws#48116.
            raise InvalidParameterValue("Alias with weights can not be used with Provisioned Concurrency")
        if self._target_version(record, qualifier) is None:  # an alias of $LATEST: nothing published to start
            raise InvalidParameterValue("Provisioned Concurrency Configs cannot be applied to unpublished function "
                                        "versions.")
        wanted = params["ProvisionedConcurrentExecutions"]
        self._check_limits(ctx, record, qualifier, wanted)
        self._check_conflicts(record, qualifier)
        record.provisioned_concurrency[qualifier] = {"Requested": wanted, "LastModified": now_iso()}
        await self.store.put(record)
        key = (record.account, record.region, record.name, qualifier)
        failed = self._allocations.get(key)
        if failed is not None and failed.failure:
            # Put again, a configuration that failed is applied afresh, even unchanged (reconcile
            # alone keeps an allocation whose version and count are what is asked).
            self._release_allocation(key)
        self.reconcile_provisioned(record)
        return self._pc_out(record, qualifier)

    async def get_provisioned_concurrency_config(self, ctx: RequestContext, params: dict[str, Any]
                                                 ) -> dict[str, Any]:
        record, qualifier = self._pc_target(
            ctx, params, "The function resource provided must be an alias or a published version.")
        if qualifier not in record.provisioned_concurrency:
            raise ProvisionedConcurrencyConfigNotFound()
        return self._pc_out(record, qualifier)

    async def list_provisioned_concurrency_configs(self, ctx: RequestContext, params: dict[str, Any]
                                                   ) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        items = []
        for qualifier in sorted(record.provisioned_concurrency):
            item = self._pc_out(record, qualifier)
            item["FunctionArn"] = f"{record.arn}:{qualifier}"
            items.append(item)
        return paginate(items, params, "ProvisionedConcurrencyConfigs", max_items_limit=50)

    async def delete_provisioned_concurrency_config(self, ctx: RequestContext, params: dict[str, Any]
                                                    ) -> dict[str, Any]:
        record, qualifier = self._pc_target(
            ctx, params, "The function resource provided must be an alias or a published version.")
        # Deleting a configuration that is not there answers 204 too (the same AWS-validated test).
        if record.provisioned_concurrency.pop(qualifier, None) is not None:
            await self.store.put(record)
            self.reconcile_provisioned(record)
        return {}

    def _pc_out(self, record: FunctionRecord, qualifier: str) -> dict[str, Any]:
        conf = record.provisioned_concurrency[qualifier]
        requested = conf["Requested"]
        key = (record.account, record.region, record.name, qualifier)
        allocation = self._allocations.get(key)
        if allocation is None:  # not applied since the server started: apply it now
            self.reconcile_provisioned(record)
            allocation = self._allocations.get(key)
        out: dict[str, Any] = {"RequestedProvisionedConcurrentExecutions": requested,
                               "LastModified": conf["LastModified"]}
        if allocation is not None and allocation.failure:
            out.update(AllocatedProvisionedConcurrentExecutions=0, AvailableProvisionedConcurrentExecutions=0,
                       Status="FAILED", StatusReason=allocation.failure)
        elif allocation is not None and allocation.done:
            out.update(AllocatedProvisionedConcurrentExecutions=requested,
                       AvailableProvisionedConcurrentExecutions=requested, Status="READY")
        else:
            started = min(self.pool.provisioned_ready(key), requested)
            out.update(AllocatedProvisionedConcurrentExecutions=started,
                       AvailableProvisionedConcurrentExecutions=started, Status="IN_PROGRESS")
        return out

    # -- applying configurations --------------------------------------------------------------

    def reconcile_provisioned(self, record: FunctionRecord) -> None:
        """Bring the function's started environments in line with its configurations: start
        what a new or moved configuration needs, stop what a removed one held. Called after
        every change to configurations, aliases or versions."""
        prefix = (record.account, record.region, record.name)
        wanted: dict[tuple[str, str, str, str], tuple[str, int]] = {}
        live = self.store.get(*prefix) is record
        for qualifier, conf in (record.provisioned_concurrency.items() if live else ()):
            version = self._target_version(record, qualifier)
            if version is not None:
                wanted[(*prefix, qualifier)] = (version, conf["Requested"])
        for key in [k for k in self._allocations if k[:3] == prefix and k not in wanted]:
            self._release_allocation(key)
        for key, (version, requested) in wanted.items():
            current = self._allocations.get(key)
            if current is not None and (current.version, current.requested) == (version, requested):
                continue
            self._allocate(record, key, version, requested, current)

    def _allocate(self, record: FunctionRecord, key: tuple[str, str, str, str], version: str, requested: int,
                  previous: Allocation | None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a provider built outside the server): applied on the next request
        allocation = Allocation(version, requested)
        self._allocations[key] = allocation
        earlier = previous.task if previous is not None else None
        allocation.task = loop.create_task(self._apply(record, key, allocation, earlier))

    async def _apply(self, record: FunctionRecord, key: tuple[str, str, str, str], allocation: Allocation,
                     earlier: asyncio.Task | None) -> None:
        if earlier is not None and not earlier.done():
            earlier.cancel()
            await asyncio.wait({earlier})
        try:
            spec = await self.spec_for(record, allocation.version)
        except ServiceError:
            # A runtime Overcast cannot run: there is nothing to start ahead, and its
            # invocations fail whether provisioned or not.
            self.pool.unprovision(key)
            allocation.done = True
            return
        try:
            await self.pool.provision(key, spec, min(allocation.requested, MAX_STARTED))
        except (InitFailed, RuntimeError, OSError):
            self.pool.unprovision(key)
            allocation.failure = INIT_FAILURE
            return
        except Exception:  # not the function's fault, but the environments are not there either
            log.exception("could not start provisioned environments of %s", record.name)
            self.pool.unprovision(key)
            allocation.failure = INIT_FAILURE
            return
        allocation.done = True

    def _release_allocation(self, key: tuple[str, str, str, str]) -> None:
        allocation = self._allocations.pop(key, None)
        if allocation is not None and allocation.task is not None and not allocation.task.done():
            allocation.task.cancel()
        self.pool.unprovision(key)

    def forget_provisioned(self, account: str, region: str, name: str) -> None:
        """A deleted function's environments stop."""
        for key in [k for k in self._allocations if k[:3] == (account, region, name)]:
            self._release_allocation(key)

    def on_demand_limit(self, record: FunctionRecord) -> int | None:
        """What reserved concurrency leaves to invocations that find no free provisioned
        environment: with reserved concurrency equal to the provisioned total, $LATEST is
        throttled (LocalStack's AWS-validated test_lambda_concurrency_block)."""
        if record.reserved_concurrency is None:
            return None
        return record.reserved_concurrency - provisioned_total(record)
