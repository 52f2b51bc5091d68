"""ImportTable, DescribeImport and ListImports."""

from __future__ import annotations

import gzip
import json
import urllib.request

import pytest

from overcast.services.dynamodb import import_formats
from tests.services.dynamodb.conftest import refused, unique_name
from tests.services.dynamodb.transfer_support import (
    import_request,
    new_bucket,
    wait_for_import,
)

GOOD = ['{"Item": {"pk": {"S": "good-1"}, "v": {"S": "kept"}}}', '{"Item": {"pk": {"S": "good-2"}, "b": {"B": "AAH+/w=="}}}']
# Each defect in an object of its own: the first bad line abandons the rest of its object.
BAD = {
    "no-item": '{"NotAnItem": {"pk": {"S": "x"}}}',
    "no-key": '{"Item": {"v": {"S": "x"}}}',
    "wrong-key-type": '{"Item": {"pk": {"N": "1"}}}',
    "not-json": '{"Item": ',
    "empty-name": '{"Item": {"pk": {"S": "x"}, "": {"S": "v"}}}',
    # Values of the wrong JSON type are errors, not guesses (a BOOL string read as true, a
    # number read as bytes) or a crash of the whole import (a map that is a string).
    "bool-as-string": '{"Item": {"pk": {"S": "x"}, "f": {"BOOL": "false"}}}',
    "binary-as-number": '{"Item": {"pk": {"S": "x"}, "b": {"B": 5}}}',
    "map-as-string": '{"Item": {"pk": {"S": "x"}, "m": {"M": "abc"}}}',
    "string-set-of-numbers": '{"Item": {"pk": {"S": "x"}, "s": {"SS": [1]}}}',
}


def _put(s3, bucket: str, key: str, lines: list[str], compress: bool = False) -> None:
    body = ("\n".join(lines) + "\n").encode()
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body) if compress else body)


def _items(ddb, table: str) -> list[dict]:
    return sorted(ddb.scan(TableName=table)["Items"], key=lambda item: item["pk"]["S"])


