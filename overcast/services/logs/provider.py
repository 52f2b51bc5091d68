"""CloudWatch Logs: log groups and streams, PutLogEvents, GetLogEvents, FilterLogEvents, retention.
Metric filters are in metric_filters.py, subscription filters in subscription_filters.py, Logs
Insights queries and query definitions under insights/."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

from overcast.protocol.validation import constraint_message, constraint_problems
from overcast.server.context import RequestContext
from overcast.services.base import Provider as BaseProvider
from overcast.services.logs.errors import (
    InvalidParameter,
    ResourceAlreadyExists,
    TooManyTags,
    Validation,
    group_not_found,
    stream_not_found,
)
from overcast.services.logs.filters import InvalidFilterPattern, compile_extractor, compile_pattern
from overcast.services.logs.insights.definitions import QueryDefinitionsMixin
from overcast.services.logs.insights.queries import QueriesMixin
from overcast.services.logs.metric_filters import MetricFiltersMixin
from overcast.services.logs.store import MIGRATIONS
from overcast.services.logs.subscription_delivery import Outbox, SubscriptionDelivery
from overcast.services.logs.subscription_filters import SubscriptionFiltersMixin

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
MAX_EVENTS = 10000
# PutLogEvents' time window (API_PutLogEvents): no event more than 14 days old or 2 hours
# ahead, and one batch spans at most 24 hours.
TOO_OLD_MS = 14 * 86400 * 1000
TOO_NEW_MS = 2 * 3600 * 1000
MAX_SPAN_MS = 24 * 3600 * 1000
MAX_BATCH_BYTES = 1048576
MAX_TAGS = 50  # on one resource (TagResource)


def _token(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode()


def _untoken(token: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("The specified nextToken is invalid.") from None


# The newer ARN-addressed operations answer a bad ARN with ValidationException, not with
# InvalidParameterException's constraint message (an ARN ending in ":*" is refused as
# "Invalid resourceArn", as quoted from AWS in gruntwork-io/cloud-nuke#1150).
_RESOURCE_ARN_OPERATIONS = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})

# GetLogEvents' tokens: "f/" (forward) or "b/" (backward) and the position, 56 digits.
_EVENT_TOKEN = re.compile(r"[fb]/\d{1,56}")


def _event_token(ts: int, seq: int) -> str:
    """GetLogEvents' place, written as AWS's 56 digits: the timestamp's 20, then the sequence's 36."""
    return f"{ts:020d}{seq:036d}"


# What SQLite can bind (a token beyond it is refused, not a 500).
_MAX_PLACE = 2**63 - 1


def _event_place(digits: str) -> tuple[int, int]:
    digits = digits.zfill(56)
    ts, seq = int(digits[:20]), int(digits[20:])
    if ts > _MAX_PLACE or seq > _MAX_PLACE:
        raise InvalidParameter("The specified nextToken is invalid.")
    return ts, seq


def _unfilter_token(token: str) -> tuple[int, int]:
    """FilterLogEvents' token: the (timestamp, sequence) of the last event returned."""
    try:
        ts, seq = (int(part) for part in base64.urlsafe_b64decode(token.encode()).decode().split(":"))
        if not (abs(ts) <= _MAX_PLACE and abs(seq) <= _MAX_PLACE):
            raise ValueError("out of range")
        return ts, seq
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("The specified nextToken is invalid.") from None


def _group_name(params: dict[str, Any]) -> str:
    name = params.get("logGroupName") or params.get("logGroupIdentifier") or ""
    if name.startswith("arn:"):
        # arn:aws:logs:region:account:log-group:NAME[:*]
        name = name.split(":log-group:", 1)[-1]
        name = name[:-2] if name.endswith(":*") else name
    return name


def _group_token_name(token: str) -> str:
    """The last group name of the page a group listing's nextToken continues after."""
    try:
        # Strictly: a lax decoder drops foreign characters and could read "!!!" as "" (page one again).
        name = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        raise InvalidParameter("The specified nextToken is invalid.") from None
    if not name:
        raise InvalidParameter("The specified nextToken is invalid.")
    return name


