"""Inventory reports by the server's clock: a daily CSV inventory of current versions is written
into its destination bucket once a day, where the user guide's "Locating your inventory list"
puts it (data file, manifest.json, manifest.checksum, hive symlink.txt), listing the objects
under the configuration's prefix. A disabled configuration, or one asking for what Overcast does
not write, gets none."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import time
from datetime import UTC, datetime

from tests.conftest import make_client
from tests.services.s3.conftest import unique_bucket_name
from tests.services.s3.test_lifecycle import move_clock


def inventory(config_id: str, destination: str, **changes) -> dict:
    config = {"Id": config_id, "IsEnabled": True, "IncludedObjectVersions": "Current",
              "Schedule": {"Frequency": "Daily"}, "Filter": {"Prefix": "logs/"},
              "OptionalFields": ["ETag", "Size", "IsMultipartUploaded"],
              "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{destination}", "Format": "CSV",
                                                      "Prefix": "inv"}}}
    config.update(changes)
    return config


def keys_under(s3, bucket: str, prefix: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def wait_for_manifests(s3, bucket: str, prefix: str, count: int) -> list[str]:
    deadline = time.monotonic() + 20
    while True:
        found = [key for key in keys_under(s3, bucket, prefix) if key.endswith("/manifest.checksum")]
        if len(found) >= count or time.monotonic() > deadline:
            return sorted(found)
        time.sleep(0.2)


# Noon of a fixed day (a Sunday), so that the day's report has known keys.
NOON = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
DAY = 86400


def test_a_daily_csv_inventory_is_delivered_once_a_day(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    # The clock is set first: no sweep may run on the real day once a configuration exists.
    move_clock(fresh_server, {"set": NOON.timestamp()})
    source, target = unique_bucket_name("source"), unique_bucket_name("reports")
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    s3.put_object(Bucket=source, Key="logs/a b.txt", Body=b"hello")
    s3.put_object(Bucket=source, Key="logs/z.txt", Body=b"0123456789")
    s3.put_object(Bucket=source, Key="other/skipped.txt", Body=b"x")
    s3.put_bucket_inventory_configuration(Bucket=source, Id="daily", InventoryConfiguration=inventory("daily", target))
    # Reports this server does not write: ORC, all versions, disabled.
    for config_id, changes in (("versions", {"IncludedObjectVersions": "All"}),
                               ("orc", {"Destination": {"S3BucketDestination": {
                                   "Bucket": f"arn:aws:s3:::{target}", "Format": "ORC"}}}),
                               ("disabled", {"IsEnabled": False})):
        s3.put_bucket_inventory_configuration(Bucket=source, Id=config_id,
                                              InventoryConfiguration=inventory(config_id, target, **changes))
    etags = {key: s3.head_object(Bucket=source, Key=key)["ETag"].strip('"') for key in ("logs/a b.txt", "logs/z.txt")}

    try:
        move_clock(fresh_server, {"advance": 1})  # moving the clock sweeps at once
        root = f"inv/{source}/daily/"
        manifests = wait_for_manifests(s3, target, root, 1)
        assert len(manifests) == 1
        day = NOON.replace(hour=0)
        stamp = day.strftime("%Y-%m-%dT%H-%MZ")
        assert manifests == [f"{root}{stamp}/manifest.checksum"]

        manifest_body = s3.get_object(Bucket=target, Key=f"{root}{stamp}/manifest.json")["Body"].read()
        checksum = s3.get_object(Bucket=target, Key=manifests[0])["Body"].read().decode()
        assert checksum == hashlib.md5(manifest_body).hexdigest()
        manifest = json.loads(manifest_body)
        assert manifest["sourceBucket"] == source
        assert manifest["destinationBucket"] == f"arn:aws:s3:::{target}"
        assert manifest["version"] == "2016-11-30" and manifest["fileFormat"] == "CSV"
        assert manifest["creationTimestamp"] == str(int(day.timestamp() * 1000))
        # Optional fields in the order S3's manifests list them, whatever order they were asked in.
        assert manifest["fileSchema"] == "Bucket, Key, Size, ETag, IsMultipartUploaded"
        [data_file] = manifest["files"]
        assert data_file["key"].startswith(f"{root}data/") and data_file["key"].endswith(".csv.gz")
        data = s3.get_object(Bucket=target, Key=data_file["key"])["Body"].read()
        assert data_file["size"] == len(data) and data_file["MD5checksum"] == hashlib.md5(data).hexdigest()
        text = gzip.decompress(data).decode()
        assert text.startswith('"')  # every value quoted
        rows = list(csv.reader(io.StringIO(text)))
        assert rows == [[source, "logs/a+b.txt", "5", etags["logs/a b.txt"], "false"],
                        [source, "logs/z.txt", "10", etags["logs/z.txt"], "false"]]
        symlink = s3.get_object(Bucket=target, Key=f"{root}hive/dt={day.strftime('%Y-%m-%d-%H-%M')}/symlink.txt")
        assert symlink["Body"].read().decode() == f"s3://{target}/{data_file['key']}\n"

        # Another sweep the same day writes nothing new, a restarted server's neither.
        before = keys_under(s3, target, "")
        move_clock(fresh_server, {"advance": 1})
        fresh_server.restart()
        move_clock(fresh_server, {"set": NOON.timestamp() + 60})
        time.sleep(1.0)
        assert keys_under(s3, target, "") == before
        assert all(key.startswith(root) for key in before)  # none for the configurations not reported

        # The next day brings the next report.
        move_clock(fresh_server, {"advance": 86400})
        assert len(wait_for_manifests(s3, target, root, 2)) == 2
    finally:
        move_clock(fresh_server, {"reset": True})


def test_a_weekly_inventory_comes_first_at_once_then_on_sundays(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    wednesday = NOON.timestamp() + 3 * DAY
    move_clock(fresh_server, {"set": wednesday})
    source, target = unique_bucket_name("source"), unique_bucket_name("reports")
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    s3.put_object(Bucket=source, Key="logs/a.txt", Body=b"a")
    s3.put_bucket_inventory_configuration(Bucket=source, Id="weekly", InventoryConfiguration=inventory(
        "weekly", target, Schedule={"Frequency": "Weekly"}))
    root = f"inv/{source}/weekly/"

    move_clock(fresh_server, {"advance": 1})
    assert wait_for_manifests(s3, target, root, 1) == [f"{root}2030-03-13T00-00Z/manifest.checksum"]
    for day in (1, 2, 3):  # Thursday to Saturday: nothing
        move_clock(fresh_server, {"set": wednesday + day * DAY})
    time.sleep(1.0)
    assert len(wait_for_manifests(s3, target, root, 1)) == 1
    move_clock(fresh_server, {"set": wednesday + 4 * DAY})  # Sunday
    assert wait_for_manifests(s3, target, root, 2)[-1] == f"{root}2030-03-17T00-00Z/manifest.checksum"
