"""CloudWatch Logs: log groups and streams, PutLogEvents, GetLogEvents, FilterLogEvents, retention."""

from __future__ import annotations

import base64
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.base import Provider as BaseProvider
from overcast.services.logs.errors import (
    InvalidParameter,
    ResourceAlreadyExists,
    group_not_found,
    stream_not_found,
)
from overcast.services.logs.filters import compile_pattern
from overcast.services.logs.store import MIGRATIONS

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
MAX_EVENTS = 10000


def _token(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode()


def _untoken(token: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("The specified nextToken is invalid.") from None


def _group_name(params: dict[str, Any]) -> str:
    name = params.get("logGroupName") or params.get("logGroupIdentifier") or ""
    if name.startswith("arn:"):
        # arn:aws:logs:region:account:log-group:NAME[:*]
        name = name.split(":log-group:", 1)[-1]
        name = name[:-2] if name.endswith(":*") else name
    return name


class Provider(BaseProvider):
    service = "logs"

    def start(self) -> None:
        self.db.migrate("logs", MIGRATIONS)
        self.runtime.scheduler.every(3600.0, self._expire, first_in=60.0)

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
        if not name or len(name) > 512:
            raise InvalidParameter(f"1 validation error detected: Value '{name}' at 'logGroupName' failed to "
                                   "satisfy constraint: Member must have length less than or equal to 512")

        def insert(tx):
            if tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                           (ctx.account_id, ctx.region, name)):
                raise ResourceAlreadyExists("The specified log group already exists")
            tx.execute("INSERT INTO logs_groups (account, region, name, created) VALUES (?, ?, ?, ?)",
                       (ctx.account_id, ctx.region, name, self._now_ms()))

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
            tx.execute("DELETE FROM logs_groups WHERE account = ? AND region = ? AND name = ?", key)

        await self.db.write(delete, bulk=True)  # every event of the group goes
        return {}

    async def describe_log_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("logGroupNamePrefix") or ""
        pattern = params.get("logGroupNamePattern")
        limit = min(int(params.get("limit") or 50), 50)
        start = params.get("nextToken")
        rows = self.db.fetchall(
            "SELECT name, created, retention FROM logs_groups WHERE account = ? AND region = ? ORDER BY name",
            (ctx.account_id, ctx.region))
        rows = [r for r in rows if r[0].startswith(prefix) and (not pattern or pattern.lower() in r[0].lower())]
        if params.get("logGroupIdentifiers"):
            wanted = {_group_name({"logGroupName": g}) for g in params["logGroupIdentifiers"]}
            rows = [r for r in rows if r[0] in wanted]
        if start:
            after = base64.urlsafe_b64decode(start.encode()).decode()
            rows = [r for r in rows if r[0] > after]
        page = rows[:limit]
        groups = []
        for name, created, retention in page:
            stored = self.db.fetchone("SELECT COALESCE(SUM(stored), 0) FROM logs_streams WHERE account = ? AND "
                                      "region = ? AND grp = ?", (ctx.account_id, ctx.region, name))
            group: dict[str, Any] = {"logGroupName": name, "creationTime": created, "metricFilterCount": 0,
                                     "arn": self._group_arn(ctx, name) + ":*", "logGroupArn": self._group_arn(ctx, name),
                                     "storedBytes": stored[0] if stored else 0, "logGroupClass": "STANDARD"}
            if retention is not None:
                group["retentionInDays"] = retention
            groups.append(group)
        out: dict[str, Any] = {"logGroups": groups}
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
            if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                               (ctx.account_id, ctx.region, group)):
                raise group_not_found()
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
                raise stream_not_found()
            tx.execute("DELETE FROM logs_events WHERE account = ? AND region = ? AND grp = ? AND stream = ?", key)

        await self.db.write(delete, bulk=True)  # every event of the stream goes
        return {}

    async def describe_log_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
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
        ingest = self._now_ms()
        key = (ctx.account_id, ctx.region, group, stream)
        size = sum(len(e["message"].encode()) + 26 for e in events)

        def insert(tx):
            if not tx.fetchone("SELECT 1 FROM logs_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                               key):
                if not tx.fetchone("SELECT 1 FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                                   key[:3]):
                    raise group_not_found()
                raise stream_not_found()
            tx.executemany("INSERT INTO logs_events (account, region, grp, stream, ts, ingest, message) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(*key, int(e["timestamp"]), ingest, e["message"]) for e in events])
            tx.execute("UPDATE logs_streams SET first_ts = COALESCE(first_ts, ?), "
                       "last_ts = CASE WHEN last_ts IS NULL OR last_ts < ? THEN ? ELSE last_ts END, "
                       "last_ingest = ?, stored = stored + ? WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                       (stamps[0], stamps[-1], stamps[-1], ingest, size, *key))

        await self.db.write(insert)
        return {"nextSequenceToken": "1"}

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
        forward = bool(params.get("startFromHead"))
        if token.startswith("f/"):
            where += " AND seq > ?"
            args.append(int(token[2:]))
            forward = True
        elif token.startswith("b/"):
            where += " AND seq < ?"
            args.append(int(token[2:]))
            forward = False
        order = "ASC" if forward else "DESC"
        rows = self.db.fetchall(f"SELECT seq, ts, ingest, message FROM logs_events WHERE {where} "
                                f"ORDER BY ts {order}, seq {order} LIMIT ?", (*args, limit))
        if not forward:
            rows.reverse()
        events = [{"timestamp": ts, "message": message, "ingestionTime": ingest} for _, ts, ingest, message in rows]
        if rows:
            first, last = rows[0][0], rows[-1][0]
        else:
            last = int(token[2:]) if token.startswith("f/") else 0
            first = int(token[2:]) if token.startswith("b/") else 0
        return {"events": events, "nextForwardToken": f"f/{last:056d}", "nextBackwardToken": f"b/{first:056d}"}

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
            where += " AND seq > ?"
            args.append(_untoken(params["nextToken"]))
        prefix = params.get("logStreamNamePrefix") or ""
        matches = compile_pattern(params.get("filterPattern"))
        limit = min(int(params.get("limit") or MAX_EVENTS), MAX_EVENTS)
        events: list[dict[str, Any]] = []
        last_seq = None
        more = False
        # Scan in order of arrival so a nextToken (the last sequence seen) resumes exactly there.
        for seq, stream, ts, ingest, message in self.db.fetchall(
                f"SELECT seq, stream, ts, ingest, message FROM logs_events WHERE {where} ORDER BY seq", args):
            if not stream.startswith(prefix) or not matches(message):
                continue
            if len(events) == limit:
                more = True
                break
            events.append({"logStreamName": stream, "timestamp": ts, "message": message, "ingestionTime": ingest,
                           "eventId": f"{seq:056d}"})
            last_seq = seq
        events.sort(key=lambda e: (e["timestamp"], e["eventId"]))
        out: dict[str, Any] = {"events": events, "searchedLogStreams": []}
        if more and last_seq is not None:
            out["nextToken"] = _token(last_seq)
        return out
