"""The documents of inventory, storage class analysis and Intelligent-Tiering configurations:
stored and echoed whole, refused as S3 refuses them (schema violations as MalformedXML, the
inventory's id and destination checks with their own codes, the archive tiers' day bounds in
S3's words), a refusal leaving what was stored before."""

from __future__ import annotations

import copy

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.s3.conftest import assert_error

MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"


@pytest.fixture(scope="module")
def unchecked(server):
    """A client that sends what boto3 would refuse to send (missing members, unknown values)."""
    return make_client("s3", server.endpoint_url, parameter_validation=False)


def full_inventory(bucket: str) -> dict:
    return {
        "Id": "report",
        "IsEnabled": False,
        "IncludedObjectVersions": "All",
        "Schedule": {"Frequency": "Daily"},
        "Filter": {"Prefix": "data/"},
        "OptionalFields": ["Size", "LastModifiedDate", "StorageClass", "ETag", "IsMultipartUploaded",
                           "ReplicationStatus", "EncryptionStatus", "ObjectLockMode", "ChecksumAlgorithm"],
        "Destination": {"S3BucketDestination": {
            "AccountId": "000000000000", "Bucket": f"arn:aws:s3:::{bucket}", "Format": "Parquet",
            "Prefix": "inventory", "Encryption": {"SSEKMS": {"KeyId": "arn:aws:kms:us-east-1:000000000000:key/k"}}}},
    }


def test_inventory_is_stored_whole(s3, bucket):
    config = full_inventory(bucket)
    put = s3.put_bucket_inventory_configuration(Bucket=bucket, Id="report", InventoryConfiguration=config)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_inventory_configuration(Bucket=bucket, Id="report")["InventoryConfiguration"] == config
    # SSE-S3 is an empty element, and it must come back as one.
    sse_s3 = copy.deepcopy(config)
    sse_s3["Destination"]["S3BucketDestination"]["Encryption"] = {"SSES3": {}}
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id="report", InventoryConfiguration=sse_s3)
    listing = s3.list_bucket_inventory_configurations(Bucket=bucket)
    assert listing["IsTruncated"] is False
    assert listing["InventoryConfigurationList"] == [sse_s3]
    s3.delete_bucket_inventory_configuration(Bucket=bucket, Id="report")
    assert "InventoryConfigurationList" not in s3.list_bucket_inventory_configurations(Bucket=bucket)


def _inventory_with(bucket: str, change) -> dict:
    config = full_inventory(bucket)
    change(config)
    return config


def _destination(config: dict) -> dict:
    return config["Destination"]["S3BucketDestination"]


INVENTORY_REFUSALS = [
    ("format", lambda c: _destination(c).update(Format="JSON"), "MalformedXML", MALFORMED),
    ("frequency", lambda c: c["Schedule"].update(Frequency="Hourly"), "MalformedXML", MALFORMED),
    ("versions", lambda c: c.update(IncludedObjectVersions="Some"), "MalformedXML", MALFORMED),
    ("optional-field", lambda c: c["OptionalFields"].append("Colour"), "MalformedXML", MALFORMED),
    ("no-is-enabled", lambda c: c.pop("IsEnabled"), "MalformedXML", MALFORMED),
    ("no-schedule", lambda c: c.pop("Schedule"), "MalformedXML", MALFORMED),
    ("no-destination-bucket", lambda c: _destination(c).pop("Bucket"), "MalformedXML", MALFORMED),
    ("both-encryptions", lambda c: _destination(c)["Encryption"].update(SSES3={}), "MalformedXML", MALFORMED),
    ("kms-without-key", lambda c: _destination(c).update(Encryption={"SSEKMS": {}}), "MalformedXML", MALFORMED),
    ("filter-without-prefix", lambda c: c.update(Filter={}), "MalformedXML", MALFORMED),
    ("id-mismatch", lambda c: c.update(Id="another"), "IdMismatch",
     "Document ID does not match the specified configuration ID."),
    ("bucket-not-arn", lambda c: _destination(c).update(Bucket="plain-bucket-name"), "InvalidS3DestinationBucket",
     "Invalid bucket ARN."),
    # The schema comes first: a bad format is MalformedXML even when the id differs as well.
    ("format-and-id", lambda c: (_destination(c).update(Format="JSON"), c.update(Id="another")), "MalformedXML",
     MALFORMED),
    # ... and the id before the destination's ARN.
    ("id-and-arn", lambda c: (_destination(c).update(Bucket="nope"), c.update(Id="another")), "IdMismatch",
     "Document ID does not match the specified configuration ID."),
]


@pytest.mark.parametrize("change, code, message", [r[1:] for r in INVENTORY_REFUSALS],
                         ids=[r[0] for r in INVENTORY_REFUSALS])
def test_inventory_refusals_change_nothing(s3, unchecked, bucket, change, code, message):
    kept = full_inventory(bucket)
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id="report", InventoryConfiguration=kept)
    with pytest.raises(ClientError) as exc:
        unchecked.put_bucket_inventory_configuration(Bucket=bucket, Id="report",
                                                     InventoryConfiguration=_inventory_with(bucket, change))
    assert_error(exc, code, 400, message)
    assert s3.get_bucket_inventory_configuration(Bucket=bucket, Id="report")["InventoryConfiguration"] == kept