def test_import_counts_items_errors_and_keeps_what_passed(ddb, s3, client_factory):
    logs = client_factory("logs")
    bucket = new_bucket(s3)
    _put(s3, bucket, "bad/00-good.json", GOOD + ["", "   "])  # blank lines are neither items nor errors
    for number, line in enumerate(BAD.values(), start=1):
        _put(s3, bucket, f"bad/{number:02d}-bad.json", [line, GOOD[0]])  # the good line after it is never read
    s3.put_object(Bucket=bucket, Key="bad/99-empty.json", Body=b"")
    table = unique_name("bad")
    started = ddb.import_table(**import_request(bucket, "bad/", table))["ImportTableDescription"]
    assert started["ImportStatus"] == "IN_PROGRESS"
    assert started["InputCompressionType"] == "NONE"  # absent means NONE
    assert (started["ProcessedItemCount"], started["ImportedItemCount"], started["ErrorCount"]) == (0, 0, 0)
    for absent in ("EndTime", "FailureCode", "FailureMessage", "ProcessedSizeBytes"):
        assert absent not in started
    table_arn = started["TableArn"]
    assert started["ImportArn"].startswith(table_arn + "/import/")
    final = wait_for_import(ddb, started["ImportArn"])
    assert (final["ImportStatus"], final["FailureCode"], final["FailureMessage"]) == (
        "FAILED", "ItemValidationError",
        "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for "
        "more details.")
    assert final["CloudWatchLogGroupArn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/aws-dynamodb/imports:*"
    assert (final["ProcessedItemCount"], final["ImportedItemCount"], final["ErrorCount"]) == (
        len(GOOD) + len(BAD), len(GOOD), len(BAD))
    assert final["ProcessedSizeBytes"] > 0
    described = ddb.describe_table(TableName=table)["Table"]
    assert (described["TableStatus"], described["TableId"], described["TableArn"]) == (
        "ACTIVE", started["TableId"], table_arn)
    assert _items(ddb, table) == [{"pk": {"S": "good-1"}, "v": {"S": "kept"}},
                                  {"pk": {"S": "good-2"}, "b": {"B": b"\x00\x01\xfe\xff"}}]
    # One log event per error, naming the object and the item's index in it.
    events = logs.get_log_events(logGroupName="/aws-dynamodb/imports",
                                 logStreamName=started["ImportArn"].rsplit("/", 1)[1] + "/error")["events"]
    logged = sorted((json.loads(e["message"]) for e in events), key=lambda m: m["itemS3Pointer"]["key"])
    assert [m["itemS3Pointer"] for m in logged] == [
        {"bucket": bucket, "key": f"bad/{number:02d}-bad.json", "itemIndex": 0} for number in range(1, len(BAD) + 1)]
    assert {m["importArn"] for m in logged} == {started["ImportArn"]}
    assert logged[1]["errorMessages"] == ["One or more parameter values were invalid: Missing the key pk in the item"]
    ddb.delete_table(TableName=table)


def test_duplicates_count_as_imported_and_gzip_counts_uncompressed_bytes(ddb, s3):
    bucket = new_bucket(s3)
    lines = [json.dumps({"Item": {"pk": {"S": key}, "which": {"S": which}}})
             for key, which in (("dup", "first"), ("unique", "only"), ("dup", "second"))]
    _put(s3, bucket, "plain/data.json", lines)
    _put(s3, bucket, "zipped/data.json.gz", lines, compress=True)
    finals = {}
    for prefix, compression in (("plain/", "NONE"), ("zipped/", "GZIP")):
        table = unique_name("dups")
        arn = ddb.import_table(**import_request(bucket, prefix, table, InputCompressionType=compression))[
            "ImportTableDescription"]["ImportArn"]
        finals[prefix] = final = wait_for_import(ddb, arn)
        assert final["ImportStatus"] == "COMPLETED" and "FailureCode" not in final
        assert (final["ProcessedItemCount"], final["ImportedItemCount"], final["ErrorCount"]) == (3, 3, 0)
        assert _items(ddb, table) == [{"pk": {"S": "dup"}, "which": {"S": "second"}},
                                      {"pk": {"S": "unique"}, "which": {"S": "only"}}]
        ddb.delete_table(TableName=table)
    assert finals["plain/"]["ProcessedSizeBytes"] == finals["zipped/"]["ProcessedSizeBytes"] == len(
        ("\n".join(lines) + "\n").encode())


def test_csv_import_with_header_list_delimiter_and_an_index(ddb, s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="csv/with-header.csv", Body=b'id,score,name\n1,10,"Ann, ""the"" first"\n2,7,Bob\n')
    s3.put_object(Bucket=bucket, Key="csv-list/rows.csv", Body=b"3;9;Cy\n")
    creation = {"TableName": unique_name("csv"), "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"},
                                         {"AttributeName": "score", "AttributeType": "N"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by-score", "Projection": {"ProjectionType": "ALL"},
                                            "KeySchema": [{"AttributeName": "score", "KeyType": "HASH"}]}]}
    arn = ddb.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "csv/"}, InputFormat="CSV",
                           TableCreationParameters=creation)["ImportTableDescription"]["ImportArn"]
    assert wait_for_import(ddb, arn)["ImportStatus"] == "COMPLETED"
    # Key attributes (the table's and its indexes') take their defined types; the rest are strings.
    found = ddb.query(TableName=creation["TableName"], IndexName="by-score", KeyConditionExpression="score = :s",
                      ExpressionAttributeValues={":s": {"N": "10"}})["Items"]
    assert found == [{"id": {"N": "1"}, "score": {"N": "10"}, "name": {"S": 'Ann, "the" first'}}]
    ddb.delete_table(TableName=creation["TableName"])
    creation["TableName"] = unique_name("csv")
    arn = ddb.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "csv-list/"}, InputFormat="CSV",
                           InputFormatOptions={"Csv": {"Delimiter": ";", "HeaderList": ["id", "score", "name"]}},
                           TableCreationParameters=creation)["ImportTableDescription"]["ImportArn"]
    final = wait_for_import(ddb, arn)
    assert (final["ImportStatus"], final["ImportedItemCount"]) == ("COMPLETED", 1)
    assert final["InputFormatOptions"] == {"Csv": {"Delimiter": ";", "HeaderList": ["id", "score", "name"]}}
    assert ddb.scan(TableName=creation["TableName"])["Items"] == [
        {"id": {"N": "3"}, "score": {"N": "9"}, "name": {"S": "Cy"}}]
    ddb.delete_table(TableName=creation["TableName"])


