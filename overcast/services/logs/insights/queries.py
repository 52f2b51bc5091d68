"""StartQuery, GetQueryResults, StopQuery, DescribeQueries, GetLogRecord and GetLogGroupFields.

A query is compiled when it is started (a malformed one is refused there, as AWS refuses it),
then run on a worker thread, reading the events of its time range from `logs_events` page by
page, newest first, group by group merged in time order. It is Scheduled until it runs,
Running while it reads, then Complete (or Cancelled by StopQuery). Queries and their results
live in memory, as AWS keeps them only for a while (7 days here); `--logs-query-seconds` keeps
each Scheduled for that many seconds of Overcast's clock (0 by default), so that a test can hold
queries in flight and release them by moving the clock."""

from __future__ import annotations

import heapq
import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.logs.errors import InvalidParameter, LimitExceeded, ResourceNotFound, group_not_found
from overcast.services.logs.insights.evaluator import Counters, Plan, plan, run
from overcast.services.logs.insights.parser import Source, parse_query
from overcast.services.logs.insights.records import event_record, read_pointer
from overcast.services.logs.insights.values import Timestamp, to_text

log = logging.getLogger(__name__)

MAX_CONCURRENT = 100  # "up to 100 concurrent CloudWatch Logs insights queries" (API_StartQuery)
KEPT_MS = 7 * 86400 * 1000  # how long a query's results are kept (the Logs quotas page)
PAGE = 500  # events read per statement
_ACTIVE = ("Scheduled", "Running")
# The model lets startTime and endTime be any long; in milliseconds the time range stops at
# SQLite's largest integer, past every event (a far endTime means "up to now and beyond").
_LATEST_MS = 2**63 - 1
# Words of ours where no answer of AWS's has been recorded: the time range, the choice of
# groups, an unknown query id, a pointer that is no pointer or names no event, the quota.
END_BEFORE_START = "The end time of the query must not be before its start time."
ONE_GROUP_PARAMETER = "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified."
QUERY_NOT_FOUND = "The specified query could not be found."
BAD_POINTER = "The specified logRecordPointer is invalid."
RECORD_NOT_FOUND = "The specified log record does not exist."
TOO_MANY_QUERIES = f"Account maximum query concurrency limit of [{MAX_CONCURRENT}] reached."


class _Cancelled(Exception):
    pass


@dataclass
class QueryRun:
    id: str
    account: str
    region: str
    groups: list[str]
    query_string: str
    start_ms: int
    end_ms: int
    limit: int | None
    plan: Plan
    created: int
    status: str = "Scheduled"
    results: list[list[dict[str, str]]] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    cancelled: bool = False


def _group_from_identifier(identifier: str) -> str:
    if identifier.startswith("arn:"):
        identifier = identifier.split(":log-group:", 1)[-1]
        identifier = identifier[:-2] if identifier.endswith(":*") else identifier
    return identifier


def _missing_group(name: str, account: str) -> ResourceNotFound:
    # StartQuery names the group and account, in the words of AWS's Java service, its SDK's
    # tail included (LocalStack's AWS-validated test_start_query_log_group_not_found).
    return ResourceNotFound(f"Log group '{name}' does not exist for account ID '{account}' (Service: AWSLogs; "
                            f"Status Code: 400; Error Code: ResourceNotFoundException; Request ID: {uuid.uuid4()}; "
                            f"Proxy: null)")


