"""ExportTableToPointInTime, DescribeExport and ListExports: a table as of a second of its
point-in-time recovery window, written to S3 in DynamoDB's export layout.

    [S3Prefix/]AWSDynamoDB/<export id>/_started                 empty: the bucket took a write
    [S3Prefix/]AWSDynamoDB/<export id>/data/<name>.json.gz      one {"Item": {...}} a line
    [S3Prefix/]AWSDynamoDB/<export id>/manifest-files.json      one line per data file
    [S3Prefix/]AWSDynamoDB/<export id>/manifest-summary.json    the export's summary
    and a .md5 beside each manifest: the base64 MD5 of its bytes

(developer guide, "DynamoDB table export output format"; the .md5 names, rather than the
guide's .checksum, and the prefix inside every key are as ScyllaDB's test_export.py observed
them on AWS). The table is read from the point-in-time history, so the export is the table as
it was at ExportTime whenever the job runs, and a job cut short by a restart writes the same
objects again. Full exports in DynamoDB JSON only: INCREMENTAL_EXPORT and ION are refused.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import itertools
import time
import uuid
from collections.abc import Iterator
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.dynamodb import codec, transfers
from overcast.services.dynamodb.backups import earliest_restorable, epoch_seconds, item_pages_as_of
from overcast.services.dynamodb.errors import (
    ExportConflictException,
    ExportNotFoundException,
    InvalidExportTimeException,
    PointInTimeRecoveryUnavailableException,
    TableNotFoundException,
    ValidationException,
)
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.types import item_size

# The members whose change, under the same ClientToken, is a conflict (ScyllaDB's
# test_export_client_token_some_value_changed, measured on AWS).
_REQUEST_MEMBERS = ("TableArn", "ExportTime", "S3Bucket", "S3BucketOwner", "S3Prefix", "S3SseAlgorithm",
                    "S3SseKmsKeyId", "ExportFormat", "ExportType", "IncrementalExportSpecification")
# Items a data file holds at most; a larger table is written as several files (DynamoDB writes
# at least one per partition).
_ITEMS_PER_FILE = 10_000


def _table_name_of(arn: Any) -> str:
    if not isinstance(arn, str) or not arn.startswith("arn:") or ":table/" not in arn:
        raise ValidationException("tableArn is not a valid ARN")
    return arn.split(":table/", 1)[1].split("/", 1)[0]


def _export_root(description: dict) -> str:
    prefix = description.get("S3Prefix") or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return f"{prefix}AWSDynamoDB/{description['ExportArn'].rsplit('/', 1)[1]}/"


def _iso(value: float) -> str:
    """A manifest's time: ISO 8601 to the millisecond, rounded as the API's timestamps are."""
    seconds, millis = divmod(round(value * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _b64_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _requested(params: dict) -> dict:
    """What a replay under the same ClientToken must repeat (the format by its effective value)."""
    requested = {m: (epoch_seconds(params[m]) if m == "ExportTime" else params[m]) for m in _REQUEST_MEMBERS
                 if params.get(m) is not None}
    requested.setdefault("ExportFormat", "DYNAMODB_JSON")
    return requested


class ExportsMixin:
    async def export_table_to_point_in_time(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("TableArn")
        name = _table_name_of(arn)
        table = self._tables.get((ctx.account_id, ctx.region, name))
        if table is None or table.arn != arn:
            raise TableNotFoundException(f"Table not found: {name}")
        if not table.pitr.get("Enabled"):
            raise PointInTimeRecoveryUnavailableException(f"Point in time recovery is not enabled for table '{name}'")
        now = self._now()
        # AWS answers with a token even when the request carried none (ScyllaDB's test_export_basic).
        # A token already used is looked at first: a change to any member is a conflict, even to
        # one Overcast would refuse (ScyllaDB's test_export_client_token_changed_export_format).
        token = params.get("ClientToken") or str(uuid.uuid4())
        requested = _requested(params)
        earlier = transfers.by_token(self.db, transfers.EXPORT, ctx.account_id, ctx.region, token, now)
        if earlier is not None:
            if earlier["request"] != requested:
                raise ExportConflictException("Duplicate request detected with conflicting parameters")
            return {"ExportDescription": transfers.wire(earlier["description"])}
        export_time = now if params.get("ExportTime") is None else epoch_seconds(params["ExportTime"])
        if not earliest_restorable(table, now) <= export_time <= now:
            # The words recorded from DynamoDB in ScyllaDB's test_export.py.
            raise InvalidExportTimeException("Export Time is invalid")
        if params.get("S3Prefix") == "":
            # Refused by DynamoDB (ScyllaDB's test_export.py, run against it); worded as its model words it.
            raise ValidationException("1 validation error detected: Value '' at 's3Prefix' failed to satisfy constraint: "
                                      "Member must have length greater than or equal to 1")
        if params.get("ExportType") == "INCREMENTAL_EXPORT":
            raise ValidationException("Overcast exports whole tables only: ExportType INCREMENTAL_EXPORT is not supported")
        if params.get("ExportFormat") == "ION":
            raise ValidationException("Overcast exports DYNAMODB_JSON only: ExportFormat ION is not supported")
        if params.get("S3SseKmsKeyId") is not None and params.get("S3SseAlgorithm") != "KMS":
            raise ValidationException("Invalid Request: KMS Key Id is not supported for this encryption type")
        export_arn = f"{table.arn}/export/{transfers.transfer_id(now, table.arn)}"
        description: dict[str, Any] = {
            "ExportArn": export_arn, "ExportStatus": "IN_PROGRESS", "StartTime": now, "TableArn": table.arn,
            "TableId": table.description["TableId"], "ExportTime": export_time, "ClientToken": token,
            "S3Bucket": params["S3Bucket"], "ExportFormat": params.get("ExportFormat") or "DYNAMODB_JSON"}
        for member in ("S3BucketOwner", "S3Prefix", "S3SseAlgorithm", "S3SseKmsKeyId", "ExportType"):
            if params.get(member) is not None:  # ExportType only when asked for (ScyllaDB's test_export_basic)
                description[member] = params[member]
        record = {"arn": export_arn, "kind": transfers.EXPORT, "account": ctx.account_id, "region": ctx.region,
                  "started": now, "request": requested, "description": description}
        await self.db.write(lambda tx: transfers.save(tx, record))
        self._schedule_transfer(record)
        return {"ExportDescription": transfers.wire(description)}

    def describe_export(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("ExportArn")
        if not isinstance(arn, str) or "/export/" not in arn or ":table/" not in arn:
            raise ValidationException("Invalid Export ARN")
        record = transfers.load(self.db, transfers.EXPORT, arn)
        if record is None or record["account"] != ctx.account_id or record["region"] != ctx.region:
            raise ExportNotFoundException(f"Export not found: {arn}")
        return {"ExportDescription": transfers.wire(record["description"])}

    def list_exports(self, ctx: RequestContext, params: dict) -> dict:
        records = transfers.listing(self.db, transfers.EXPORT, ctx.account_id, ctx.region, params.get("TableArn"))
        # An export of a table that has since been deleted is no longer listed, though
        # DescribeExport still finds it (ScyllaDB's test_export_start_and_delete_table, on AWS).
        live = {t.description["TableId"] for t in self._tables.values()}
        records = [r for r in records if r["description"]["TableId"] in live]
        chosen, token = transfers.page(records, params.get("NextToken"), params.get("MaxResults") or transfers.PAGE_LIMIT)
        summaries = [{"ExportArn": r["arn"], "ExportStatus": r["description"]["ExportStatus"],
                      "ExportType": r["description"].get("ExportType", "FULL_EXPORT")} for r in chosen]
        result: dict[str, Any] = {"ExportSummaries": summaries}
        if token:
            result["NextToken"] = token
        return result

    # -- the job

    async def _run_export(self, arn: str) -> None:
        record = transfers.load(self.db, transfers.EXPORT, arn)
        if record is None or record["description"]["ExportStatus"] != "IN_PROGRESS":
            return
        description = record["description"]
        table = self._table_by_id(description["TableId"])
        if table is None or not table.pitr.get("Enabled") or table.pitr["Since"] > description["ExportTime"]:
            # Its point-in-time history went with the table or with its recovery (recovery turned
            # off and on again since: the history the export would read starts after ExportTime).
            await self._finish_transfer(record, "FAILED", {
                "FailureCode": "TableNotFound" if table is None else "PointInTimeRecoveryUnavailable",
                "FailureMessage": "The table was deleted before the export ran" if table is None
                else "Point in time recovery was disabled before the export ran"})
            return
        try:
            changes = await self._write_export(record, table)
        except ServiceError as error:
            code, message = transfers.s3_failure(error)
            await self._finish_transfer(record, "FAILED", {"FailureCode": code, "FailureMessage": message})
            return
        await self._finish_transfer(record, "COMPLETED", changes)

    def _table_by_id(self, table_id: str) -> Table | None:
        return next((t for t in self._tables.values() if t.description["TableId"] == table_id), None)

    async def _write_export(self, record: dict, table: Table) -> dict:
        description = record["description"]
        root = _export_root(description)
        await self._put_export_object(record, root + "_started", b"")
        # Read, encoded and compressed a file at a time, off the event loop, and sent before the
        # next is made: the export holds one data file, whatever the table's size.
        loop = asyncio.get_running_loop()
        texts = (text for page in item_pages_as_of(self.db, table, description["ExportTime"]) for _, _, text in page)
        files: list[dict] = []
        count = billed = 0
        while True:
            made = await loop.run_in_executor(None, self._data_file, record, root, texts, len(files))
            if made is None:
                break
            key, data, item_count, size = made
            etag = await self._put_export_object(record, key, data)
            files.append({"itemCount": item_count, "md5Checksum": _b64_md5(data), "etag": etag, "dataFileS3Key": key})
            count, billed = count + item_count, billed + size
        manifest_files = "".join(codec.meta_dumps(f) + "\n" for f in files).encode()
        await self._put_export_object(record, root + "manifest-files.json", manifest_files)
        await self._put_export_object(record, root + "manifest-files.md5", _b64_md5(manifest_files).encode())
        end = self._now()
        summary = {
            "version": "2020-06-30", "exportArn": record["arn"], "startTime": _iso(description["StartTime"]),
            "endTime": _iso(end), "tableArn": description["TableArn"], "tableId": description["TableId"],
            "exportTime": _iso(description["ExportTime"]), "s3Bucket": description["S3Bucket"],
            "s3Prefix": description.get("S3Prefix"), "s3SseAlgorithm": description.get("S3SseAlgorithm", "AES256"),
            "s3SseKmsKeyId": description.get("S3SseKmsKeyId"), "manifestFilesS3Key": root + "manifest-files.json",
            "billedSizeBytes": billed, "itemCount": count, "outputFormat": description["ExportFormat"]}
        summary_bytes = codec.meta_dumps(summary).encode()
        await self._put_export_object(record, root + "manifest-summary.json", summary_bytes)
        await self._put_export_object(record, root + "manifest-summary.md5", _b64_md5(summary_bytes).encode())
        return {"ExportManifest": root + "manifest-summary.json", "ItemCount": count, "BilledSizeBytes": billed,
                "EndTime": end}

    def _data_file(self, record: dict, root: str, texts: Iterator[str], number: int) -> tuple[str, bytes, int, int] | None:
        """The export's next data file (key, gzipped bytes, items, billed size) from `texts`; None
        once they are all written (the first file is written even empty)."""
        chunk = list(itertools.islice(texts, _ITEMS_PER_FILE))
        if not chunk and number:
            return None
        billed = sum(item_size(codec.loads(text)) for text in chunk)
        lines = "".join(f'{{"Item":{text}}}\n' for text in chunk).encode()
        # mtime 0: the same items make the same bytes, so a rerun writes the same objects.
        data = gzip.compress(lines, mtime=0)
        # A name fixed by the export and the file's number, so that a rerun overwrites it.
        name = base64.b32encode(hashlib.sha1(f"{record['arn']}#{number}".encode()).digest()).decode().lower()[:26]
        return f"{root}data/{name}.json.gz", data, len(chunk), billed

    async def _put_export_object(self, record: dict, key: str, data: bytes) -> str:
        description = record["description"]
        request: dict[str, Any] = {"Bucket": description["S3Bucket"], "Key": key, "Body": data}
        if description.get("S3SseAlgorithm") == "KMS":
            request["ServerSideEncryption"] = "aws:kms"
            if description.get("S3SseKmsKeyId"):
                request["SSEKMSKeyId"] = description["S3SseKmsKeyId"]
        elif description.get("S3SseAlgorithm") == "AES256":
            request["ServerSideEncryption"] = "AES256"
        out = await self.runtime.internal.call("s3", "PutObject", request, account_id=record["account"],
                                               region=record["region"])
        return str(out.get("ETag", "")).strip('"')

