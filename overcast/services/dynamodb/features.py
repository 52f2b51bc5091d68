"""Table features kept as settings: CloudWatch Contributor Insights (switched on and off, and
described as DynamoDB describes it; there is no CloudWatch here to send its rules' reports to),
and read-only answers for Kinesis streaming destinations, which Overcast does not emulate, so
that tools which describe every feature of a table (Terraform, the console) get DynamoDB's answer
for a table without them."""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import store
from overcast.services.dynamodb.errors import ResourceNotFoundException
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.tables import timestamp

_DEFAULT_MODE = "ACCESSED_AND_THROTTLED_KEYS"


def _insights_target(table: Table, index_name: str | None) -> str:
    """The key of Table.insights for the table ("") or one of its global secondary indexes."""
    if index_name is None:
        return ""
    index = table.index(index_name)
    if index is None or not index.is_global:
        raise ResourceNotFoundException(f"Requested resource not found: Index: {index_name} not found")
    return index_name


def _rules(table: Table, index_name: str, setting: dict[str, Any]) -> list[str]:
    """The Contributor Insights rules DynamoDB names for an enabled resource: most accessed (C)
    and most throttled (T) partition keys, and sort keys where the key has one; the throttled
    ones alone in THROTTLED_KEYS mode. Named as DynamoDB names them:
    DynamoDBContributorInsights-PKC-<table>-<creation time in ms>."""
    if index_name:
        index = table.index(index_name)
        has_sort_key = bool(index and index.range_keys)
        resource = f"{table.name}-{index_name}"
    else:
        has_sort_key = table.range_key is not None
        resource = table.name
    kinds = ["T"] if setting["Mode"] == "THROTTLED_KEYS" else ["C", "T"]
    keys = ["PK", "SK"] if has_sort_key else ["PK"]
    created = int(setting["Updated"] * 1000)
    return [f"DynamoDBContributorInsights-{key}{kind}-{resource}-{created}" for key in keys for kind in kinds]


def _summary(table: Table, index_name: str) -> dict[str, Any]:
    setting = table.insights.get(index_name)
    summary: dict[str, Any] = {"TableName": table.name}
    if index_name:
        summary["IndexName"] = index_name
    if setting is not None and setting.get("Enabled"):
        summary.update(ContributorInsightsStatus="ENABLED", ContributorInsightsMode=setting["Mode"])
    else:
        summary["ContributorInsightsStatus"] = "DISABLED"
    return summary


class FeaturesMixin:
    def describe_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        return {"TableName": table.name, "KinesisDataStreamDestinations": []}

    async def update_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        """ENABLE or DISABLE: answered ENABLING or DISABLING, as DynamoDB answers while CloudWatch
        makes or removes the rules; here the change is done when it answers (Describe then says
        ENABLED or DISABLED)."""
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        target = _insights_target(table, params.get("IndexName"))
        enabling = params["ContributorInsightsAction"] == "ENABLE"
        current = table.insights.get(target, {})
        setting = {"Enabled": enabling, "Mode": params.get("ContributorInsightsMode") or current.get("Mode") or _DEFAULT_MODE,
                   "Updated": self._now()}
        # Replaced in place, as tags and policies are, so that a copy of the Table keeps it.
        table.insights = {**table.insights, target: setting}
        await self.db.write(lambda tx: store.save_table(tx, table))
        result: dict[str, Any] = {"TableName": table.name}
        if target:
            result["IndexName"] = target
        result["ContributorInsightsStatus"] = "ENABLING" if enabling else "DISABLING"
        if enabling:
            result["ContributorInsightsMode"] = setting["Mode"]
        return result

    def describe_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        target = _insights_target(table, params.get("IndexName"))
        result = _summary(table, target)
        setting = table.insights.get(target)
        if setting is not None:
            result["LastUpdateDateTime"] = timestamp(setting["Updated"])
            if setting.get("Enabled"):
                result["ContributorInsightsRuleList"] = _rules(table, target, setting)
        return result

    def list_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        """A table and each of its global secondary indexes (the API reference's "for a table and
        all its global secondary indexes"); without TableName, every table's resources that have
        it enabled."""
        if params.get("TableName") is not None:
            table = self._table(ctx, params["TableName"], describe_style=True)
            names = [""] + [index.name for index in table.indexes() if index.is_global]
            return {"ContributorInsightsSummaries": [_summary(table, name) for name in names]}
        summaries = []
        for (account, region, _), table in sorted(self._tables.items()):
            if (account, region) == (ctx.account_id, ctx.region):
                summaries += [_summary(table, name) for name, setting in sorted(table.insights.items())
                              if setting.get("Enabled")]
        return {"ContributorInsightsSummaries": summaries}
