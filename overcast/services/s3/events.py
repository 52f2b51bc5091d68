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
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from overcast.server.context import RequestContext
from overcast.services.s3.errors import InvalidArgument

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


# ---- validation of PutBucketNotificationConfiguration --------------------------------------------

# The event types S3 accepts in a notification configuration (botocore's Event enumeration).
NOTIFICATION_EVENTS = frozenset({
    "s3:ReducedRedundancyLostObject", "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:Replication:*",
    "s3:Replication:OperationFailedReplication", "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectAcl:Put", "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAnnotation:*", "s3:ObjectAnnotation:Put",
    "s3:ObjectAnnotation:Delete", "s3:ObjectRetention:Put",
})


def _events_intersect(first: list[str], second: list[str]) -> bool:
    def covers(pattern: str, event: str) -> bool:
        return pattern == event or (pattern.endswith("*") and event.startswith(pattern[:-1]))
    return any(covers(a, b) or covers(b, a) for a in first for b in second)


def _filter_of(entry: dict[str, Any]) -> tuple[str, str]:
    rules = ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    named = {str(rule.get("Name", "")).lower(): rule.get("Value") or "" for rule in rules}
    return named.get("prefix", ""), named.get("suffix", "")


def validate_notification(config: dict[str, Any]) -> dict[str, Any]:
    """Check a notification configuration as S3 does and return it as S3 stores it: every
    configuration gets an Id when it has none, and filter rule names read Prefix and Suffix.
    """

    stored = json.loads(json.dumps(config))
    for kind, _arn_member in _DESTINATIONS:
        for entry in stored.get(kind) or []:
            for event in entry.get("Events") or []:
                if event not in NOTIFICATION_EVENTS:
                    raise InvalidArgument("The event is not supported for notifications")
            seen: set[str] = set()
            for rule in ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []:
                name = str(rule.get("Name", "")).lower()
                if name not in ("prefix", "suffix"):
                    raise InvalidArgument("filter rule name must be either prefix or suffix",
                                          ArgumentName="FilterRule.Name", ArgumentValue=rule.get("Name", ""))
                if name in seen:
                    raise InvalidArgument(f"Cannot specify more than one {name} rule in a filter.")
                seen.add(name)
                rule["Name"] = name.capitalize()
            if not entry.get("Id"):
                entry["Id"] = str(uuid.uuid4())
    return stored


def refuse_overlaps(config: dict[str, Any]) -> None:
    """Two configurations may share an event type only when their key filters cannot both match
    one key (user guide, "Configuring event notifications using object key name filtering").
    S3 checks this after the destinations: a configuration naming missing functions three times
    over is refused for the functions (test_config_refusals)."""
    entries = [entry for kind, _arn_member in _DESTINATIONS for entry in config.get(kind) or []]
    for index, first in enumerate(entries):
        for second in entries[index + 1:]:
            if not _events_intersect(first.get("Events") or [], second.get("Events") or []):
                continue
            (prefix_a, suffix_a), (prefix_b, suffix_b) = _filter_of(first), _filter_of(second)
            prefixes_overlap = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
            suffixes_overlap = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
            if not (prefixes_overlap and suffixes_overlap):
                continue
            if (prefix_a, suffix_a) == (prefix_b, suffix_b) == ("", ""):
                raise InvalidArgument("Configurations overlap. Configurations on the same bucket cannot share a "
                                      "common event type.")
            raise InvalidArgument("Configuration is ambiguously defined. Cannot have overlapping suffixes in two "
                                  "rules if the prefixes are overlapping for the same event type.")