def test_missing_bucket_fails_without_a_table_and_an_empty_prefix_completes(ddb, s3):
    table = unique_name("nobucket")
    arn = ddb.import_table(**import_request("no-such-bucket-" + table, "any/", table))["ImportTableDescription"]["ImportArn"]
    final = wait_for_import(ddb, arn)
    assert (final["ImportStatus"], final["FailureCode"]) == ("FAILED", "S3NoSuchBucket")
    assert final["FailureMessage"].startswith("The specified bucket does not exist (Service: Amazon S3; "
                                              "Status Code: 404; Error Code: NoSuchBucket; Request ID: ")
    assert (final["ProcessedItemCount"], final["ImportedItemCount"], final["ErrorCount"]) == (0, 0, 0)
    assert "ProcessedSizeBytes" not in final
    assert refused(ddb.describe_table, TableName=table)[0] == "ResourceNotFoundException"
    bucket = new_bucket(s3)
    arn = ddb.import_table(**import_request(bucket, "nothing-here/", table))["ImportTableDescription"]["ImportArn"]
    final = wait_for_import(ddb, arn)
    assert final["ImportStatus"] == "COMPLETED" and final["ImportedItemCount"] == 0
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 0
    # The table is there now: importing into it again is refused.
    assert refused(ddb.import_table, **import_request(bucket, "nothing-here/", table)) == (
        "ResourceInUseException", f"Table already exists: {table}", 400)
    ddb.delete_table(TableName=table)


