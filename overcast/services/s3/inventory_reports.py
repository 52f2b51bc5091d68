"""S3 Inventory reports, delivered by the server's clock: for each enabled inventory
configuration asking for CSV and current versions, one gzipped CSV list of the source
bucket's objects (under the configuration's prefix) with its manifest files, written into the
destination bucket where the user guide's "Locating your inventory list" puts them:

    <prefix>/<source>/<config-id>/data/<name>.csv.gz
    <prefix>/<source>/<config-id>/YYYY-MM-DDTHH-MMZ/manifest.json, manifest.checksum
    <prefix>/<source>/<config-id>/hive/dt=YYYY-MM-DD-HH-MM/symlink.txt

A day's report is stamped at that day's midnight (UTC, by the clock), so it has one fixed set of
keys: a sweep that finds the day's manifest.checksum (written last) in place skips it, and one
interrupted by a restart is simply written again. Weekly inventories come on Sundays after the
first. ORC and Parquet, and lists of all versions, are kept as configurations but not reported.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import gzip
import hashlib
import io
import json
import logging
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from overcast.services.s3.bucket_reporting import INVENTORY

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient
    from overcast.services.s3.store import S3Store

log = logging.getLogger("overcast.s3.inventory")

INTERVAL = 3600.0  # clock seconds between sweeps (moving the clock runs one at once)
_PAGE = 1000
# The columns after Bucket and Key, in the order S3 writes them whatever order they were asked in
# (the user guide's example manifest.json and its Athena table for querying inventories).
_COLUMNS = ("Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded", "ReplicationStatus",
            "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus",
            "IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm", "ObjectAccessControlList",
            "ObjectOwner")


def reported(config: dict[str, Any]) -> bool:
    """Whether Overcast writes reports for this configuration."""
    destination = config["Destination"]["S3BucketDestination"]
    return bool(config.get("IsEnabled") and destination.get("Format") == "CSV"
                and config.get("IncludedObjectVersions") == "Current")


def due_today(config: dict[str, Any], day: datetime, delivered_before: bool) -> bool:
    """Daily reports every day; weekly ones "every Sunday (UTC time zone) after the initial
    report" (the user guide's S3 Inventory page), the initial one on the first day it can be."""
    if config["Schedule"].get("Frequency") == "Daily":
        return True
    return day.weekday() == 6 or not delivered_before


def report_root(source: str, config: dict[str, Any]) -> str:
    prefix = config["Destination"]["S3BucketDestination"].get("Prefix") or ""
    return f"{prefix}/{source}/{config['Id']}/" if prefix else f"{source}/{config['Id']}/"


def destination_bucket(config: dict[str, Any]) -> str:
    return str(config["Destination"]["S3BucketDestination"]["Bucket"]).rsplit(":", 1)[-1]


