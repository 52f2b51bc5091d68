"""PutSubscriptionFilter, DescribeSubscriptionFilters and DeleteSubscriptionFilter, and which of
a PutLogEvents batch's events each filter takes.

A filter is kept with its log group (at most two a group) and its events go to a Lambda function
of the same account, as CloudWatch Logs delivers them (subscription_delivery.py). Kinesis Data
Streams and Firehose are not in Overcast: a filter naming one is refused as AWS refuses a stream
that does not exist.

Which groups have filters is held in memory (loaded at start, refreshed after every change), so
that PutLogEvents on a group without one pays a dictionary lookup and nothing more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.apigateway.invoke.permissions import policy_allows
from overcast.services.logs.errors import (
    AccessDenied,
    InvalidParameter,
    LimitExceeded,
    ResourceNotFound,
    group_not_found,
)
from overcast.services.logs.filters import InvalidFilterPattern, Matcher, compile_pattern

MAX_FILTERS_PER_GROUP = 2  # PutSubscriptionFilter: "Each log group can have up to two subscription filters"
_PAGE = 50

# Lambda's answer to a cross-account destination comes before anything else is looked at, the log
# group included (LocalStack's AWS-validated test_put_subscription_filter_errors).
CROSS_ACCOUNT_LAMBDA = ("Cross-account lambda invocation passing is not allowed. You must use DestinationPolicies "
                        "to create cross account lambda triggers.")
# AWS test-invokes the function and refuses the filter with these words when the function is
# missing or its resource policy does not let CloudWatch Logs invoke it for this log group (moto's
# test_put_subscription_filter_errors; the error users quote, e.g. hashicorp/terraform-provider-aws#16162:
# a permission whose SourceArn lacks the group ARN's ":*" is refused so).
LAMBDA_NOT_INVOKABLE = ("Could not execute the lambda function. Make sure you have given CloudWatch Logs "
                        "permission to execute your function.")
# Test messages to a stream that does not exist (the words moto gives; Terraform retries on their
# "Could not deliver test message to specified" prefix).
STREAM_NOT_FOUND = {
    "kinesis": "Could not deliver test message to specified Kinesis stream. Verify the stream exists ",
    "firehose": "Could not deliver test message to specified Firehose stream. Check if the given Firehose stream "
                "is in ACTIVE state.",
}


@dataclass(frozen=True)
class Subscription:
    """A filter as PutLogEvents applies it."""

    name: str
    destination: str
    matches: Matcher


def logs_principals(region: str) -> tuple[str, ...]:
    """The service principals a Lambda permission may name for CloudWatch Logs: the global one the
    User Guide's example uses, and the regional one (LocalStack's AWS-validated tests)."""
    return ("logs.amazonaws.com", f"logs.{region}.amazonaws.com")


def _described(row: tuple) -> dict[str, Any]:
    group, name, created, pattern, destination, role, distribution, transformed = row
    out: dict[str, Any] = {"filterName": name, "logGroupName": group, "filterPattern": pattern,
                           "destinationArn": destination, "distribution": distribution,
                           "applyOnTransformedLogs": bool(transformed), "creationTime": created}
    if role is not None:
        out["roleArn"] = role
    return out


class SubscriptionFiltersMixin:
    _subscriptions: dict[tuple[str, str, str], tuple[Subscription, ...]]

    def _load_subscriptions(self) -> None:
        self._subscriptions = {}
        for account, region, group, name, pattern, destination in self.db.fetchall(  # type: ignore[attr-defined]
                "SELECT account, region, grp, name, pattern, destination FROM logs_subscription_filters "
                "ORDER BY account, region, grp, name"):
            key = (account, region, group)
            self._subscriptions[key] = (*self._subscriptions.get(key, ()),
                                        Subscription(name, destination, compile_pattern(pattern)))

    def _refresh_subscriptions(self, key: tuple[str, str, str]) -> None:
        """Read one group's filters again, after a change to them has committed."""
        rows = self.db.fetchall(  # type: ignore[attr-defined]
            "SELECT name, pattern, destination FROM logs_subscription_filters WHERE account = ? AND region = ? "
            "AND grp = ? ORDER BY name", key)
        if rows:
            self._subscriptions[key] = tuple(Subscription(name, destination, compile_pattern(pattern))
                                             for name, pattern, destination in rows)
        else:
            self._subscriptions.pop(key, None)

    def subscriptions_of(self, account: str, region: str, group: str) -> tuple[Subscription, ...]:
        return self._subscriptions.get((account, region, group), ())

    # -- operations ---------------------------------------------------------------------------

    async def put_subscription_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group, name, pattern = params["logGroupName"], params["filterName"], params["filterPattern"]
        destination, role = params["destinationArn"], params.get("roleArn")
        vendor = _destination_vendor(ctx, destination, role)
        self._require_group(ctx, group)  # type: ignore[attr-defined]
        try:
            compile_pattern(pattern)
        except InvalidFilterPattern as exc:
            raise InvalidParameter(str(exc)) from None
        if vendor != "lambda":
            raise InvalidParameter(STREAM_NOT_FOUND[vendor])
        await self._check_lambda_destination(ctx, group, destination)
        key = (ctx.account_id, ctx.region, group)
        now = self._now_ms()  # type: ignore[attr-defined]

        def write(tx: Any) -> None:
            if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key):
                raise group_not_found()
            others = tx.fetchone("SELECT COUNT(*) FROM logs_subscription_filters WHERE account = ? AND region = ? "
                                 "AND grp = ? AND name != ?", (*key, name))[0]
            if others >= MAX_FILTERS_PER_GROUP:
                # LocalStack's AWS-validated test_put_subscription_filter_limit_exceeded.
                raise LimitExceeded("Resource limit exceeded.")
            # A filter of a name the group has is replaced (the API reference).
            tx.execute("INSERT OR REPLACE INTO logs_subscription_filters (account, region, grp, name, created, "
                       "pattern, destination, role, distribution, transformed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (*key, name, now, pattern, destination, role, params.get("distribution") or "ByLogStream",
                        int(bool(params.get("applyOnTransformedLogs")))))

        await self.db.write(write)  # type: ignore[attr-defined]
        self._refresh_subscriptions(key)
        return {}

    async def delete_subscription_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = (ctx.account_id, ctx.region, params["logGroupName"])

        def write(tx: Any) -> None:
            if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key):
                raise group_not_found()
            cursor = tx.execute("DELETE FROM logs_subscription_filters WHERE account = ? AND region = ? AND grp = ? "
                                "AND name = ?", (*key, params["filterName"]))
            if cursor.rowcount == 0:
                raise ResourceNotFound("The specified subscription filter does not exist.")

        await self.db.write(write)  # type: ignore[attr-defined]
        self._refresh_subscriptions(key)
        return {}

    def describe_subscription_filters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A group's filters in name order, by name prefix, paged by the last name handed out."""
        group = params["logGroupName"]
        self._require_group(ctx, group)  # type: ignore[attr-defined]
        rows = self.db.fetchall(  # type: ignore[attr-defined]
            "SELECT grp, name, created, pattern, destination, role, distribution, transformed "
            "FROM logs_subscription_filters "
            "WHERE account = ? AND region = ? AND grp = ? ORDER BY name", (ctx.account_id, ctx.region, group))
        prefix = params.get("filterNamePrefix") or ""
        rows = [row for row in rows if row[1].startswith(prefix)]
        if params.get("nextToken"):
            try:
                after = json.loads(params["nextToken"])
            except ValueError:
                after = None
            if not isinstance(after, list) or len(after) != 1 or not isinstance(after[0], str):
                raise InvalidParameter("The specified nextToken is invalid.")
            rows = [row for row in rows if row[1] > after[0]]
        limit = int(params.get("limit") or _PAGE)
        page = rows[:limit]
        out: dict[str, Any] = {"subscriptionFilters": [_described(row) for row in page]}
        if len(rows) > limit:
            out["nextToken"] = json.dumps([page[-1][1]])
        return out

    async def _check_lambda_destination(self, ctx: RequestContext, group: str, function_arn: str) -> None:
        """What AWS's test invocation finds out: the function exists, and its resource policy lets
        CloudWatch Logs invoke it for this group (aws:SourceArn is the group's ARN with ":*")."""
        internal = self.runtime.internal  # type: ignore[attr-defined]
        try:
            await internal.call("lambda", "Invoke", {"FunctionName": function_arn, "InvocationType": "DryRun"},
                                account_id=ctx.account_id, region=ctx.region)
            answer = await internal.call("lambda", "GetPolicy", {"FunctionName": function_arn},
                                         account_id=ctx.account_id, region=ctx.region)
        except ServiceError:
            raise InvalidParameter(LAMBDA_NOT_INVOKABLE) from None
        try:
            policy = json.loads(answer.get("Policy") or "{}")
        except ValueError:
            policy = {}
        source_arn = f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{group}:*"
        if not isinstance(policy, dict) or not policy_allows(policy, (source_arn,), ctx.account_id,
                                                             logs_principals(ctx.region)):
            raise InvalidParameter(LAMBDA_NOT_INVOKABLE)


def _destination_vendor(ctx: RequestContext, destination: str, role: str | None) -> str:
    """The service a destination ARN names, refused as AWS refuses it before anything is looked up."""
    parts = destination.split(":")
    vendor = parts[2] if len(parts) > 2 and parts[0] == "arn" else destination
    if vendor == "lambda":
        if len(parts) > 4 and parts[4] != ctx.account_id:
            raise AccessDenied(CROSS_ACCOUNT_LAMBDA)
        return vendor
    if vendor in STREAM_NOT_FOUND:
        if not role:
            # LocalStack's AWS-validated test_put_subscription_filter_errors (kinesis); firehose's
            # words follow the same form.
            raise InvalidParameter(f"destinationArn for vendor {vendor} cannot be used without roleArn")
        return vendor
    if vendor == "logs":
        # A logical destination (PutDestination), which Overcast does not have: none exists. The
        # words follow CloudWatch Logs' other "does not exist" answers (unrecorded for this case).
        raise ResourceNotFound("The specified destination does not exist.")
    # AWS's words as users quote them for an SNS or OpenSearch ("es") destination.
    raise InvalidParameter(f"PutSubscriptionFilter operation cannot work with destinationArn for vendor {vendor}")