def test_import_refusals(ddb, raw, s3, server):
    bucket = new_bucket(s3)
    table = unique_name("refused")
    request = import_request(bucket, "p/", table, InputFormatOptions={"Csv": {"Delimiter": ","}})
    assert refused(ddb.import_table, **request) == (
        "ValidationException", "Invalid Request: Unsupported InputFormatOptions for the given input format: DYNAMODB_JSON.",
        400)
    assert refused(ddb.import_table, **import_request(bucket, "p/", table, InputFormat="ION")) == (
        "ValidationException", "Overcast imports DYNAMODB_JSON and CSV only: InputFormat ION is not supported", 400)
    # CreateTable's checks and words for the table to create.
    bad_schema = import_request(bucket, "p/", table)
    bad_schema["TableCreationParameters"]["AttributeDefinitions"] = [{"AttributeName": "other", "AttributeType": "S"}]
    assert refused(ddb.import_table, **bad_schema) == (
        "ValidationException", "One or more parameter values were invalid: Some index key attributes are not defined "
        "in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]", 400)
    code, message, status = refused(raw.import_table, **import_request(bucket, "p/", table, InputCompressionType="BZIP2"))
    assert (code, status) == ("ValidationException", 400) and "'inputCompressionType' failed to satisfy" in message
    # Without a ClientToken (botocore always invents one, so the request goes without boto3).
    body = json.dumps(import_request(bucket, "p/", table)).encode()
    http = urllib.request.Request(server.endpoint_url + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ImportTable",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(http, timeout=5)
    answer = json.loads(excinfo.value.read())
    assert (excinfo.value.code, answer["__type"].rsplit("#", 1)[-1], answer["message"]) == (
        400, "ValidationException",
        "1 validation error detected: Value null at 'clientToken' failed to satisfy constraint: Member must not be null")


def test_describe_and_list_import_refusals(ddb, make_table):
    table_arn = ddb.describe_table(TableName=make_table("S"))["Table"]["TableArn"]
    unknown = f"{table_arn}/import/01700000000000-0badf00d"
    assert refused(ddb.describe_import, ImportArn=unknown) == (
        "ImportNotFoundException", f"Import not found: {unknown}", 400)
    short_name = table_arn.rsplit("/", 1)[0] + "/x/import/01658528578619-c4d4e311"
    assert refused(ddb.describe_import, ImportArn=short_name) == ("ValidationException", "Invalid Import ARN", 400)
    assert refused(ddb.list_imports, NextToken="0" * 112) == (
        "ValidationException", "Invalid Request: Provided nextToken is invalid: " + "0" * 112, 400)
    code, message, status = refused(ddb.list_imports, PageSize=26)
    assert (code, status) == ("ValidationException", 400) and "'pageSize' failed to satisfy constraint" in message


def test_an_import_in_progress_its_token_listing_and_restart(held_server):
    """While an import runs: no table yet, counters at zero, listed; its ClientToken replays it
    whatever else changed, unless the table differs; a kill -9 leaves it to run after restart."""
    ddb, s3 = held_server.ddb, held_server.s3
    bucket = new_bucket(s3)
    _put(s3, bucket, "src/a.json", GOOD)
    request = import_request(bucket, "src/", "target", ClientToken="the-token")
    started = ddb.import_table(**request)["ImportTableDescription"]
    arn = started["ImportArn"]
    assert ddb.describe_import(ImportArn=arn)["ImportTableDescription"]["ImportStatus"] == "IN_PROGRESS"
    assert refused(ddb.describe_table, TableName="target")[0] == "ResourceNotFoundException"
    listed = ddb.list_imports(TableArn=started["TableArn"])["ImportSummaryList"]
    assert [s["ImportArn"] for s in listed] == [arn]
    assert set(listed[0]) == {"ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn",
                              "InputFormat", "StartTime"}
    assert listed[0]["S3BucketSource"] == {"S3Bucket": bucket, "S3KeyPrefix": "src/", "S3BucketOwner": "000000000000"}
    for change in ({"InputCompressionType": "GZIP"}, {"InputFormat": "CSV"},
                   {"S3BucketSource": {"S3Bucket": bucket, "S3KeyPrefix": "other/"}}):
        replay = ddb.import_table(**{**request, **change})["ImportTableDescription"]
        assert (replay["ImportArn"], replay["TableId"], replay["S3BucketSource"]) == (
            arn, started["TableId"], started["S3BucketSource"])
    other_table = import_request(bucket, "src/", "elsewhere", ClientToken="the-token")
    assert refused(ddb.import_table, **other_table) == (
        "ImportConflictException", "Duplicate request detected with conflicting parameters", 400)
    # Another import of the same table, under another token, meets the table being created.
    assert refused(ddb.import_table, **import_request(bucket, "src/", "target", ClientToken="another")) == (
        "ResourceInUseException", "Table already exists: target", 400)

    held_server.restart_after_kill9()
    ddb = held_server.ddb
    assert ddb.describe_import(ImportArn=arn)["ImportTableDescription"]["ImportStatus"] == "IN_PROGRESS"
    held_server.release()
    final = wait_for_import(ddb, arn)
    assert (final["ImportStatus"], final["ImportedItemCount"]) == ("COMPLETED", len(GOOD))
    assert ddb.describe_table(TableName="target")["Table"]["TableId"] == started["TableId"]
    assert len(ddb.scan(TableName="target")["Items"]) == len(GOOD)
    # Once the table exists a replay meets it before its token is looked at.
    assert refused(ddb.import_table, **request) == ("ResourceInUseException", "Table already exists: target", 400)
    # Paging, one summary at a time.
    second = ddb.import_table(**import_request(bucket, "src/", "second"))["ImportTableDescription"]["ImportArn"]
    page = ddb.list_imports(PageSize=1)
    assert [s["ImportArn"] for s in page["ImportSummaryList"]] == [second]
    assert len(page["NextToken"]) >= 112
    rest = ddb.list_imports(PageSize=1, NextToken=page["NextToken"])
    assert [s["ImportArn"] for s in rest["ImportSummaryList"]] == [arn] and "NextToken" not in rest


def test_a_table_being_imported_cannot_be_created_or_restored_meanwhile(held_server):
    """DynamoDB's table is CREATING while its import runs: its name is taken."""
    ddb, s3 = held_server.ddb, held_server.s3
    bucket = new_bucket(s3)
    _put(s3, bucket, "src/a.json", GOOD)
    arn = ddb.import_table(**import_request(bucket, "src/", "contested"))["ImportTableDescription"]["ImportArn"]
    assert refused(ddb.create_table, **import_request(bucket, "src/", "contested")["TableCreationParameters"]) == (
        "ResourceInUseException", "Table already exists: contested", 400)
    ddb.create_table(**import_request(bucket, "src/", "source")["TableCreationParameters"])
    backup = ddb.create_backup(TableName="source", BackupName="bak")["BackupDetails"]["BackupArn"]
    assert refused(ddb.restore_table_from_backup, TargetTableName="contested", BackupArn=backup) == (
        "TableAlreadyExistsException", "Table already exists: contested", 400)
    held_server.release()
    assert wait_for_import(ddb, arn)["ImportStatus"] == "COMPLETED"
    assert len(ddb.scan(TableName="contested")["Items"]) == len(GOOD)


@pytest.mark.skipif(import_formats.zstd_available(), reason="the zstandard package is installed here")
def test_zstd_sources_are_refused_without_a_decoder(ddb):
    assert refused(ddb.import_table, **import_request("any-bucket", "p/", unique_name("zstd"),
                                                      InputCompressionType="ZSTD")) == (
        "ValidationException", "Overcast cannot read ZSTD sources here: the zstandard package is not installed", 400)


def test_lines_end_at_newline_alone_and_csv_quotes_must_close(ddb, s3):
    """An export writes U+2028, U+2029 and U+0085 raw inside strings: they are not line ends.
    An unterminated CSV quote fails its object (the developer guide's "Amazon S3 import
    formats"), rather than swallowing the rows after it into one value."""
    bucket = new_bucket(s3)
    odd = "line\u2028sep\u2029and\u0085more"
    _put(s3, bucket, "odd/data.json", [json.dumps({"Item": {"pk": {"S": odd}}}, ensure_ascii=False)])
    table = unique_name("odd")
    final = wait_for_import(ddb, ddb.import_table(**import_request(bucket, "odd/", table))["ImportTableDescription"]["ImportArn"])
    assert (final["ImportStatus"], final["ImportedItemCount"]) == ("COMPLETED", 1)
    assert _items(ddb, table) == [{"pk": {"S": odd}}]
    ddb.delete_table(TableName=table)
    s3.put_object(Bucket=bucket, Key="quote/rows.csv", Body=b'pk,v\na,"unterminated\nb,2\nc,3\n')
    table = unique_name("quote")
    final = wait_for_import(ddb, ddb.import_table(**import_request(bucket, "quote/", table, InputFormat="CSV"))[
        "ImportTableDescription"]["ImportArn"])
    assert (final["ImportStatus"], final["ImportedItemCount"], final["ErrorCount"]) == ("FAILED", 0, 1)
    ddb.delete_table(TableName=table)


def test_an_import_builds_the_vector_indexes_it_is_asked_for(ddb, s3):
    """TableCreationParameters' VectorIndexes: the imported items are searchable, and a line
    whose vector does not fit the index is an item error."""
    bucket = new_bucket(s3)
    lines = [json.dumps({"Item": {"pk": {"S": key}, "v": {"L": [{"N": str(x)} for x in vector]}}})
             for key, vector in (("east", (1, 0)), ("north", (0, 1)), ("bad", (1, 2, 3)))]
    _put(s3, bucket, "vectors/data.json", lines[:2])
    _put(s3, bucket, "vectors/bad.json", lines[2:])
    table = unique_name("vectors")
    request = import_request(bucket, "vectors/", table)
    request["TableCreationParameters"]["VectorIndexes"] = [{
        "IndexName": "near", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": 2, "DistanceFunction": "EUCLIDEAN",
        "Projection": {"ProjectionType": "KEYS_ONLY"}}]
    final = wait_for_import(ddb, ddb.import_table(**request)["ImportTableDescription"]["ImportArn"])
    assert (final["ImportedItemCount"], final["ErrorCount"]) == (2, 1)
    found = ddb.search_vectors(TableName=table, IndexName="near", SearchVector=[{"N": "0.9"}, {"N": "0.1"}], TopK=1)
    assert [result["Item"]["pk"]["S"] for result in found["SearchResults"]] == ["east"]
    ddb.delete_table(TableName=table)
