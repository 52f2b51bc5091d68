"""ExportTableToPointInTime, DescribeExport and ListExports, and an export imported back."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import time
from datetime import UTC, datetime

import boto3
import pytest

from tests.conftest import make_client
from tests.services.dynamodb.conftest import refused, unique_name
from tests.services.dynamodb.transfer_support import (
    import_request,
    new_bucket,
    table_with_pitr,
    wait_for_export,
    wait_for_import,
)
from tests.support.raw_http import move_clock

ITEMS = [
    {"pk": {"S": "strings"}, "empty": {"S": ""}, "unicode": {"S": "zażółć 日本語"}, "quote": {"S": 'a"b\\c\nd'}},
    {"pk": {"S": "numbers"}, "n": {"N": "-17.5"}, "big": {"N": "99999999999999999999999999999999999999"},
     "small": {"N": "1E-130"}},
    {"pk": {"S": "binary"}, "b": {"B": b"\x00\x01\xfe\xff"}, "bs": {"BS": [b"\x00", b"\x01"]}},
    {"pk": {"S": "scalars"}, "yes": {"BOOL": True}, "nothing": {"NULL": True}, "ss": {"SS": ["a", "b"]},
     "ns": {"NS": ["1", "-2", "3.5"]}},
    {"pk": {"S": "documents"}, "l": {"L": [{"S": "s"}, {"N": "1"}, {"L": []}, {"M": {}}]},
     "m": {"M": {"a": {"M": {"b": {"S": "c"}}}}}},
]


def _sorted(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: item["pk"]["S"])


def _b64_md5(data: bytes) -> bytes:
    return base64.b64encode(hashlib.md5(data).digest())


def test_export_round_trip_through_s3(ddb, s3):
    """An export read back with S3's own API, its manifests checked, then imported into a new
    table that holds the same items."""
    name = unique_name("export")
    table_arn = table_with_pitr(ddb, name)
    for item in ITEMS:
        ddb.put_item(TableName=name, Item=item)
    bucket = new_bucket(s3)
    started = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket, S3Prefix="exports/nightly",
                                                ClientToken="round-trip-" + name)["ExportDescription"]
    assert started["ExportStatus"] == "IN_PROGRESS"
    assert started["ClientToken"] == "round-trip-" + name
    assert started["ExportFormat"] == "DYNAMODB_JSON"
    assert "ExportType" not in started  # only when asked for, as DynamoDB answers
    export_id = started["ExportArn"].rsplit("/", 1)[1]
    assert started["ExportArn"] == f"{table_arn}/export/{export_id}"
    assert len(export_id) == 23 and export_id[14] == "-"
    final = wait_for_export(ddb, started["ExportArn"])
    assert final["ExportStatus"] == "COMPLETED"
    assert final["ItemCount"] == len(ITEMS) and final["BilledSizeBytes"] > 0
    assert final["EndTime"] >= final["StartTime"]
    root = f"exports/nightly/AWSDynamoDB/{export_id}/"
    assert final["ExportManifest"] == root + "manifest-summary.json"

    def read(key: str) -> bytes:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert {k[len(root):] for k in keys if not k.startswith(root + "data/")} == {
        "_started", "manifest-files.json", "manifest-files.md5", "manifest-summary.json", "manifest-summary.md5"}
    assert read(root + "_started") == b""
    for manifest in ("manifest-files", "manifest-summary"):
        assert read(f"{root}{manifest}.md5").strip() == _b64_md5(read(f"{root}{manifest}.json"))
    summary = json.loads(read(root + "manifest-summary.json"))
    assert summary["version"] == "2020-06-30" and summary["exportArn"] == started["ExportArn"]
    assert (summary["tableArn"], summary["s3Bucket"], summary["s3Prefix"]) == (table_arn, bucket, "exports/nightly")
    assert summary["itemCount"] == len(ITEMS) and summary["outputFormat"] == "DYNAMODB_JSON"
    assert summary["manifestFilesS3Key"] == root + "manifest-files.json"
    assert datetime.fromisoformat(summary["startTime"]) <= datetime.fromisoformat(summary["endTime"])
    assert abs(datetime.fromisoformat(summary["endTime"]).timestamp() - final["EndTime"].timestamp()) < 0.001
    exported = []
    for line in read(root + "manifest-files.json").decode().splitlines():
        entry = json.loads(line)
        data = read(entry["dataFileS3Key"])
        assert entry["dataFileS3Key"].startswith(root + "data/") and entry["dataFileS3Key"].endswith(".json.gz")
        assert entry["md5Checksum"].encode() == _b64_md5(data)
        assert entry["etag"] == hashlib.md5(data).hexdigest()
        lines = gzip.decompress(data).decode().splitlines()
        assert entry["itemCount"] == len(lines)
        exported += [json.loads(text)["Item"] for text in lines]
    # The table's items as Scan answers them (numbers as stored), binaries in base64.
    stored = ddb.scan(TableName=name)["Items"]
    as_wire = [{k: ({"B": base64.b64encode(v["B"]).decode()} if "B" in v else
                    {"BS": [base64.b64encode(b).decode() for b in v["BS"]]} if "BS" in v else v)
                for k, v in item.items()} for item in stored]
    assert _sorted(exported) == _sorted(as_wire)

    target = unique_name("imported")
    imported = ddb.import_table(**import_request(bucket, root + "data/", target, InputCompressionType="GZIP"))
    final_import = wait_for_import(ddb, imported["ImportTableDescription"]["ImportArn"])
    assert final_import["ImportStatus"] == "COMPLETED"
    assert final_import["ImportedItemCount"] == final_import["ProcessedItemCount"] == len(ITEMS)
    assert final_import["ErrorCount"] == 0
    assert _sorted(ddb.scan(TableName=target)["Items"]) == _sorted(stored)
    ddb.delete_table(TableName=target)
    ddb.delete_table(TableName=name)


def test_export_reads_the_table_as_of_export_time(fresh_server):
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    s3 = make_client("s3", fresh_server.endpoint_url)
    table_arn = table_with_pitr(ddb, "timed")
    ddb.put_item(TableName="timed", Item={"pk": {"S": "kept"}, "v": {"N": "1"}})
    move_clock(fresh_server.endpoint_url, {"advance": 60})
    moment = move_clock(fresh_server.endpoint_url, {"advance": 0})["now"]
    move_clock(fresh_server.endpoint_url, {"advance": 60})
    ddb.put_item(TableName="timed", Item={"pk": {"S": "kept"}, "v": {"N": "2"}})
    ddb.put_item(TableName="timed", Item={"pk": {"S": "later"}})
    bucket = new_bucket(s3)
    arn = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket,
                                            ExportTime=datetime.fromtimestamp(moment, tz=UTC))["ExportDescription"]["ExportArn"]
    final = wait_for_export(ddb, arn)
    assert final["ExportStatus"] == "COMPLETED" and final["ItemCount"] == 1
    assert abs(final["ExportTime"].timestamp() - moment) < 0.001
    data_key = next(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"] if o["Key"].endswith(".json.gz"))
    lines = gzip.decompress(s3.get_object(Bucket=bucket, Key=data_key)["Body"].read()).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"Item": {"pk": {"S": "kept"}, "v": {"N": "1"}}}]
    # Outside the recovery window (before it opened, or ahead of now): DynamoDB's words.
    for when in (moment - 3600, moment + 3600 * 24):
        assert refused(ddb.export_table_to_point_in_time, TableArn=table_arn, S3Bucket=bucket,
                       ExportTime=datetime.fromtimestamp(when, tz=UTC)) == (
            "InvalidExportTimeException", "Export Time is invalid", 400)


def test_export_refusals(ddb, s3, make_table):
    plain = make_table("S")
    plain_arn = ddb.describe_table(TableName=plain)["Table"]["TableArn"]
    bucket = new_bucket(s3)
    assert refused(ddb.export_table_to_point_in_time, TableArn=plain_arn, S3Bucket=bucket) == (
        "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{plain}'", 400)
    missing = plain_arn.rsplit("/", 1)[0] + "/no-such-table"
    assert refused(ddb.export_table_to_point_in_time, TableArn=missing, S3Bucket=bucket) == (
        "TableNotFoundException", "Table not found: no-such-table", 400)
    assert refused(ddb.export_table_to_point_in_time, TableArn="QWERTY", S3Bucket=bucket) == (
        "ValidationException", "tableArn is not a valid ARN", 400)
    name = unique_name("refusals")
    table_arn = table_with_pitr(ddb, name)
    assert refused(ddb.export_table_to_point_in_time, TableArn=table_arn, S3Bucket=bucket, ExportFormat="ION") == (
        "ValidationException", "Overcast exports DYNAMODB_JSON only: ExportFormat ION is not supported", 400)
    assert refused(ddb.export_table_to_point_in_time, TableArn=table_arn, S3Bucket=bucket,
                   ExportType="INCREMENTAL_EXPORT") == (
        "ValidationException", "Overcast exports whole tables only: ExportType INCREMENTAL_EXPORT is not supported", 400)
    assert refused(ddb.export_table_to_point_in_time, TableArn=table_arn, S3Bucket=bucket, S3SseAlgorithm="AES256",
                   S3SseKmsKeyId="some-key") == (
        "ValidationException", "Invalid Request: KMS Key Id is not supported for this encryption type", 400)
    # An empty prefix is refused (ScyllaDB's test_export.py, run against DynamoDB).
    assert refused(ddb.export_table_to_point_in_time, TableArn=table_arn, S3Bucket=bucket, S3Prefix="") == (
        "ValidationException", "1 validation error detected: Value '' at 's3Prefix' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1", 400)
    # The model's constraints, in Coral's words.
    code, message, status = refused(ddb.export_table_to_point_in_time, TableArn=table_arn, S3Bucket="-nope!")
    assert (code, status) == ("ValidationException", 400) and "'s3Bucket' failed to satisfy constraint" in message
    ddb.delete_table(TableName=name)


def test_client_token_replays_or_conflicts(ddb, s3):
    name = unique_name("tokens")
    table_arn = table_with_pitr(ddb, name)
    bucket = new_bucket(s3)
    token = "token-" + name
    first = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket, ClientToken=token)["ExportDescription"]
    again = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket, ClientToken=token)["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"] and again["ClientToken"] == token
    # The changes ScyllaDB's test_export_client_token_some_value_changed saw DynamoDB refuse.
    for change in ({"S3Prefix": "elsewhere"}, {"S3BucketOwner": "000000000000"}, {"S3Bucket": bucket + "x"},
                   {"ExportFormat": "ION"}):
        request = {"TableArn": table_arn, "S3Bucket": bucket, "ClientToken": token, **change}
        assert refused(ddb.export_table_to_point_in_time, **request) == (
            "ExportConflictException", "Duplicate request detected with conflicting parameters", 400)
    # Without a token of their own, two requests are two exports.
    one = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket)["ExportDescription"]
    two = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket)["ExportDescription"]
    assert one["ExportArn"] != two["ExportArn"]
    for arn in (first["ExportArn"], one["ExportArn"], two["ExportArn"]):
        assert wait_for_export(ddb, arn)["ExportStatus"] == "COMPLETED"
    # Tokens and exports belong to a Region, as DynamoDB's endpoints do.
    west = boto3.client("dynamodb", endpoint_url=ddb.meta.endpoint_url, region_name="us-west-2",
                        aws_access_key_id="test", aws_secret_access_key="test")
    assert refused(west.describe_export, ExportArn=first["ExportArn"])[0] == "ExportNotFoundException"
    west_name = unique_name("tokens-west")
    west_arn = table_with_pitr(west, west_name)
    other = west.export_table_to_point_in_time(TableArn=west_arn, S3Bucket=bucket, ClientToken=token)["ExportDescription"]
    assert other["ExportArn"] != first["ExportArn"]
    assert wait_for_export(west, other["ExportArn"])["ExportStatus"] == "COMPLETED"
    west.delete_table(TableName=west_name)
    ddb.delete_table(TableName=name)


def test_missing_bucket_fails_the_export(ddb):
    name = unique_name("nobucket")
    table_arn = table_with_pitr(ddb, name)
    arn = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket="no-such-bucket-" + name)["ExportDescription"]["ExportArn"]
    final = wait_for_export(ddb, arn)
    assert (final["ExportStatus"], final["FailureCode"]) == ("FAILED", "S3NoSuchBucket")
    assert re.fullmatch(r"The specified bucket does not exist \(Service: Amazon S3; Status Code: 404; "
                        r"Error Code: NoSuchBucket; Request ID: [0-9A-F]{16}; Proxy: null\)", final["FailureMessage"])
    assert "EndTime" in final
    listed = ddb.list_exports(TableArn=table_arn)["ExportSummaries"]
    assert listed == [{"ExportArn": arn, "ExportStatus": "FAILED", "ExportType": "FULL_EXPORT"}]
    ddb.delete_table(TableName=name)


def test_describe_export_refusals(ddb, make_table):
    table_arn = ddb.describe_table(TableName=make_table("S"))["Table"]["TableArn"]
    assert refused(ddb.describe_export, ExportArn=table_arn + "-not-an-export-arn-at-all") == (
        "ValidationException", "Invalid Export ARN", 400)
    unknown = f"{table_arn}/export/01700000000000-0badf00d"
    assert refused(ddb.describe_export, ExportArn=unknown) == (
        "ExportNotFoundException", f"Export not found: {unknown}", 400)


def test_list_exports_pages_filters_and_forgets_deleted_tables(fresh_server):
    ddb = make_client("dynamodb", fresh_server.endpoint_url)
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = new_bucket(s3)
    arns = {}
    for name in ("first", "second"):
        table_arn = table_with_pitr(ddb, name)
        arns[name] = []
        for _ in range(3):
            arns[name].append(ddb.export_table_to_point_in_time(
                TableArn=table_arn, S3Bucket=bucket)["ExportDescription"]["ExportArn"])
            time.sleep(0.002)  # distinct start times: the newest comes first
    pages, request = [], {"MaxResults": 4}
    while True:
        answer = ddb.list_exports(**request)
        pages.append([s["ExportArn"] for s in answer["ExportSummaries"]])
        if "NextToken" not in answer:
            break
        request["NextToken"] = answer["NextToken"]
    assert [len(p) for p in pages] == [4, 2]
    assert sum(pages, []) == list(reversed(arns["first"] + arns["second"]))
    first_arn = ddb.describe_table(TableName="first")["Table"]["TableArn"]
    assert [s["ExportArn"] for s in ddb.list_exports(TableArn=first_arn)["ExportSummaries"]] == arns["first"][::-1]
    assert refused(ddb.list_exports, NextToken="0123456789abcdef" * 8) == (
        "ValidationException", "Invalid Request: Provided nextToken is invalid: " + "0123456789abcdef" * 8, 400)
    code, message, status = refused(ddb.list_exports, MaxResults=26)
    assert (code, status) == ("ValidationException", 400) and "'maxResults' failed to satisfy constraint" in message
    for arn in sum(arns.values(), []):
        wait_for_export(ddb, arn)
    # Once its table is gone an export is no longer listed, yet DescribeExport still finds it
    # (as ScyllaDB's test_export_start_and_delete_table saw DynamoDB do).
    ddb.delete_table(TableName="first")
    assert [s["ExportArn"] for s in ddb.list_exports()["ExportSummaries"]] == arns["second"][::-1]
    assert ddb.describe_export(ExportArn=arns["first"][0])["ExportDescription"]["ExportStatus"] == "COMPLETED"


def test_an_export_cut_short_by_kill9_is_finished_after_restart(held_server):
    ddb, s3 = held_server.ddb, held_server.s3
    table_arn = table_with_pitr(ddb, "survivor")
    ddb.put_item(TableName="survivor", Item={"pk": {"S": "a"}})
    bucket = new_bucket(s3)
    arn = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket)["ExportDescription"]["ExportArn"]
    assert ddb.describe_export(ExportArn=arn)["ExportDescription"]["ExportStatus"] == "IN_PROGRESS"
    listed = ddb.list_exports()["ExportSummaries"]
    assert listed == [{"ExportArn": arn, "ExportStatus": "IN_PROGRESS", "ExportType": "FULL_EXPORT"}]
    held_server.restart_after_kill9()
    ddb, s3 = held_server.ddb, held_server.s3
    # Written after the export's time: not in it, though the export runs only now.
    ddb.put_item(TableName="survivor", Item={"pk": {"S": "b"}})
    assert ddb.describe_export(ExportArn=arn)["ExportDescription"]["ExportStatus"] == "IN_PROGRESS"
    held_server.release()
    final = wait_for_export(ddb, arn)
    assert (final["ExportStatus"], final["ItemCount"]) == ("COMPLETED", 1)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sum(k.endswith(".json.gz") for k in keys) == 1


@pytest.mark.parametrize("algorithm, expected", [("AES256", "AES256"), ("KMS", "aws:kms")])
def test_export_objects_carry_the_requested_encryption(ddb, s3, algorithm, expected):
    name = unique_name("sse")
    table_arn = table_with_pitr(ddb, name)
    bucket = new_bucket(s3)
    arn = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket,
                                            S3SseAlgorithm=algorithm)["ExportDescription"]["ExportArn"]
    final = wait_for_export(ddb, arn)
    assert final["S3SseAlgorithm"] == algorithm
    assert s3.head_object(Bucket=bucket, Key=final["ExportManifest"])["ServerSideEncryption"] == expected
    ddb.delete_table(TableName=name)


def test_an_export_whose_table_went_before_it_ran_fails(held_server):
    ddb, s3 = held_server.ddb, held_server.s3
    bucket = new_bucket(s3)
    gone_arn = table_with_pitr(ddb, "gone")
    unprotected_arn = table_with_pitr(ddb, "unprotected")
    toggled_arn = table_with_pitr(ddb, "toggled")
    gone = ddb.export_table_to_point_in_time(TableArn=gone_arn, S3Bucket=bucket)["ExportDescription"]["ExportArn"]
    unprotected = ddb.export_table_to_point_in_time(TableArn=unprotected_arn,
                                                    S3Bucket=bucket)["ExportDescription"]["ExportArn"]
    toggled = ddb.export_table_to_point_in_time(TableArn=toggled_arn, S3Bucket=bucket)["ExportDescription"]["ExportArn"]
    ddb.delete_table(TableName="gone")
    ddb.update_continuous_backups(TableName="unprotected",
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    # Off and on again: the history now starts after the export's time.
    time.sleep(0.01)
    for enabled in (False, True):
        ddb.update_continuous_backups(TableName="toggled",
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled})
    held_server.release()
    # Overcast's codes: the export reads the point-in-time history, which went with the table
    # or with its recovery.
    final = wait_for_export(ddb, gone)
    assert (final["ExportStatus"], final["FailureCode"], final["FailureMessage"]) == (
        "FAILED", "TableNotFound", "The table was deleted before the export ran")
    final = wait_for_export(ddb, unprotected)
    assert (final["ExportStatus"], final["FailureCode"], final["FailureMessage"]) == (
        "FAILED", "PointInTimeRecoveryUnavailable", "Point in time recovery was disabled before the export ran")
    final = wait_for_export(ddb, toggled)
    assert (final["ExportStatus"], final["FailureCode"]) == ("FAILED", "PointInTimeRecoveryUnavailable")


def test_a_large_export_is_written_a_file_at_a_time(ddb, s3):
    """Past 10,000 items an export has a second data file (read a page of history at a time and
    sent a file at a time); a key that was deleted, or overwritten, counts once as it stood."""
    name = unique_name("large")
    table_arn = table_with_pitr(ddb, name)
    total = 10_050
    for start in range(0, total, 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": f"k{i:05}"}}}}
                                                  for i in range(start, min(start + 25, total))]})
    ddb.put_item(TableName=name, Item={"pk": {"S": "k00007"}, "v": {"S": "second state"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "k00008"}})
    bucket = new_bucket(s3)
    arn = ddb.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket)["ExportDescription"]["ExportArn"]
    final = wait_for_export(ddb, arn)
    assert (final["ExportStatus"], final["ItemCount"]) == ("COMPLETED", total - 1)
    root = final["ExportManifest"].rsplit("manifest-summary.json", 1)[0]
    manifest = s3.get_object(Bucket=bucket, Key=root + "manifest-files.json")["Body"].read().decode().splitlines()
    entries = [json.loads(line) for line in manifest]
    assert sorted(entry["itemCount"] for entry in entries) == [total - 1 - 10_000, 10_000]
    keys = []
    for entry in entries:
        data = gzip.decompress(s3.get_object(Bucket=bucket, Key=entry["dataFileS3Key"])["Body"].read())
        keys += [json.loads(line)["Item"] for line in data.decode().splitlines()]
    assert len({item["pk"]["S"] for item in keys}) == total - 1
    assert {"pk": {"S": "k00007"}, "v": {"S": "second state"}} in keys
    ddb.delete_table(TableName=name)