def day_start(now: float) -> datetime:
    moment = datetime.fromtimestamp(now, UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _cell(column: str, row: tuple) -> str:
    # row: key, size, etag, last_modified, storage_class, checksum_algorithm, checksum_type, delete_marker
    if column == "Size":
        return str(row[1])
    if column == "LastModifiedDate":
        return datetime.fromtimestamp(row[3], UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(row[3] * 1000) % 1000:03d}Z"
    if column == "ETag":
        return str(row[2]).strip('"')
    if column == "StorageClass":
        return str(row[4])
    if column == "IsMultipartUploaded":
        return "true" if "-" in str(row[2]) else "false"
    if column == "ChecksumAlgorithm":
        return str(row[5] or "")
    return ""  # what Overcast does not track (replication, encryption status, locks, owners)


class InventoryReporter:
    """The periodic job: finds the reports due and hands each to the event loop, where it is
    written through the internal S3 client like any other PutObject."""

    def __init__(self, store: S3Store, internal: InternalClient, loop: asyncio.AbstractEventLoop):
        self.store = store
        self.internal = internal
        self.loop = loop
        self._running: dict[tuple[str, str, str], Future[None]] = {}

    def __call__(self, now: float) -> None:
        day = day_start(now)
        stamp = day.strftime("%Y-%m-%dT%H-%MZ")
        for source, configs in self.store.buckets_with_config(INVENTORY.section):
            for config in configs.values():
                if not reported(config):
                    continue
                target = self.store.get_bucket(destination_bucket(config))
                if target is None:
                    continue  # S3 cannot deliver to a bucket that is gone either
                root = report_root(source, config)
                job = (source, config["Id"], stamp)
                if job in self._running or self.store.get_object(target.name, f"{root}{stamp}/manifest.checksum"):
                    continue
                if not due_today(config, day, self._delivered_before(target.name, root)):
                    continue
                if self.loop.is_closed():
                    return
                future = asyncio.run_coroutine_threadsafe(self._deliver(source, config, day), self.loop)
                self._running[job] = future
                future.add_done_callback(functools.partial(self._finished, job))

    def _delivered_before(self, bucket: str, root: str) -> bool:
        """Whether a whole report of this configuration is in its destination already. Report
        folders (digits) sort before data/ and hive/, and a folder's manifest.checksum first."""
        rows = self.store.list_after(bucket, root, _PAGE, inclusive=True)
        return any(row[0].startswith(root) and row[0].endswith("/manifest.checksum") for row in rows)

    def _finished(self, job: tuple[str, str, str], future: Future[None]) -> None:
        self._running.pop(job, None)

    async def _deliver(self, source: str, config: dict[str, Any], day: datetime) -> None:
        try:
            await self._write_report(source, config, day)
        except Exception:  # a report that fails is tried again by the next sweep
            log.exception("s3: inventory report %s of %s failed", config["Id"], source)

    async def _write_report(self, source: str, config: dict[str, Any], day: datetime) -> None:
        target = self.store.get_bucket(destination_bucket(config))
        if target is None:
            return
        columns = [column for column in _COLUMNS if column in (config.get("OptionalFields") or [])]
        body, count = self._csv(source, (config.get("Filter") or {}).get("Prefix") or "", columns)
        root = report_root(source, config)
        stamp = day.strftime("%Y-%m-%dT%H-%MZ")
        # One name per configuration and day, so a report written again replaces its own file.
        name = hashlib.sha1(f"{source}/{config['Id']}/{stamp}".encode()).hexdigest()
        data_key = f"{root}data/{name[:8]}-{name[8:12]}-{name[12:16]}-{name[16:20]}-{name[20:32]}.csv.gz"
        await self._put(target.name, data_key, body, target.account_id, target.region)
        manifest = {
            "sourceBucket": source,
            "destinationBucket": f"arn:aws:s3:::{target.name}",
            "version": "2016-11-30",
            "creationTimestamp": str(int(day.timestamp() * 1000)),
            "fileFormat": "CSV",
            "fileSchema": ", ".join(["Bucket", "Key", *columns]),
            "files": [{"key": data_key, "size": len(body), "MD5checksum": hashlib.md5(body).hexdigest()}],
        }
        manifest_body = json.dumps(manifest, indent=2).encode()
        await self._put(target.name, f"{root}{stamp}/manifest.json", manifest_body, target.account_id, target.region)
        hive = f"{root}hive/dt={day.strftime('%Y-%m-%d-%H-%M')}/symlink.txt"
        await self._put(target.name, hive, f"s3://{target.name}/{data_key}\n".encode(), target.account_id,
                        target.region)
        # Last: its presence says the day's report is whole.
        await self._put(target.name, f"{root}{stamp}/manifest.checksum",
                        hashlib.md5(manifest_body).hexdigest().encode(), target.account_id, target.region)
        log.info("s3: inventory %s of %s: %d objects", config["Id"], source, count)

    def _csv(self, source: str, prefix: str, columns: list[str]) -> tuple[bytes, int]:
        """The current objects under `prefix`, one quoted CSV line each, their keys URL-encoded
        as S3 writes them, gzipped."""
        text = io.StringIO()
        writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
        count, marker, inclusive = 0, prefix, True
        while True:
            rows = self.store.list_after(source, marker, _PAGE, inclusive=inclusive)
            for row in rows:
                if not row[0].startswith(prefix):
                    rows = []
                    break
                if row[7]:  # a delete marker is no current object
                    continue
                writer.writerow([source, quote_plus(row[0], safe="/"), *(_cell(column, row) for column in columns)])
                count += 1
            if len(rows) < _PAGE:
                break
            marker, inclusive = rows[-1][0], False
        return gzip.compress(text.getvalue().encode(), mtime=0), count

    async def _put(self, bucket: str, key: str, body: bytes, account_id: str, region: str) -> None:
        await self.internal.call("s3", "PutObject", {"Bucket": bucket, "Key": key, "Body": body},
                                 account_id=account_id, region=region)