class Provider(MetricFiltersMixin, SubscriptionFiltersMixin, QueriesMixin, QueryDefinitionsMixin,
               BaseProvider):
    service = "logs"
    delivery: SubscriptionDelivery | None = None
    outbox: Outbox  # set by start()

    def admit(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        """CloudWatch Logs checks the model's lengths, ranges, patterns and enums itself and
        answers InvalidParameterException (not ValidationException) with Coral's wording, e.g.
        "1 validation error detected: Value 'a:b' at 'logGroupName' failed to satisfy
        constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+".
        Other services' own deliveries (Lambda, API Gateway) are trusted as AWS's are."""
        if ctx.extra.get("internal") or ctx.operation is None:
            return
        if ctx.operation.name in _RESOURCE_ARN_OPERATIONS:
            return  # these answer ValidationException "Invalid resourceArn" (see _resource_group)
        if any(len(params.get(member) or "") > 512 for member in ("logGroupName", "logStreamName")):
            # Its own words for these two names (LocalStack's AWS-validated snapshots: CreateLogGroup,
            # DeleteMetricFilter).
            raise InvalidParameter("Invalid LogGroup or LogStream, both must have length less than or equal to 512.")
        problems = constraint_problems(ctx.operation, params)
        if problems:
            raise InvalidParameter(constraint_message(problems))

    def start(self) -> None:
        self.db.migrate("logs", MIGRATIONS)
        self.runtime.scheduler.every(3600.0, self._expire, first_in=60.0)
        self._load_subscriptions()
        self._queries_start()
        self.outbox = Outbox(self.db)
        try:
            self.delivery = SubscriptionDelivery(self.outbox, self.runtime.internal)
        except RuntimeError:  # built outside the event loop (engine tests): nothing to deliver
            return
        self.delivery.start()

    def stop(self) -> None:
        self._queries_stop()
        if self.delivery is not None:
            self.delivery.stop()

    def _expire(self, now: float) -> None:
        """Drop events older than their group's retention (on Overcast's clock)."""
        now_ms = int(now * 1000)

        def expire(tx):
            for account, region, name, days in tx.fetchall(
                    "SELECT account, region, name, retention FROM logs_groups WHERE retention IS NOT NULL"):
                tx.execute("DELETE FROM logs_events WHERE account = ? AND region = ? AND grp = ? AND ts < ?",
                           (account, region, name, now_ms - days * 86400 * 1000))

        self.db.write_blocking(expire)

    # -- helpers ------------------------------------------------------------------------------

    def _group(self, ctx: RequestContext, name: str) -> tuple | None:
        return self.db.fetchone("SELECT name, created, retention FROM logs_groups WHERE account = ? AND region = ? "
                                "AND name = ?", (ctx.account_id, ctx.region, name))

    def _require_group(self, ctx: RequestContext, name: str) -> tuple:
        row = self._group(ctx, name)
        if row is None:
            raise group_not_found()
        return row

    def _group_arn(self, ctx: RequestContext, name: str) -> str:
        return f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}"

    def _now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    # -- groups -------------------------------------------------------------------------------

    async def create_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["logGroupName"]

        def insert(tx):
            if tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                           (ctx.account_id, ctx.region, name)):
                raise ResourceAlreadyExists("The specified log group already exists")
            tx.execute("INSERT INTO logs_groups (account, region, name, created, class) VALUES (?, ?, ?, ?, ?)",
                       (ctx.account_id, ctx.region, name, self._now_ms(), params.get("logGroupClass") or "STANDARD"))
            self._write_tags(tx, ctx, name, params.get("tags") or {})

        await self.db.write(insert)
        return {}

    async def delete_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = _group_name(params)
        key = (ctx.account_id, ctx.region, name)

        def delete(tx):
            if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key):
                raise group_not_found()
            tx.execute("DELETE FROM logs_events WHERE account = ? AND region = ? AND grp = ?", key)
            tx.execute("DELETE FROM logs_streams WHERE account = ? AND region = ? AND grp = ?", key)
            tx.execute("DELETE FROM logs_tags WHERE account = ? AND region = ? AND grp = ?", key)
            tx.execute("DELETE FROM logs_metric_filters WHERE account = ? AND region = ? AND grp = ?", key)
            tx.execute("DELETE FROM logs_subscription_filters WHERE account = ? AND region = ? AND grp = ?", key)
            tx.execute("DELETE FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key)

        await self.db.write(delete, bulk=True)  # every event of the group goes
        self._refresh_subscriptions(key)
        return {}

    async def describe_log_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("logGroupNamePrefix") or ""
        pattern = params.get("logGroupNamePattern")
        if prefix and pattern:  # LocalStack's AWS-validated test_describe_log_groups_prefix_and_pattern_error
            raise InvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        limit = min(int(params.get("limit") or 50), 50)
        start = params.get("nextToken")
        rows = self.db.fetchall(
            "SELECT name, created, retention, class FROM logs_groups WHERE account = ? AND region = ? ORDER BY name",
            (ctx.account_id, ctx.region))
        # logGroupNamePattern is a case-sensitive substring search (API_DescribeLogGroups).
        rows = [r for r in rows if r[0].startswith(prefix) and (not pattern or pattern in r[0])]
        if params.get("logGroupClass"):
            rows = [r for r in rows if r[3] == params["logGroupClass"]]
        if params.get("logGroupIdentifiers"):
            wanted = {_group_name({"logGroupName": g}) for g in params["logGroupIdentifiers"]}
            rows = [r for r in rows if r[0] in wanted]
        if start:
            after = _group_token_name(start)
            rows = [r for r in rows if r[0] > after]
        page = rows[:limit]
        groups = []
        for name, created, retention, group_class in page:
            key = (ctx.account_id, ctx.region, name)
            stored = self.db.fetchone("SELECT COALESCE(SUM(stored), 0) FROM logs_streams WHERE account = ? AND "
                                      "region = ? AND grp = ?", key)
            filters = self.db.fetchone("SELECT COUNT(*) FROM logs_metric_filters WHERE account = ? AND region = ? "
                                       "AND grp = ?", key)
            group: dict[str, Any] = {"logGroupName": name, "creationTime": created,
                                     "metricFilterCount": filters[0] if filters else 0,
                                     "arn": self._group_arn(ctx, name) + ":*", "logGroupArn": self._group_arn(ctx, name),
                                     "storedBytes": stored[0] if stored else 0, "logGroupClass": group_class,
                                     "deletionProtectionEnabled": False}
            if retention is not None:
                group["retentionInDays"] = retention
            if pattern:
                # A pattern's answer leaves out the sizes and settings (LocalStack's AWS-validated
                # test_describe_log_groups_with_pattern; the API reference names only three).
                group = {k: group[k] for k in ("logGroupName", "creationTime", "arn", "logGroupArn", "logGroupClass",
                                               "metricFilterCount")}
            groups.append(group)
        out: dict[str, Any] = {"logGroups": groups}
        if len(rows) > limit:
            out["nextToken"] = base64.urlsafe_b64encode(page[-1][0].encode()).decode()
        return out

    async def list_log_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The newer listing: names matched by a regular expression (the model allows only name
        characters, '^' and up to five '|' alternatives), the class, and tags; 50 a page unless
        asked otherwise. Overcast's groups have no data sources or field indexes, so a filter on
        either matches none."""
        pattern = params.get("logGroupNamePattern")
        regex = re.compile(pattern) if pattern else None
        limit = int(params.get("limit") or 50)
        rows = self.db.fetchall("SELECT name, class FROM logs_groups WHERE account = ? AND region = ? ORDER BY name",
                                (ctx.account_id, ctx.region))
        rows = [r for r in rows if (regex is None or regex.search(r[0]))
                and (not params.get("logGroupClass") or r[1] == params["logGroupClass"])]
        if params.get("dataSources") or params.get("fieldIndexNames"):
            rows = []
        for tag_filter in params.get("logGroupTags") or []:
            values = tag_filter.get("values") or []
            tagged = {grp for grp, value in self.db.fetchall(
                "SELECT grp, value FROM logs_tags WHERE account = ? AND region = ? AND key = ?",
                (ctx.account_id, ctx.region, tag_filter["key"])) if not values or value in values}
            rows = [r for r in rows if r[0] in tagged]
        if params.get("nextToken"):
            after = _group_token_name(params["nextToken"])
            rows = [r for r in rows if r[0] > after]
        page = rows[:limit]
        out: dict[str, Any] = {"logGroups": [{"logGroupName": name, "logGroupArn": self._group_arn(ctx, name),
                                              "logGroupClass": group_class} for name, group_class in page]}
        if len(rows) > limit:
            out["nextToken"] = base64.urlsafe_b64encode(page[-1][0].encode()).decode()
        return out

    async def put_retention_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        days = params.get("retentionInDays")
        if days not in RETENTION_DAYS:
            raise InvalidParameter(f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                                   "satisfy constraint: Member must satisfy enum value set: "
                                   f"[{', '.join(str(d) for d in RETENTION_DAYS)}]")
        return await self._set_retention(ctx, _group_name(params), days)

    async def delete_retention_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_retention(ctx, _group_name(params), None)

    async def _set_retention(self, ctx: RequestContext, name: str, days: int | None) -> dict[str, Any]:
        def update(tx):
            cur = tx.execute("UPDATE logs_groups SET retention = ? WHERE account = ? AND region = ? AND name = ?",
                             (days, ctx.account_id, ctx.region, name))
            if cur.rowcount == 0:
                raise group_not_found()

        await self.db.write(update)
        return {}

    # -- streams ------------------------------------------------------------------------------

    async def create_log_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group, name = _group_name(params), params["logStreamName"]
        if ":" in name or "*" in name:
            raise InvalidParameter(f"1 validation error detected: Value '{name}' at 'logStreamName' failed to "
                                   "satisfy constraint: Member must satisfy regular expression pattern: [^:*]*")

        def insert(tx):
            _tx_require_group(tx, ctx, group)
            if tx.fetchone("SELECT 1 FROM logs_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                           (ctx.account_id, ctx.region, group, name)):
                raise ResourceAlreadyExists("The specified log stream already exists")
            tx.execute("INSERT INTO logs_streams (account, region, grp, name, created) VALUES (?, ?, ?, ?, ?)",
                       (ctx.account_id, ctx.region, group, name, self._now_ms()))

        await self.db.write(insert)
        return {}

    async def delete_log_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = (ctx.account_id, ctx.region, _group_name(params), params["logStreamName"])

        def delete(tx):
            cur = tx.execute("DELETE FROM logs_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                             key)
            if cur.rowcount == 0:
                if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key[:3]):
                    raise group_not_found()
                raise stream_not_found()
            tx.execute("DELETE FROM logs_events WHERE account = ? AND region = ? AND grp = ? AND stream = ?", key)

        await self.db.write(delete, bulk=True)  # every event of the stream goes
        return {}

    async def describe_log_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("logGroupName") and params.get("logGroupIdentifier"):
            # LocalStack's AWS-validated test_describe_log_streams_with_log_group_identifier.
            raise Validation("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        group = _group_name(params)
        self._require_group(ctx, group)
        prefix = params.get("logStreamNamePrefix") or ""
        by_time = params.get("orderBy") == "LastEventTime"
        if by_time and prefix:
            raise InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        rows = self.db.fetchall(
            "SELECT name, created, first_ts, last_ts, last_ingest, stored FROM logs_streams "
            "WHERE account = ? AND region = ? AND grp = ?", (ctx.account_id, ctx.region, group))
        rows = [r for r in rows if r[0].startswith(prefix)]
        rows.sort(key=(lambda r: (r[3] or 0, r[0])) if by_time else (lambda r: r[0]),
                  reverse=bool(params.get("descending")))
        start = _untoken(params["nextToken"]) if params.get("nextToken") else 0
        limit = min(int(params.get("limit") or 50), 50)
        streams = []
        for name, created, first_ts, last_ts, last_ingest, stored in rows[start:start + limit]:
            stream: dict[str, Any] = {"logStreamName": name, "creationTime": created, "storedBytes": stored,
                                      "arn": f"{self._group_arn(ctx, group)}:log-stream:{name}"}
            if first_ts is not None:
                stream.update(firstEventTimestamp=first_ts, lastEventTimestamp=last_ts,
                              lastIngestionTime=last_ingest, uploadSequenceToken="1")
            streams.append(stream)
        out: dict[str, Any] = {"logStreams": streams}
        if start + limit < len(rows):
            out["nextToken"] = _token(start + limit)
        return out

    # -- events -------------------------------------------------------------------------------

    async def put_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group, stream = _group_name(params), params["logStreamName"]
        events = params.get("logEvents") or []
        if not events:
            raise InvalidParameter("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy "
                                   "constraint: Member must have length greater than or equal to 1")
        if len(events) > MAX_EVENTS:
            raise InvalidParameter("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
                                   "Member must have length less than or equal to 10000")
        stamps = [int(e["timestamp"]) for e in events]
        if stamps != sorted(stamps):
            raise InvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
        trusted = bool(ctx.extra.get("internal"))  # Lambda's and API Gateway's own deliveries
        if stamps[-1] - stamps[0] > MAX_SPAN_MS and not trusted:
            raise InvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than "
                                   "24 hours.")
        # The batch's size: every message's UTF-8 bytes plus 26 bytes for each event.
        size = sum(len(e["message"].encode()) + 26 for e in events)
        if size > MAX_BATCH_BYTES and not trusted:
            raise InvalidParameter(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
        ingest = self._now_ms()
        # The windows are judged by the wall clock, which the clients' timestamps come from: a
        # server clock moved by /_overcast/clock must not drop events stamped with real time.
        wall = int(time.time() * 1000)
        key = (ctx.account_id, ctx.region, group, stream)
        rejected: dict[str, int] = {}
        # Only a group with subscription filters pays for them (an in-memory lookup otherwise).
        subscriptions = self.subscriptions_of(*key[:3])

        def insert(tx):
            group_row = tx.fetchone("SELECT retention FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                                    key[:3])
            if group_row is None:
                raise group_not_found()
            if not tx.fetchone("SELECT 1 FROM logs_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                               key):
                raise stream_not_found()
            first, end = 0, len(events)
            if not trusted:
                # Events outside the window are dropped, the rest stored; the answer says which
                # (RejectedLogEventsInfo: the "too old" and "expired" ends are exclusive, the
                # "too new" start inclusive). Events are in order, so each set is a run at one end.
                too_old = sum(ts < wall - TOO_OLD_MS for ts in stamps)
                if too_old:
                    rejected["tooOldLogEventEndIndex"] = too_old
                if group_row[0] is not None:
                    expired = sum(ts < wall - group_row[0] * 86400 * 1000 for ts in stamps)
                    if expired:
                        rejected["expiredLogEventEndIndex"] = expired
                    too_old = max(too_old, expired)
                too_new = next((i for i, ts in enumerate(stamps) if ts > wall + TOO_NEW_MS), len(stamps))
                if too_new < len(stamps):
                    rejected["tooNewLogEventStartIndex"] = too_new
                first, end = too_old, max(too_old, too_new)
            kept = events[first:end]
            if not kept:
                return
            before = tx.fetchone("SELECT COALESCE(MAX(seq), 0) FROM logs_events")[0] if subscriptions else 0
            tx.executemany("INSERT INTO logs_events (account, region, grp, stream, ts, ingest, message) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(*key, int(e["timestamp"]), ingest, e["message"]) for e in kept])
            if subscriptions:
                # The events as stored (their sequence is the id FilterLogEvents gives them too),
                # queued for delivery in this same transaction: acknowledged means on its way.
                stored = tx.fetchall("SELECT seq, ts, message FROM logs_events WHERE seq > ? ORDER BY seq", (before,))
                self.outbox.tx_enqueue(tx, *key, subscriptions, stored)
            # storedBytes counts each message's UTF-8 bytes plus 26 bytes of overhead per event.
            size = sum(len(e["message"].encode()) + 26 for e in kept)
            low, high = int(kept[0]["timestamp"]), int(kept[-1]["timestamp"])
            tx.execute("UPDATE logs_streams SET first_ts = MIN(COALESCE(first_ts, ?), ?), "
                       "last_ts = MAX(COALESCE(last_ts, ?), ?), "
                       "last_ingest = ?, stored = stored + ? WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                       (low, low, high, high, ingest, size, *key))

        await self.db.write(insert)
        out: dict[str, Any] = {"nextSequenceToken": "1"}
        if rejected:
            out["rejectedLogEventsInfo"] = rejected
        return out

    async def get_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group, stream = _group_name(params), params["logStreamName"]
        self._require_group(ctx, group)
        key = (ctx.account_id, ctx.region, group, stream)
        if not self.db.fetchone("SELECT 1 FROM logs_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                                key):
            raise stream_not_found()
        limit = min(int(params.get("limit") or MAX_EVENTS), MAX_EVENTS)
        where = "account = ? AND region = ? AND grp = ? AND stream = ?"
        args: list[Any] = list(key)
        if params.get("startTime") is not None:
            where += " AND ts >= ?"
            args.append(int(params["startTime"]))
        if params.get("endTime") is not None:
            where += " AND ts < ?"
            args.append(int(params["endTime"]))
        token = params.get("nextToken") or ""
        if token and not _EVENT_TOKEN.fullmatch(token):
            raise InvalidParameter("The specified nextToken is invalid.")
        forward = bool(params.get("startFromHead"))
        # A token is a place in the stream's (timestamp, arrival) order, the order events are
        # read in, so that an event that arrived late with an older timestamp is not skipped.
        place = _event_place(token[2:]) if token else (0, 0)
        if token.startswith("f/"):
            where += " AND (ts > ? OR (ts = ? AND seq > ?))"
            args.extend((place[0], place[0], place[1]))
            forward = True
        elif token.startswith("b/"):
            where += " AND (ts < ? OR (ts = ? AND seq < ?))"
            args.extend((place[0], place[0], place[1]))
            forward = False
        order = "ASC" if forward else "DESC"
        rows = self.db.fetchall(f"SELECT seq, ts, ingest, message FROM logs_events WHERE {where} "
                                f"ORDER BY ts {order}, seq {order} LIMIT ?", (*args, limit))
        if not forward:
            rows.reverse()
        events = [{"timestamp": ts, "message": message, "ingestionTime": ingest} for _, ts, ingest, message in rows]
        if rows:
            first, last = (rows[0][1], rows[0][0]), (rows[-1][1], rows[-1][0])
        else:
            # At either end AWS gives back the token it was given.
            last = place if token.startswith("f/") else (0, 0)
            first = place if token.startswith("b/") else (0, 0)
        return {"events": events, "nextForwardToken": "f/" + _event_token(*last),
                "nextBackwardToken": "b/" + _event_token(*first)}

    async def filter_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = _group_name(params)
        self._require_group(ctx, group)
        where = "account = ? AND region = ? AND grp = ?"
        args: list[Any] = [ctx.account_id, ctx.region, group]
        if params.get("logStreamNames"):
            where += f" AND stream IN ({', '.join('?' for _ in params['logStreamNames'])})"
            args.extend(params["logStreamNames"])
        if params.get("startTime") is not None:
            where += " AND ts >= ?"
            args.append(int(params["startTime"]))
        if params.get("endTime") is not None:
            where += " AND ts <= ?"
            args.append(int(params["endTime"]))
        if params.get("nextToken"):
            # Resume after the last event returned, in (timestamp, arrival) order.
            after_ts, after_seq = _unfilter_token(params["nextToken"])
            where += " AND (ts > ? OR (ts = ? AND seq > ?))"
            args.extend((after_ts, after_ts, after_seq))
        prefix = params.get("logStreamNamePrefix") or ""
        try:
            matches = compile_pattern(params.get("filterPattern"))
        except InvalidFilterPattern as exc:
            raise InvalidParameter(str(exc)) from None
        limit = min(int(params.get("limit") or MAX_EVENTS), MAX_EVENTS)
        events: list[dict[str, Any]] = []
        last: tuple[int, int] | None = None
        more = False
        # Events of all streams come interleaved in timestamp order (ties in order of arrival),
        # as AWS gives them and as `aws logs tail` prints them; the token is the last one's place.
        for seq, stream, ts, ingest, message in self.db.fetchall(
                f"SELECT seq, stream, ts, ingest, message FROM logs_events WHERE {where} ORDER BY ts, seq", args):
            if not stream.startswith(prefix) or not matches(message):
                continue
            if len(events) == limit:
                more = True
                break
            events.append({"logStreamName": stream, "timestamp": ts, "message": message, "ingestionTime": ingest,
                           "eventId": f"{seq:056d}"})
            last = (ts, seq)
        out: dict[str, Any] = {"events": events, "searchedLogStreams": []}
        if more and last is not None:
            out["nextToken"] = base64.urlsafe_b64encode(f"{last[0]}:{last[1]}".encode()).decode()
        return out

    # -- tags ---------------------------------------------------------------------------------

    def _write_tags(self, tx, ctx: RequestContext, group: str, tags: dict[str, str]) -> None:
        tx.executemany("INSERT OR REPLACE INTO logs_tags (account, region, grp, key, value) VALUES (?, ?, ?, ?, ?)",
                       [(ctx.account_id, ctx.region, group, k, v) for k, v in tags.items()])

    async def _tag(self, ctx: RequestContext, group: str, tags: dict[str, str],
                   arn: str | None = None) -> dict[str, Any]:
        def write(tx):
            _tx_require_group(tx, ctx, group)
            self._write_tags(tx, ctx, group, tags)
            if arn is not None:
                # A resource holds at most 50 tags, those it had included (TagResource's
                # TooManyTagsException); the write is rolled back with the error.
                count = tx.fetchone("SELECT count(*) FROM logs_tags WHERE account = ? AND region = ? AND grp = ?",
                                    (ctx.account_id, ctx.region, group))[0]
                if count > MAX_TAGS:
                    raise TooManyTags("A resource can have no more than 50 tags.", resourceName=arn)

        await self.db.write(write)
        return {}

    async def _untag(self, ctx: RequestContext, group: str, keys: list[str]) -> dict[str, Any]:
        def write(tx):
            _tx_require_group(tx, ctx, group)
            tx.executemany("DELETE FROM logs_tags WHERE account = ? AND region = ? AND grp = ? AND key = ?",
                           [(ctx.account_id, ctx.region, group, k) for k in keys])

        await self.db.write(write)
        return {}

    def test_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The messages a pattern matches, by their index in the request, with the fields a
        space-delimited pattern extracts (the API reference's examples)."""
        try:
            extract = compile_extractor(params["filterPattern"])
        except InvalidFilterPattern as exc:
            raise InvalidParameter(str(exc)) from None
        matches = []
        for number, message in enumerate(params["logEventMessages"]):
            values = extract(message)
            if values is not None:
                matches.append({"eventNumber": number, "eventMessage": message, "extractedValues": values})
        return {"matches": matches}

    def _list_tags(self, ctx: RequestContext, group: str) -> dict[str, Any]:
        self._require_group(ctx, group)
        rows = self.db.fetchall("SELECT key, value FROM logs_tags WHERE account = ? AND region = ? AND grp = ? "
                                "ORDER BY key", (ctx.account_id, ctx.region, group))
        return {"tags": dict(rows)}

    def _resource_group(self, ctx: RequestContext, arn: str) -> str:
        """The log group that a resource ARN names. AWS wants the group's ARN without the ":*"
        that DescribeLogGroups' `arn` ends with, and refuses that form as an invalid ARN."""
        prefix = f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:"
        name = arn[len(prefix):] if arn.startswith(prefix) else ""
        if not name or ":" in name:
            raise Validation("Invalid resourceArn")
        return name

    async def tag_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._tag(ctx, params["logGroupName"], params.get("tags") or {})

    async def untag_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._untag(ctx, params["logGroupName"], params.get("tags") or [])

    async def list_tags_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags(ctx, params["logGroupName"])

    async def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["resourceArn"]
        return await self._tag(ctx, self._resource_group(ctx, arn), params.get("tags") or {}, arn=arn)

    async def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._untag(ctx, self._resource_group(ctx, params["resourceArn"]), params.get("tagKeys") or [])

    async def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_tags(ctx, self._resource_group(ctx, params["resourceArn"]))


def _tx_require_group(tx: Any, ctx: RequestContext, group: str) -> None:
    """Inside a write: the group exists (checked in the same transaction as the change)."""
    if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                       (ctx.account_id, ctx.region, group)):
        raise group_not_found()
