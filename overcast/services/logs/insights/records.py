"""What a query sees of one log event: the system fields (@timestamp, @message, @logStream, @log,
@ingestionTime, @ptr) and the fields Insights discovers in it (the "Supported logs and
discovered fields" page): a JSON message's fields flattened with dots (a.b.c, arrays by index:
a.0.b; a key that starts with @ gets a second one, @@example.com), and in Lambda's log groups
the first JSON fragment embedded in a line, and the START, END and REPORT lines' @type,
@requestId, @duration, @billedDuration, @memorySize, @maxMemoryUsed and @initDuration, the
sizes in bytes (the query examples page divides @memorySize by 1000 twice for MB)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from overcast.protocol import jsoncodec
from overcast.services.logs.insights.values import Timestamp

LAMBDA_GROUP_PREFIX = "/aws/lambda/"
_REQUEST_ID = re.compile(r"RequestId: (\S+)")
# REPORT's "Name: value unit" parts and the field each becomes; megabytes become bytes.
_REPORT_PARTS = {"Duration": ("@duration", 1), "Billed Duration": ("@billedDuration", 1),
                 "Memory Size": ("@memorySize", 1000 * 1000), "Max Memory Used": ("@maxMemoryUsed", 1000 * 1000),
                 "Init Duration": ("@initDuration", 1)}
_REPORT_PART = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([\d.]+)")
MAX_JSON_FIELDS = 200  # "no more than 200 log event fields" (the parse page)
_DECODER = json.JSONDecoder()


def pointer(account: str, region: str, group: str, seq: int) -> str:
    """@ptr: where the event lives, for GetLogRecord; opaque to the caller, as AWS's is."""
    raw = json.dumps([account, region, group, seq], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Pointer:
    """@ptr, written out only for the rows a query returns (most events never need it)."""

    __slots__ = ("place",)

    def __init__(self, account: str, region: str, group: str, seq: int):
        self.place = (account, region, group, seq)

    def __str__(self) -> str:
        return pointer(*self.place)


def read_pointer(text: str) -> tuple[str, str, str, int] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        account, region, group, seq = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not (isinstance(account, str) and isinstance(region, str) and isinstance(group, str) and type(seq) is int):
        return None
    if not 0 < seq < 2**63:  # no event's sequence number (nor one SQLite can hold)
        return None
    return account, region, group, seq


def event_record(account: str, region: str, group: str, seq: int, stream: str, ts: int, ingest: int,
                 message: str) -> dict[str, Any]:
    record: dict[str, Any] = {"@timestamp": Timestamp(ts), "@message": message, "@logStream": stream,
                              "@log": f"{account}:{group}", "@ingestionTime": Timestamp(ingest)}
    lambda_group = group.startswith(LAMBDA_GROUP_PREFIX)
    if message.lstrip().startswith("{"):
        _add_json_fields(record, message, 0)
    elif lambda_group and "{" in message:
        _add_json_fields(record, message, message.index("{"))
    if lambda_group:
        _add_lambda_fields(record, message)
    record["@ptr"] = Pointer(account, region, group, seq)
    return record


def _add_json_fields(record: dict[str, Any], message: str, start: int) -> None:
    try:
        if start:  # a fragment inside a Lambda line: "[INFO] <time> <request id> {...}"
            document, _ = _DECODER.raw_decode(message, start)
        else:
            document = jsoncodec.loads(message)
    except ValueError:
        return
    if not isinstance(document, dict):
        return
    todo: list[tuple[str, Any]] = [("@" + k if k.startswith("@") else k, v) for k, v in reversed(document.items())]
    added = 0
    while todo and added < MAX_JSON_FIELDS:
        name, value = todo.pop()
        if isinstance(value, dict):
            todo.extend((f"{name}.{k}", v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            todo.extend((f"{name}.{i}", v) for i, v in reversed(list(enumerate(value))))
        elif value is not None:
            record.setdefault(name, value)
            added += 1


def _add_lambda_fields(record: dict[str, Any], message: str) -> None:
    kind = message.split(" ", 1)[0]
    if kind not in ("START", "END", "REPORT"):
        return
    request = _REQUEST_ID.search(message)
    if request is None:
        return
    record["@type"] = kind
    record["@requestId"] = request.group(1)
    if kind == "REPORT":
        for name, amount in _REPORT_PART.findall(message):
            field, scale = _REPORT_PARTS[name]
            number = float(amount) * scale
            record[field] = int(number) if number.is_integer() else number