class QueriesMixin:
    _query_runs: dict[str, QueryRun]
    _query_lock: threading.Lock
    _query_workers: ThreadPoolExecutor | None = None

    def _queries_start(self) -> None:
        self._query_runs = {}
        self._query_lock = threading.Lock()

    def _queries_stop(self) -> None:
        with self._query_lock:
            for query in self._query_runs.values():
                query.cancelled = True
        if self._query_workers is not None:
            self._query_workers.shutdown(wait=False, cancel_futures=True)

    # -- StartQuery -------------------------------------------------------------------------

    async def start_query(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        given = [key for key in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(key)]
        start, end = int(params["startTime"]), int(params["endTime"])
        if end < start:
            raise InvalidParameter(END_BEFORE_START)
        parsed = parse_query(params["queryString"])
        # Exactly one of the three parameters, or a SOURCE command in the query (API_StartQuery).
        if len(given) > 1 or (not given and parsed.source is None):
            raise InvalidParameter(ONE_GROUP_PARAMETER)
        if given:
            raw = params[given[0]]
            # A group named twice (or by name and by ARN) is read once.
            groups = list(dict.fromkeys(_group_from_identifier(name) for name in ([raw] if isinstance(raw, str) else raw)))
            for name in groups:
                if self._group(ctx, name) is None:  # type: ignore[attr-defined]
                    raise _missing_group(name, ctx.account_id)
        else:
            groups = self._source_groups(ctx, parsed.source)  # type: ignore[arg-type]
        commands = parsed.commands
        now = self._now_ms()  # type: ignore[attr-defined]
        query = QueryRun(id=str(uuid.uuid4()), account=ctx.account_id, region=ctx.region, groups=groups,
                         query_string=parsed.body, start_ms=min(start * 1000, _LATEST_MS),
                         end_ms=min(end * 1000 + 999, _LATEST_MS),
                         limit=params.get("limit"), plan=plan(commands), created=now)
        with self._query_lock:
            for old in [q for q in self._query_runs.values() if q.created < now - KEPT_MS]:
                del self._query_runs[old.id]
            active = sum(1 for q in self._query_runs.values()
                         if q.account == ctx.account_id and q.region == ctx.region and q.status in _ACTIVE)
            if active >= MAX_CONCURRENT:
                raise LimitExceeded(TOO_MANY_QUERIES)
            self._query_runs[query.id] = query
        delay = float(getattr(self.config, "logs_query_seconds", 0.0) or 0.0)  # type: ignore[attr-defined]
        if delay > 0:
            self.runtime.scheduler.at(now / 1000 + delay, lambda _: self._submit(query))  # type: ignore[attr-defined]
        else:
            self._submit(query)
        return {"queryId": query.id}

    def _source_groups(self, ctx: RequestContext, source: Source) -> list[str]:
        """The groups a SOURCE command selects: by name prefix (all without one) and class
        (Standard unless named); another account's groups are not this account's to query."""
        if source.accounts and ctx.account_id not in source.accounts:
            return []
        classes = {c.upper().replace(" ", "_") for c in source.classes} or {"STANDARD"}
        rows = self.db.fetchall("SELECT name, class FROM logs_groups WHERE account = ? AND region = ? "  # type: ignore[attr-defined]
                                "ORDER BY name", (ctx.account_id, ctx.region))
        return [name for name, group_class in rows if group_class in classes
                and (not source.prefixes or any(name.startswith(p) for p in source.prefixes))]

    def _submit(self, query: QueryRun) -> None:
        """Hand the query to a worker (from a request, or from the scheduler's thread)."""
        with self._query_lock:
            if self._query_workers is None:
                self._query_workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="logs-insights")
            workers = self._query_workers
        try:
            workers.submit(self._execute, query)
        except RuntimeError:  # shutting down
            pass

    def _execute(self, query: QueryRun) -> None:
        with self._query_lock:
            if query.status != "Scheduled":
                return
            query.status = "Running"
        try:
            results = run(query.plan, self._events(query), query.counters, query.limit)
        except _Cancelled:
            return
        except Exception:  # a fault of ours: the query says Failed rather than running forever
            log.exception("Logs Insights query %s failed", query.id)
            with self._query_lock:
                query.status = "Failed" if query.status == "Running" else query.status
            return
        with self._query_lock:
            if query.status == "Running":
                query.results, query.status = results, "Complete"

    def _events(self, query: QueryRun) -> Iterator[dict[str, Any]]:
        """The events of the query's groups and time range, newest first, streamed by pages."""
        streams = [self._group_events(query.account, query.region, group, query.start_ms, query.end_ms, query)
                   for group in query.groups]
        for _, _, record in heapq.merge(*streams):
            yield record

    def _group_events(self, account: str, region: str, group: str, start_ms: int, end_ms: int,
                      query: QueryRun | None = None) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """One group's events in [start_ms, end_ms], newest first, a page per statement; a
        query's are cut short when it is stopped."""
        before: tuple[int, int] | None = None
        while True:
            if query is not None and query.cancelled:
                raise _Cancelled()
            sql = ("SELECT seq, stream, ts, ingest, message FROM logs_events WHERE account = ? AND region = ? "
                   "AND grp = ? AND ts >= ? AND ts <= ?")
            args: list[Any] = [account, region, group, start_ms, end_ms]
            if before is not None:
                sql += " AND (ts < ? OR (ts = ? AND seq < ?))"
                args.extend((before[0], before[0], before[1]))
            rows = self.db.fetchall(sql + " ORDER BY ts DESC, seq DESC LIMIT ?",  # type: ignore[attr-defined]
                                    (*args, PAGE))
            for seq, stream, ts, ingest, message in rows:
                # Sorted by (-ts, -seq): heapq.merge gives the newest first across groups.
                yield -ts, -seq, event_record(account, region, group, seq, stream, ts, ingest, message)
            if len(rows) < PAGE:
                return
            before = (rows[-1][2], rows[-1][0])

    # -- results and the list ---------------------------------------------------------------

    def _query_run(self, ctx: RequestContext, query_id: str) -> QueryRun:
        query = self._query_runs.get(query_id)
        if query is None or query.account != ctx.account_id or query.region != ctx.region:
            raise ResourceNotFound(QUERY_NOT_FOUND)
        return query

    def get_query_results(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        query = self._query_run(ctx, params["queryId"])
        with self._query_lock:
            status, results, counters = query.status, query.results, query.counters
            statistics = {"recordsMatched": float(counters.matched), "recordsScanned": float(counters.scanned),
                          "bytesScanned": float(counters.bytes)}
        out: dict[str, Any] = {"queryLanguage": "CWLI", "status": status, "statistics": statistics}
        start = 0
        if params.get("nextToken"):
            try:
                start = int(params["nextToken"])
            except ValueError:
                raise InvalidParameter("The specified nextToken is invalid.") from None
        size = int(params.get("maxItems") or 10000)
        out["results"] = results[start:start + size]
        if start + size < len(results):
            out["nextToken"] = str(start + size)
        return out

    def stop_query(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        query = self._query_run(ctx, params["queryId"])
        with self._query_lock:
            if query.status not in _ACTIVE:
                return {"success": False}  # it had already ended
            query.cancelled, query.status = True, "Cancelled"
        return {"success": True}

    def describe_queries(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = params.get("logGroupName")
        with self._query_lock:
            queries = [q for q in self._query_runs.values() if q.account == ctx.account_id and q.region == ctx.region
                       and (group is None or group in q.groups)
                       and (not params.get("status") or q.status == params["status"])
                       # Only Logs Insights QL runs here; asking for SQL or PPL queries finds none.
                       and params.get("queryLanguage", "CWLI") == "CWLI"]
        queries.sort(key=lambda q: q.created, reverse=True)
        start = 0
        if params.get("nextToken"):
            try:
                start = int(params["nextToken"])
            except ValueError:
                raise InvalidParameter("The specified nextToken is invalid.") from None
        size = int(params.get("maxResults") or 1000)
        page = queries[start:start + size]
        out: dict[str, Any] = {"queries": [_described(q) for q in page]}
        if start + size < len(queries):
            out["nextToken"] = str(start + size)
        return out

    # -- records and fields -----------------------------------------------------------------

    def get_log_record(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        place = read_pointer(params["logRecordPointer"])
        if place is None:
            raise InvalidParameter(BAD_POINTER)
        account, region, group, seq = place
        row = None
        if (account, region) == (ctx.account_id, ctx.region):
            row = self.db.fetchone(  # type: ignore[attr-defined]
                "SELECT stream, ts, ingest, message FROM logs_events WHERE seq = ? AND account = ? AND region = ? "
                "AND grp = ?", (seq, account, region, group))
        if row is None:
            raise ResourceNotFound(RECORD_NOT_FOUND)
        record = event_record(account, region, group, seq, *row)
        record.pop("@ptr")
        # The record gives every field; its times as epoch milliseconds (API_GetLogRecord's example).
        return {"logRecord": {name: str(int(value)) if isinstance(value, Timestamp) else to_text(value)
                              for name, value in record.items()}}

    def get_log_group_fields(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("logGroupName") and params.get("logGroupIdentifier"):
            raise InvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        group = _group_from_identifier(params.get("logGroupName") or params.get("logGroupIdentifier") or "")
        if self._group(ctx, group) is None:  # type: ignore[attr-defined]
            raise group_not_found()
        # Around `time` 8 minutes each way, else the last 15 minutes (API_GetLogGroupFields).
        if params.get("time") is not None:
            # (Any long, as the model allows: held to SQLite's integers, past every event.)
            low = min((int(params["time"]) - 480) * 1000, _LATEST_MS)
            high = min((int(params["time"]) + 480) * 1000, _LATEST_MS)
        else:
            high = self._now_ms()  # type: ignore[attr-defined]
            low = high - 15 * 60 * 1000
        counts: dict[str, int] = {}
        total = 0
        for _, _, record in self._group_events(ctx.account_id, ctx.region, group, low, high):
            total += 1
            for name in record:
                if name != "@ptr":
                    counts[name] = counts.get(name, 0) + 1
        # Most frequent first (get-log-group-fields: "sorted by the frequency percentage, starting
        # with the highest percentage"), then by name.
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return {"logGroupFields": [{"name": name, "percent": round(100 * count / total)} for name, count in ordered]}


def _described(query: QueryRun) -> dict[str, Any]:
    # DescribeQueries gives the query as AWS ran it: its groups and time range in a SOURCE
    # command before it (LocalStack's AWS-validated test_describe_queries).
    sources = " ".join(f'"{group}"' for group in query.groups)
    text = f"SOURCE {sources} START={query.start_ms} END={query.end_ms} | {query.query_string}"
    described = {"queryLanguage": "CWLI", "queryId": query.id, "queryString": text, "status": query.status,
                 "createTime": query.created}
    if query.groups:
        described["logGroupName"] = query.groups[0]
    return described
