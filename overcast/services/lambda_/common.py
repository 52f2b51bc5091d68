"""Helpers every group of Lambda operations shares: finding functions and shaping configurations."""

from __future__ import annotations

import copy
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.services.base import Provider as BaseProvider
from overcast.services.lambda_.cross_account import check_cross_account
from overcast.services.lambda_.errors import InvalidParameterValue, PreconditionFailed, ResourceNotFound
from overcast.services.lambda_.models import FunctionRecord
from overcast.services.lambda_.validation import check_qualifier_matches, parse_function_ref

if TYPE_CHECKING:
    from overcast.server.context import RequestContext
    from overcast.services.lambda_.code import CodeCache
    from overcast.services.lambda_.runtime.launcher import Launcher
    from overcast.services.lambda_.runtime.pool import ExecutionPool
    from overcast.services.lambda_.store import LambdaStore

LATEST = "$LATEST"


def now_iso() -> str:
    """Lambda's LastModified format: 2024-05-01T12:00:00.000+0000."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}+0000"


def new_revision() -> str:
    return str(uuid.uuid4())


class LambdaBase(BaseProvider):
    """State and lookups shared by the operation groups (mixed together in provider.py)."""

    service = "lambda"
    store: LambdaStore
    codes: CodeCache
    pool: ExecutionPool
    launcher: Launcher

    # -- code bundles ---------------------------------------------------------------------------

    def release_blob(self, blob_id: str) -> None:
        """Delete a code bundle once nothing (function, version, layer) refers to it any more."""
        if not self.store.blob_referenced(blob_id):
            try:
                self.blobs.delete(blob_id)
            except OSError:
                pass

    def release_deleted_layers(self) -> None:
        """The bundles of deleted layer versions that no function uses any more: AWS keeps a
        deleted version's content only for the functions that already use it."""
        for blob_id in self.store.deleted_layer_blobs():
            self.release_blob(blob_id)

    # -- lookups ------------------------------------------------------------------------------

    def function_arn(self, ctx: RequestContext, name: str, qualifier: str | None = None) -> str:
        arn = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    def find(self, ctx: RequestContext, function_name: str, qualifier: str | None = None,
             member: str = "functionName") -> tuple[FunctionRecord, str | None]:
        """The function a request names, and the qualifier (from the name or the parameter)."""
        ref = parse_function_ref(function_name, member)
        qualifier = check_qualifier_matches(ref, qualifier)
        if ref.region and ref.region != ctx.region:
            # A function is reached in its own Region only (as AWS words it, quoted by its users).
            raise ResourceNotFound(f"Functions from '{ref.region}' are not reachable in this region ('{ctx.region}')")
        record = self.store.get(ref.account or ctx.account_id, ctx.region, ref.name)
        if ref.account and ref.account != ctx.account_id and not ctx.extra.get("internal"):
            check_cross_account(ctx, ref.account, ref.name, record, qualifier)
        if record is None:
            raise ResourceNotFound(f"Function not found: {self.function_arn(ctx, ref.name, qualifier)}")
        return record, qualifier

    def resolve_version(self, record: FunctionRecord, qualifier: str | None, for_invoke: bool = False) -> str:
        """The version a qualifier selects ($LATEST, a number, or an alias's version)."""
        if qualifier in (None, LATEST):
            return LATEST
        if qualifier.isdigit():
            if qualifier not in record.versions:
                raise ResourceNotFound(f"Function not found: {record.arn}:{qualifier}")
            return qualifier
        alias = record.aliases.get(qualifier)
        if alias is None:
            raise ResourceNotFound(f"Function not found: {record.arn}:{qualifier}")
        if for_invoke:
            return pick_alias_version(alias)
        return alias["FunctionVersion"]

    def version_doc(self, record: FunctionRecord, version: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(configuration, code doc) of a version."""
        if version == LATEST:
            return record.config, record.code.to_doc()
        entry = record.versions[version]
        return entry["config"], entry["code"]

    def configuration(self, record: FunctionRecord, version: str = LATEST) -> dict[str, Any]:
        config, _ = self.version_doc(record, version)
        out = copy.deepcopy(config)
        out["State"] = "Active"
        out["LastUpdateStatus"] = "Successful"
        return out

    @staticmethod
    def check_revision(record: FunctionRecord, revision_id: str | None, current: str | None = None) -> None:
        if revision_id is not None and revision_id != (current or record.config.get("RevisionId")):
            raise PreconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the "
                                     "GetFunction/GetAlias API to retrieve the latest Revision Id")

    @staticmethod
    def no_latest_qualifier(qualifier: str | None, what: str) -> None:
        if qualifier == LATEST:
            raise InvalidParameterValue(f"$LATEST version cannot be {what}.")


def pick_alias_version(alias: dict[str, Any]) -> str:
    """Weighted routing: the extra version gets its weight's share of invocations."""
    import random

    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    roll = random.random()
    for version, weight in weights.items():
        if roll < weight:
            return version
        roll -= weight
    return alias["FunctionVersion"]
