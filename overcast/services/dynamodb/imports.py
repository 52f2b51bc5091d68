"""ImportTable, DescribeImport and ListImports: a new table filled from S3 objects.

The table's parameters are checked as CreateTable checks them before the call answers (its
TableId is allotted then and kept). The job reads every object under the bucket and prefix,
decompresses and parses it (import_formats.py), writes the table with its items in one
transaction (it appears whole or not at all), logs each item error to CloudWatch Logs, and then
records the import's end. As ScyllaDB's test_import.py measured DynamoDB: a missing bucket FAILS the import with
S3NoSuchBucket and no table; a prefix with no objects COMPLETES with an empty table; items that
fail validation are counted (ErrorCount, ProcessedItemCount = ImportedItemCount + ErrorCount,
duplicates of a key counted as imported) and FAIL the import with ItemValidationError while the
table keeps every item that passed; the counters read 0 until the import ends.
"""

from __future__ import annotations

import asyncio
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.dynamodb import codec, import_formats, store, transfers
from overcast.services.dynamodb.errors import (
    ImportConflictException,
    ImportNotFoundException,
    ResourceInUseException,
    ValidationException,
)
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.tables import new_table_description
from overcast.services.internal import read_body
from overcast.storage.interface import Tx

_SUMMARY_MEMBERS = ("ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn", "InputFormat",
                    "StartTime", "EndTime")
# What DynamoDB says of items that failed validation, and where it logs each of them: one event
# per error in the stream "<import id>/error" of this log group, each a JSON object naming the
# object and the item's index in it (developer guide, "Import format quotas and validation").
_ITEMS_FAILED = ("Some of the items failed validation checks and were not imported. "
                 "Please check CloudWatch error logs for more details.")
LOG_GROUP = "/aws-dynamodb/imports"


def _check_request(params: dict) -> None:
    """What ImportTable refuses before it accepts the import (the model's own constraints are
    checked before the handler runs)."""
    if not params.get("ClientToken"):
        # Required by the service though optional in the model; botocore always sends one
        # (ScyllaDB's test_client_token_required, measured on AWS).
        raise ValidationException("1 validation error detected: Value null at 'clientToken' failed to satisfy "
                                  "constraint: Member must not be null")
    input_format = params["InputFormat"]
    if params.get("InputFormatOptions") and input_format != "CSV":
        raise ValidationException(
            f"Invalid Request: Unsupported InputFormatOptions for the given input format: {input_format}.")
    if input_format == "ION":
        raise ValidationException("Overcast imports DYNAMODB_JSON and CSV only: InputFormat ION is not supported")
    if params.get("InputCompressionType") == "ZSTD" and not import_formats.zstd_available():
        raise ValidationException("Overcast cannot read ZSTD sources here: the zstandard package is not installed")