def test_analytics_with_and_without_export(s3, bucket):
    plain = {"Id": "plain", "StorageClassAnalysis": {}}
    exported = {"Id": "exported", "Filter": {"And": {"Prefix": "docs/", "Tags": [{"Key": "a", "Value": "1"},
                                                                                 {"Key": "b", "Value": "2"}]}},
                "StorageClassAnalysis": {"DataExport": {"OutputSchemaVersion": "V_1", "Destination": {
                    "S3BucketDestination": {"Format": "CSV", "BucketAccountId": "000000000000",
                                            "Bucket": f"arn:aws:s3:::{bucket}", "Prefix": "analysis"}}}}}
    for config in (plain, exported):
        put = s3.put_bucket_analytics_configuration(Bucket=bucket, Id=config["Id"], AnalyticsConfiguration=config)
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_analytics_configuration(Bucket=bucket, Id="exported")["AnalyticsConfiguration"] == exported
    listing = s3.list_bucket_analytics_configurations(Bucket=bucket)
    assert listing["AnalyticsConfigurationList"] == [exported, plain]  # in id order
    assert s3.delete_bucket_analytics_configuration(Bucket=bucket, Id="plain")[
        "ResponseMetadata"]["HTTPStatusCode"] == 204


def _export(bucket: str, **destination) -> dict:
    target = {"Format": "CSV", "Bucket": f"arn:aws:s3:::{bucket}", **destination}
    return {"Id": "a", "StorageClassAnalysis": {"DataExport": {"OutputSchemaVersion": "V_1",
                                                               "Destination": {"S3BucketDestination": target}}}}


@pytest.mark.parametrize("document, code, message", [
    ({"Id": "other", "StorageClassAnalysis": {}}, "MalformedXML", MALFORMED),
    ({"Id": "a"}, "MalformedXML", MALFORMED),
    ({"Id": "a", "StorageClassAnalysis": {}, "Filter": {"Prefix": "p", "Tag": {"Key": "k", "Value": "v"}}},
     "MalformedXML", MALFORMED),
    ("format", "MalformedXML", MALFORMED),
    ("schema", "MalformedXML", MALFORMED),
    ("arn", "InvalidS3DestinationBucket", "Invalid bucket ARN."),
], ids=["id-mismatch", "no-analysis", "two-filters", "format", "schema-version", "bucket-not-arn"])
def test_analytics_refusals_change_nothing(s3, unchecked, bucket, document, code, message):
    if document == "format":
        document = _export(bucket, Format="ORC")
    elif document == "schema":
        document = _export(bucket)
        document["StorageClassAnalysis"]["DataExport"]["OutputSchemaVersion"] = "V_2"
    elif document == "arn":
        document = _export(bucket, Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        unchecked.put_bucket_analytics_configuration(Bucket=bucket, Id="a", AnalyticsConfiguration=document)
    assert_error(exc, code, 400, message)
    assert "AnalyticsConfigurationList" not in s3.list_bucket_analytics_configurations(Bucket=bucket)


def test_intelligent_tiering_is_stored_whole(s3, bucket):
    config = {"Id": "cold", "Status": "Disabled", "Filter": {"Tag": {"Key": "tier", "Value": "cold"}},
              "Tierings": [{"Days": 730, "AccessTier": "ARCHIVE_ACCESS"},
                           {"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}]}
    put = s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="cold",
                                                          IntelligentTieringConfiguration=config)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = s3.get_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="cold")
    assert got["IntelligentTieringConfiguration"] == config
    s3.delete_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="cold")
    assert "IntelligentTieringConfigurationList" not in s3.list_bucket_intelligent_tiering_configurations(
        Bucket=bucket)


def _tiers(*tiers: tuple[str, int]) -> dict:
    return {"Id": "t", "Status": "Enabled", "Tierings": [{"AccessTier": tier, "Days": days} for tier, days in tiers]}


@pytest.mark.parametrize("document, code, message", [
    (_tiers(("ARCHIVE_ACCESS", 89)), "InvalidArgument",
     "Days specified in ARCHIVE_ACCESS tier should not be less than 90"),
    (_tiers(("ARCHIVE_ACCESS", 90), ("DEEP_ARCHIVE_ACCESS", 179)), "InvalidArgument",
     "Days specified in DEEP_ARCHIVE_ACCESS tier should not be less than 180"),
    (_tiers(("DEEP_ARCHIVE_ACCESS", 731)), "InvalidArgument",
     "Days specified in DEEP_ARCHIVE_ACCESS tier should not be more than 730"),
    (_tiers(("GLACIER", 90)), "MalformedXML", MALFORMED),
    (_tiers(("ARCHIVE_ACCESS", 90), ("ARCHIVE_ACCESS", 120)), "MalformedXML", MALFORMED),
    (_tiers(), "MalformedXML", MALFORMED),
    ({**_tiers(("ARCHIVE_ACCESS", 90)), "Status": "On"}, "MalformedXML", MALFORMED),
    ({**_tiers(("ARCHIVE_ACCESS", 90)), "Id": "other"}, "MalformedXML", MALFORMED),
], ids=["archive-too-soon", "deep-archive-too-soon", "too-late", "unknown-tier", "repeated-tier", "no-tiers",
        "bad-status", "id-mismatch"])
def test_intelligent_tiering_refusals_change_nothing(s3, unchecked, bucket, document, code, message):
    with pytest.raises(ClientError) as exc:
        unchecked.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t",
                                                               IntelligentTieringConfiguration=document)
    assert_error(exc, code, 400, message)
    assert "IntelligentTieringConfigurationList" not in s3.list_bucket_intelligent_tiering_configurations(
        Bucket=bucket)
