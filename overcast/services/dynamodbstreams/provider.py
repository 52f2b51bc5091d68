"""DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator, GetRecords.

Each stream has one shard; records live in the dynamodb schema (written by the dynamodb
provider in the same transaction as each change), so this provider only reads.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.base import Provider as BaseProvider
from overcast.services.dynamodb import codec, store, streams
from overcast.services.dynamodb.requests import checked_limit
from overcast.services.dynamodbstreams.errors import (
    ExpiredIteratorException,
    ResourceNotFoundException,
    TrimmedDataAccessException,
    ValidationException,
)

ITERATOR_LIFETIME = 15 * 60
_ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


def shard_id(stream_arn: str, created: float) -> str:
    return f"shardId-{int(created * 1000):020d}-{hashlib.sha1(stream_arn.encode()).hexdigest()[:8]}"



def _shard_start(first: int | None, last: int | None) -> int:
    """The shard's StartingSequenceNumber: just before its oldest record kept, as AWS numbers its
    first record after the shard's start (LocalStack's AWS-validated
    test_dynamodb_stream_records_with_update_item asserts insert > starting); with every record
    trimmed, the last one trimmed (0 before any)."""
    return first - 1 if first is not None else (last or 0)

class Provider(BaseProvider):
    service = "dynamodbstreams"

    def start(self) -> None:
        # The schema belongs to the dynamodb provider; migrating here too lets either start first.
        self.db.migrate("dynamodb", store.MIGRATIONS)

    def _streams(self, account: str, region: str) -> list[tuple]:
        return self.db.fetchall(
            "SELECT stream_arn, table_name, created, disabled, meta FROM dynamodb_streams "
            "WHERE account = ? AND region = ? ORDER BY created, stream_arn", (account, region))

    def _stream(self, ctx: RequestContext, arn: str | None) -> tuple:
        row = self.db.fetchone(
            "SELECT stream_arn, table_name, created, disabled, meta FROM dynamodb_streams "
            "WHERE stream_arn = ? AND account = ? AND region = ?",  # a stream is read in its own Region
            (arn, ctx.account_id, ctx.region))
        if row is None:
            raise ResourceNotFoundException(f"Requested resource not found: Stream: {arn} not found")
        return row

    def list_streams(self, ctx: RequestContext, params: dict) -> dict:
        rows = self._streams(ctx.account_id, ctx.region)
        table_name = params.get("TableName")
        if table_name:
            rows = [r for r in rows if r[1] == table_name]
        start = params.get("ExclusiveStartStreamArn")
        if start:
            arns = [r[0] for r in rows]
            rows = rows[arns.index(start) + 1:] if start in arns else rows
        limit = checked_limit(params.get("Limit"), 100)
        result: dict[str, Any] = {"Streams": [
            {"StreamArn": arn, "TableName": name, "StreamLabel": codec.meta_loads(meta)["StreamLabel"]}
            for arn, name, _, _, meta in rows[:limit]]}
        if len(rows) > limit:
            result["LastEvaluatedStreamArn"] = rows[limit - 1][0]
        return result

    def describe_stream(self, ctx: RequestContext, params: dict) -> dict:
        arn, table_name, created, disabled, meta_text = self._stream(ctx, params.get("StreamArn"))
        meta = codec.meta_loads(meta_text)
        first, last = self._bounds(arn)
        sequence_range: dict[str, str] = {"StartingSequenceNumber": f"{_shard_start(first, last):021d}"}
        if disabled is not None:
            sequence_range["EndingSequenceNumber"] = f"{(last or 0):021d}"
        return {"StreamDescription": {
            "StreamArn": arn,
            "StreamLabel": meta["StreamLabel"],
            "StreamStatus": "DISABLED" if disabled is not None else "ENABLED",
            "StreamViewType": meta["StreamViewType"],
            "CreationRequestDateTime": datetime.fromtimestamp(created, tz=UTC),
            "TableName": table_name,
            "KeySchema": meta["KeySchema"],
            # One shard a stream: a page that starts after it is empty.
            "Shards": [] if params.get("ExclusiveStartShardId") == shard_id(arn, created) else [
                {"ShardId": shard_id(arn, created), "SequenceNumberRange": sequence_range}],
        }}

    def _bounds(self, arn: str) -> tuple[int | None, int | None]:
        """The first and last sequence numbers the stream holds; with none held, (None, the last
        one trimmed or None)."""
        row = self.db.fetchone("SELECT MIN(seq), MAX(seq) FROM dynamodb_stream_records WHERE stream_arn = ?", (arn,))
        first, last = row if row else (None, None)
        if last is None:
            last = streams.last_sequence(self.db, arn) or None
        return first, last

    def get_shard_iterator(self, ctx: RequestContext, params: dict) -> dict:
        arn, _, created, _, _ = self._stream(ctx, params.get("StreamArn"))
        if params.get("ShardId") != shard_id(arn, created):
            raise ResourceNotFoundException("Requested resource not found: Shard does not exist")
        kind = params.get("ShardIteratorType")
        if kind not in _ITERATOR_TYPES:
            raise ValidationException(
                f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to satisfy constraint: "
                "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]")
        first, last = self._bounds(arn)
        if kind == "TRIM_HORIZON":
            position = first or (last or 0) + 1
        elif kind == "LATEST":
            position = (last or 0) + 1
        else:
            number = params.get("SequenceNumber")
            if not number or not str(number).isdigit():
                raise ValidationException("Invalid SequenceNumber")
            # Before the shard's start: a record trimmed (AT the start itself reads from the oldest kept).
            if int(number) < _shard_start(first, last):
                raise TrimmedDataAccessException("The operation attempted to read past the oldest stream record in a shard.")
            position = int(number) + (1 if kind == "AFTER_SEQUENCE_NUMBER" else 0)
        return {"ShardIterator": self._iterator(arn, position)}

    def _iterator(self, arn: str, position: int) -> str:
        token = json.dumps({"a": arn, "p": position, "t": self.clock.time()}, separators=(",", ":"))
        return base64.urlsafe_b64encode(token.encode()).decode()

    def get_records(self, ctx: RequestContext, params: dict) -> dict:
        try:
            token = json.loads(base64.urlsafe_b64decode(params.get("ShardIterator") or ""))
            arn, position, issued = token["a"], int(token["p"]), float(token["t"])
        except (ValueError, KeyError, TypeError):
            raise ValidationException("Invalid ShardIterator") from None
        if self.clock.time() - issued > ITERATOR_LIFETIME:
            raise ExpiredIteratorException("Iterator expired. The iterator was created at time "
                                           f"{datetime.fromtimestamp(issued, tz=UTC).isoformat()} while right now the time is "
                                           f"{datetime.fromtimestamp(self.clock.time(), tz=UTC).isoformat()}")
        _, _, _, disabled, _ = self._stream(ctx, arn)
        limit = checked_limit(params.get("Limit"), 1000)
        rows = self.db.fetchall(
            "SELECT seq, record FROM dynamodb_stream_records WHERE stream_arn = ? AND seq >= ? ORDER BY seq LIMIT ?",
            (arn, position, limit))
        records = []
        for seq, text in rows:
            record = codec.loads(text)
            body = record["dynamodb"]
            body["ApproximateCreationDateTime"] = datetime.fromtimestamp(body["ApproximateCreationDateTime"], tz=UTC)
            records.append(record)
            position = seq + 1
        result: dict[str, Any] = {"Records": records}
        _, last = self._bounds(arn)
        if disabled is None or (last is not None and position <= last):
            result["NextShardIterator"] = self._iterator(arn, position)
        return result
