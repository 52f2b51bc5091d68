"""PutMetricFilter, DescribeMetricFilters and DeleteMetricFilter (TestMetricFilter is in the
provider, beside the filter patterns it shares with FilterLogEvents).

A metric filter is kept with its log group, as infrastructure code defines it, and described as
CloudWatch Logs describes it (LocalStack's AWS-validated snapshots of test_logs_metric_filters).
Overcast has no CloudWatch metrics service yet, so the filters publish nothing."""

from __future__ import annotations

import json
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.logs.errors import InvalidParameter, ResourceNotFound, group_not_found
from overcast.services.logs.filters import InvalidFilterPattern, compile_pattern

_PAGE = 50


def _described(row: tuple) -> dict[str, Any]:
    group, name, created, pattern, transformations, transformed = row
    return {"filterName": name, "filterPattern": pattern, "metricTransformations": json.loads(transformations),
            "creationTime": created, "logGroupName": group, "applyOnTransformedLogs": bool(transformed)}


def _transformation(spec: dict[str, Any]) -> dict[str, Any]:
    """A metric transformation as DescribeMetricFilters gives it back (defaultValue a number)."""
    kept: dict[str, Any] = {key: spec[key] for key in ("metricName", "metricNamespace", "metricValue") if key in spec}
    if spec.get("defaultValue") is not None:
        kept["defaultValue"] = float(spec["defaultValue"])
    for key in ("dimensions", "unit"):
        if spec.get(key) is not None:
            kept[key] = spec[key]
    return kept


class MetricFiltersMixin:
    async def put_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group, name, pattern = params["logGroupName"], params["filterName"], params["filterPattern"]
        try:
            compile_pattern(pattern)
        except InvalidFilterPattern as exc:
            raise InvalidParameter(str(exc)) from None
        transformations = json.dumps([_transformation(t) for t in params["metricTransformations"]])
        now = self._now_ms()  # type: ignore[attr-defined]
        key = (ctx.account_id, ctx.region, group)

        def write(tx: Any) -> None:
            if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key):
                raise group_not_found()
            # Putting a filter of a name the group has replaces it (the API reference).
            tx.execute("INSERT OR REPLACE INTO logs_metric_filters (account, region, grp, name, created, pattern, "
                       "transformations, transformed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (*key, name, now, pattern, transformations, int(bool(params.get("applyOnTransformedLogs")))))

        await self.db.write(write)  # type: ignore[attr-defined]
        return {}

    async def delete_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = (ctx.account_id, ctx.region, params["logGroupName"], params["filterName"])

        def write(tx: Any) -> None:
            if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key[:3]):
                raise group_not_found()
            if not tx.fetchone("SELECT 1 FROM logs_metric_filters WHERE account = ? AND region = ? AND grp = ? "
                               "AND name = ?", key):
                raise ResourceNotFound("The specified metric filter does not exist.")
            tx.execute("DELETE FROM logs_metric_filters WHERE account = ? AND region = ? AND grp = ? AND name = ?", key)

        await self.db.write(write)  # type: ignore[attr-defined]
        return {}

    def describe_metric_filters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """By log group, by name prefix, or by metric (name and namespace together), in filter
        name order across groups; paged by the last filter handed out."""
        if (params.get("metricName") is None) != (params.get("metricNamespace") is None):
            raise InvalidParameter("If you include the metricName parameter in your request, you must also include "
                                   "the metricNamespace parameter.")
        sql = ("SELECT grp, name, created, pattern, transformations, transformed FROM logs_metric_filters "
               "WHERE account = ? AND region = ?")
        args: list[Any] = [ctx.account_id, ctx.region]
        if params.get("logGroupName") is not None:
            self._require_group(ctx, params["logGroupName"])  # type: ignore[attr-defined]
            sql += " AND grp = ?"
            args.append(params["logGroupName"])
        rows = [row for row in self.db.fetchall(sql + " ORDER BY name, grp", args)  # type: ignore[attr-defined]
                if row[1].startswith(params.get("filterNamePrefix") or "")]
        if params.get("metricName") is not None:
            wanted = (params["metricName"], params["metricNamespace"])
            rows = [row for row in rows if any((t.get("metricName"), t.get("metricNamespace")) == wanted
                                               for t in json.loads(row[4]))]
        if params.get("nextToken"):
            after = tuple(json.loads(params["nextToken"])) if params["nextToken"].startswith("[") else None
            if after is None:
                raise InvalidParameter("The specified nextToken is invalid.")
            rows = [row for row in rows if (row[1], row[0]) > after]
        limit = int(params.get("limit") or _PAGE)
        page = rows[:limit]
        out: dict[str, Any] = {"metricFilters": [_described(row) for row in page]}
        if len(rows) > limit:
            out["nextToken"] = json.dumps([page[-1][1], page[-1][0]])
        return out
