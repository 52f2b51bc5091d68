"""PublishVersion and ListVersionsByFunction."""

from __future__ import annotations

import base64
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.errors import InvalidParameterValue
from overcast.services.lambda_.validation import MAX_LIST_ITEMS, MAX_PAGE, check_max_items

# What makes two snapshots "the same" when deciding whether PublishVersion has anything new.
_VOLATILE = ("Version", "FunctionArn", "RevisionId", "LastModified", "Description", "State", "LastUpdateStatus")


# What list operations leave out of a configuration: a function's state is only in GetFunction,
# GetFunctionConfiguration and the answers of the operations that change it; its runtime version
# too (LocalStack's AWS-validated ListFunctions and ListVersionsByFunction snapshots).
STATE_FIELDS = ("State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason",
                "LastUpdateStatusReasonCode", "RuntimeVersionConfig")


def paginate(items: list[Any], params: dict[str, Any], key: str, next_key: str = "NextMarker",
             page_cap: int | None = None, max_items_limit: int = MAX_LIST_ITEMS) -> dict[str, Any]:
    check_max_items(params.get("MaxItems"), max_items_limit)
    start = 0
    if params.get("Marker"):
        try:
            start = int(base64.urlsafe_b64decode(params["Marker"].encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise InvalidParameterValue("Invalid marker.") from None
    size = params.get("MaxItems") or 50
    if page_cap is not None:
        size = min(size, page_cap)
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out[next_key] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return out


class VersionOps(LambdaBase):
    publish: Any  # FunctionOps.publish

    async def publish_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        self.check_revision(record, params.get("RevisionId"))
        if params.get("CodeSha256") and params["CodeSha256"] != record.code.sha256:
            raise InvalidParameterValue(f"CodeSHA256 ({params['CodeSha256']}) is different from current "
                                        f"CodeSHA256 in $LATEST ({record.code.sha256}). Please try again "
                                        "with the CodeSHA256 in $LATEST.")
        if record.versions:
            newest = str(max(int(v) for v in record.versions))
            entry = record.versions[newest]
            last = entry["config"]
            description_unchanged = entry.get("latest_description", record.config.get("Description", "")) == \
                record.config.get("Description", "")
            if description_unchanged and all(last.get(k) == record.config.get(k) for k in set(last) | set(record.config) if k not in _VOLATILE):
                return self.configuration(record, newest)
        version = self.publish(record, params.get("Description") or "")
        await self.store.put(record)
        return self.configuration(record, version)

    async def list_versions_by_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        latest = self.configuration(record, LATEST)
        latest["FunctionArn"] = f"{record.arn}:{LATEST}"  # every version by its qualified ARN, $LATEST too
        items = [latest]
        items.extend(self.configuration(record, v) for v in sorted(record.versions, key=int))
        for item in items:
            for field in STATE_FIELDS:
                item.pop(field, None)
        return paginate(items, params, "Versions", page_cap=MAX_PAGE)
