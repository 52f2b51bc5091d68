"""Read-only answers for table features Overcast does not emulate, so that tools which describe
every feature of a table (Terraform, the console) get DynamoDB's answer for a table without them."""

from __future__ import annotations

from overcast.server.context import RequestContext


class FeaturesMixin:
    def describe_kinesis_streaming_destination(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        return {"TableName": table.name, "KinesisDataStreamDestinations": []}

    def describe_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table(ctx, params.get("TableName"), describe_style=True)
        result = {"TableName": table.name, "ContributorInsightsStatus": "DISABLED"}
        if params.get("IndexName"):
            result["IndexName"] = params["IndexName"]
        return result

    def list_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        return {"ContributorInsightsSummaries": []}