class ImportsMixin:
    async def import_table(self, ctx: RequestContext, params: dict) -> dict:
        _check_request(params)
        now = self._now()
        creation = params["TableCreationParameters"]
        # CreateTable's checks and words; the TableId allotted here is the table's for good.
        table_description = new_table_description(creation, ctx.account_id, ctx.region, now)
        name = table_description["TableName"]
        if (ctx.account_id, ctx.region, name) in self._tables:
            # Before the token is looked at: a replay of a finished import meets its own table
            # (ScyllaDB's test_client_token_reuse).
            raise ResourceInUseException(f"Table already exists: {name}")
        token = params["ClientToken"]
        earlier = transfers.by_token(self.db, transfers.IMPORT, ctx.account_id, ctx.region, token, now)
        if earlier is not None:
            # Only another target table conflicts; the rest of a replay is not compared.
            if earlier["table_name"] != name or earlier["region"] != ctx.region:
                raise ImportConflictException("Duplicate request detected with conflicting parameters")
            return {"ImportTableDescription": transfers.wire(earlier["description"])}
        if self._importing(ctx.account_id, ctx.region, name):  # being created by another import
            raise ResourceInUseException(f"Table already exists: {name}")
        table_arn = table_description["TableArn"]
        import_arn = f"{table_arn}/import/{transfers.transfer_id(now, table_arn)}"
        description: dict[str, Any] = {
            "ImportArn": import_arn, "ImportStatus": "IN_PROGRESS", "TableArn": table_arn,
            "TableId": table_description["TableId"], "ClientToken": token,
            # The owner is the caller's account unless the request names one (the developer guide's
            # describe-import examples show it filled in).
            "S3BucketSource": {"S3BucketOwner": ctx.account_id, **params["S3BucketSource"]}, "ErrorCount": 0,
            "CloudWatchLogGroupArn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{LOG_GROUP}:*",
            "InputFormat": params["InputFormat"],
            "InputCompressionType": params.get("InputCompressionType") or "NONE",
            "TableCreationParameters": creation, "StartTime": now, "ProcessedItemCount": 0, "ImportedItemCount": 0}
        if params.get("InputFormatOptions"):
            description["InputFormatOptions"] = params["InputFormatOptions"]
        record = {"arn": import_arn, "kind": transfers.IMPORT, "account": ctx.account_id, "region": ctx.region,
                  "started": now, "table_name": name, "table": table_description, "description": description}
        self._import_targets.add((ctx.account_id, ctx.region, name))
        try:
            await self.db.write(lambda tx: transfers.save(tx, record))
        except BaseException:
            self._import_targets.discard((ctx.account_id, ctx.region, name))
            raise
        self._schedule_transfer(record)
        return {"ImportTableDescription": transfers.wire(description)}

    def describe_import(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("ImportArn") or ""
        table_part, _, import_id = arn.rpartition("/import/")
        table_name = table_part.rpartition(":table/")[2] if ":table/" in table_part else ""
        if not arn.startswith("arn:") or not import_id or len(table_name) < 3:
            raise ValidationException("Invalid Import ARN")
        record = transfers.load(self.db, transfers.IMPORT, arn)
        if record is None or record["account"] != ctx.account_id or record["region"] != ctx.region:
            raise ImportNotFoundException(f"Import not found: {arn}")
        return {"ImportTableDescription": transfers.wire(record["description"])}

    def list_imports(self, ctx: RequestContext, params: dict) -> dict:
        # In progress ones too, whatever the reference says (ScyllaDB's test_import_in_flight).
        records = transfers.listing(self.db, transfers.IMPORT, ctx.account_id, ctx.region, params.get("TableArn"))
        chosen, token = transfers.page(records, params.get("NextToken"), params.get("PageSize") or transfers.PAGE_LIMIT)
        summaries = [transfers.wire({m: r["description"][m] for m in _SUMMARY_MEMBERS if m in r["description"]})
                     for r in chosen]
        result: dict[str, Any] = {"ImportSummaryList": summaries}
        if token:
            result["NextToken"] = token
        return result

    # -- the job

    async def _run_import(self, arn: str) -> None:
        record = transfers.load(self.db, transfers.IMPORT, arn)
        if record is None or record["description"]["ImportStatus"] != "IN_PROGRESS":
            return
        table = Table(0, record["account"], record["region"], record["table_name"], record["table"], {})
        try:
            outcomes = await self._read_sources(record, table)
        except ServiceError as error:
            code, message = transfers.s3_failure(error)
            await self._finish_transfer(record, "FAILED", {"FailureCode": code, "FailureMessage": message})
            return
        items: dict[tuple[bytes, bytes], tuple[dict, int]] = {}
        for outcome in outcomes:
            for item, size in outcome.items:
                items[store.key_bytes(table, item)] = (item, size)  # a later duplicate wins
        errors = sum(len(o.failures) for o in outcomes)
        changes: dict[str, Any] = {
            "ProcessedItemCount": sum(o.processed for o in outcomes),
            "ImportedItemCount": sum(len(o.items) for o in outcomes), "ErrorCount": errors}
        size = sum(o.size for o in outcomes)
        if size:  # absent until something was read (ScyllaDB's test_import_in_flight)
            changes["ProcessedSizeBytes"] = size
        status = "COMPLETED"
        if errors:
            status = "FAILED"
            changes.update(FailureCode="ItemValidationError", FailureMessage=_ITEMS_FAILED)
            await self._log_import_errors(record, outcomes)
        now = self._now()

        def create(tx: Tx) -> str:
            row = tx.fetchone("SELECT meta FROM dynamodb_tables WHERE account = ? AND region = ? AND name = ?",
                              (table.account, table.region, table.name))
            if row is not None:
                # Ours, written by a run that a restart cut short before it recorded the end;
                # or another's, made by a path that does not ask _importing.
                ours = store.table_from_row((0, table.account, table.region, table.name, row[0]))
                return "written" if ours.description["TableId"] == table.description["TableId"] else "taken"
            table.id = store.insert_table(tx, table)
            for (pk, sk), (item, item_size) in items.items():
                store.write_item(tx, table, pk, sk, None, item, now, item_size)
            return "created"

        # The table and its items first, then the import's end: whoever sees it COMPLETED finds
        # the table whole (the table, like DynamoDB's while it is CREATING, may show first).
        outcome = await self.db.write(create, bulk=True)
        if outcome == "created":
            self._tables[(table.account, table.region, table.name)] = table
        elif outcome == "taken":  # by a path that does not ask _importing (none is known today)
            status = "FAILED"
            changes.update(FailureCode="ResourceInUseException", FailureMessage=f"Table already exists: {table.name}")
        await self._finish_transfer(record, status, changes)

    async def _read_sources(self, record: dict, table: Table) -> list[import_formats.ObjectOutcome]:
        description = record["description"]
        source = description["S3BucketSource"]
        compression = description["InputCompressionType"]
        outcomes = []
        for key in await self._source_keys(record, source):
            out = await self.runtime.internal.call("s3", "GetObject", {"Bucket": source["S3Bucket"], "Key": key},
                                                   account_id=record["account"], region=record["region"])
            data = await read_body(out.get("Body"))
            # Decompressing and parsing a large object is long work: off the event loop.
            outcomes.append(await asyncio.get_running_loop().run_in_executor(
                None, import_formats.read_source, key, table, data, compression, description["InputFormat"],
                description.get("InputFormatOptions")))
        return outcomes

    async def _source_keys(self, record: dict, source: dict) -> list[str]:
        """Every object key under the bucket and prefix, in S3's order."""
        request: dict[str, Any] = {"Bucket": source["S3Bucket"]}
        if source.get("S3KeyPrefix"):
            request["Prefix"] = source["S3KeyPrefix"]
        keys: list[str] = []
        while True:
            out = await self.runtime.internal.call("s3", "ListObjectsV2", request, account_id=record["account"],
                                                   region=record["region"])
            keys += [entry["Key"] for entry in out.get("Contents", ())]
            if not out.get("IsTruncated"):
                return keys
            request["ContinuationToken"] = out["NextContinuationToken"]

    async def _log_import_errors(self, record: dict, outcomes: list[import_formats.ObjectOutcome]) -> None:
        bucket = record["description"]["S3BucketSource"]["S3Bucket"]
        stream = record["arn"].rsplit("/", 1)[1] + "/error"
        now_ms = int(self._now() * 1000)
        events = [{"timestamp": now_ms, "message": codec.meta_dumps({
            "itemS3Pointer": {"bucket": bucket, "key": outcome.key, "itemIndex": index},
            "importArn": record["arn"], "errorMessages": [message]})}
            for outcome in outcomes for index, message in outcome.failures]

        async def logs(operation: str, params: dict) -> None:
            await self.runtime.internal.call("logs", operation, params, account_id=record["account"],
                                             region=record["region"])

        for operation, params in (("CreateLogGroup", {"logGroupName": LOG_GROUP}),
                                  ("CreateLogStream", {"logGroupName": LOG_GROUP, "logStreamName": stream})):
            try:
                await logs(operation, params)
            except ServiceError as error:
                if error.code != "ResourceAlreadyExistsException":  # a rerun after a restart
                    raise
        for first in range(0, len(events), 10_000):  # PutLogEvents takes 10,000 events at most
            await logs("PutLogEvents", {"logGroupName": LOG_GROUP, "logStreamName": stream,
                                        "logEvents": events[first:first + 10_000]})
