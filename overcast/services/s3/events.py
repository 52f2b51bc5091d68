"""S3 event notifications: which configured destinations an object change concerns, and the
event record (AWS's eventVersion 2.1 JSON) written for each, inside the change's transaction.

Delivery is someone else's job: a loop that reads `EventStore.pending()`, hands each payload to
its destination (a Lambda function, SQS queue or SNS topic ARN, or "eventbridge"), and calls
`EventStore.acknowledge()`; what was not acknowledged is delivered again after a restart.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from overcast.server.context import RequestContext

if TYPE_CHECKING:
    from overcast.storage.interface import Tx

_DESTINATIONS = (
    ("LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ("QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "TopicArn"),
)
EVENTBRIDGE = "eventbridge"
_lock = threading.Lock()
_last_sequencer = 0


def next_sequencer() -> str:
    """Strictly increasing across the process and, being time-based, across restarts."""
    global _last_sequencer
    with _lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return f"{_last_sequencer:020X}"


@dataclass(slots=True)
class ChangeContext:
    """Who caused a change, for the event record (taken from the request, kept for the write)."""

    region: str
    request_id: str
    source_ip: str
    principal: str
    account_id: str

    @classmethod
    def of(cls, ctx: RequestContext) -> ChangeContext:
        client = ctx.request.client
        return cls(ctx.region, ctx.request_id, client[0] if client else "127.0.0.1",
                   f"AWS:{ctx.access_key or ctx.account_id}", ctx.account_id)


def _event_matches(patterns: list[str], event_name: str) -> bool:
    full = f"s3:{event_name}"
    return any(p == full or (p.endswith("*") and full.startswith(p[:-1])) for p in patterns)


def _key_matches(entry: dict[str, Any], key: str) -> bool:
    rules = (((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules")) or []
    for rule in rules:
        name, value = str(rule.get("Name", "")).lower(), rule.get("Value") or ""
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


def targets(config_text: str, event_name: str, key: str) -> list[tuple[str, str]]:
    """(configuration id, destination) for every notification rule this change matches."""
    if '"Notification"' not in config_text:  # the common case: no rules, and no JSON parsing
        return []
    config = json.loads(config_text).get("Notification") or {}
    out: list[tuple[str, str]] = []
    for kind, arn_member in _DESTINATIONS:
        for index, entry in enumerate(config.get(kind) or []):
            if _event_matches(entry.get("Events") or [], event_name) and _key_matches(entry, key):
                out.append((entry.get("Id") or f"{kind}-{index}", entry[arn_member]))
    if "EventBridgeConfiguration" in config:
        out.append(("", EVENTBRIDGE))
    return out


def record(change: ChangeContext, event_name: str, bucket: str, owner: str, key: str, sequencer: str,
           configuration_id: str, size: int | None = None, etag: str | None = None, now: float | None = None) -> dict:
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/")}
    if size is not None:
        obj["size"] = size
    if etag is not None:
        obj["eTag"] = etag
    obj["sequencer"] = sequencer
    moment = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": change.region,
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "eventName": event_name,
        "userIdentity": {"principalId": change.principal},
        "requestParameters": {"sourceIPAddress": change.source_ip},
        "responseElements": {"x-amz-request-id": change.request_id, "x-amz-id-2": change.request_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": owner}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }


def enqueue(tx: Tx, config_text: str, change: ChangeContext | None, event_name: str, bucket: str, key: str,
            size: int | None = None, etag: str | None = None, now: float | None = None) -> None:
    """Write the event rows for one change, inside the change's own transaction."""
    if change is None:
        return
    matched = targets(config_text, event_name, key)
    if not matched:
        return
    from overcast.services.s3.upload_store import EventStore

    sequencer = next_sequencer()
    for index, (configuration_id, destination) in enumerate(matched):
        payload = {"Records": [record(change, event_name, bucket, change.account_id, key, sequencer,
                                      configuration_id, size, etag, now)]}
        EventStore.tx_enqueue(tx, f"{sequencer}-{index:02d}", destination, json.dumps(payload))
