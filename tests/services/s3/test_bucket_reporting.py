"""Request metrics, inventory, storage class analysis and Intelligent-Tiering configurations:
kept by id per bucket, answered as S3 answers them (LocalStack's AWS-validated
TestS3MetricsConfiguration snapshots: 204 puts, NoSuchConfiguration, pages of 100), dropped
with the bucket, and durable across a restart and kill -9."""

from __future__ import annotations

import json
import shutil

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.s3.conftest import assert_error, unique_bucket_name
from tests.services.s3.test_aws_cli import aws

NO_SUCH_CONFIGURATION = "The specified configuration does not exist."


def metrics(config_id: str, prefix: str = "logs/") -> dict:
    return {"Id": config_id, "Filter": {"Prefix": prefix}}


def inventory(config_id: str, destination: str) -> dict:
    return {"Id": config_id, "IsEnabled": True, "IncludedObjectVersions": "Current",
            "Schedule": {"Frequency": "Weekly"}, "OptionalFields": ["Size", "ETag"],
            "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{destination}", "Format": "CSV",
                                                    "Prefix": "reports"}}}


def analytics(config_id: str) -> dict:
    return {"Id": config_id, "StorageClassAnalysis": {}}


def tiering(config_id: str) -> dict:
    return {"Id": config_id, "Status": "Enabled", "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}]}


def put_one_of_each(s3, bucket: str) -> None:
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="m", MetricsConfiguration=metrics("m"))
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id="i", InventoryConfiguration=inventory("i", bucket))
    s3.put_bucket_analytics_configuration(Bucket=bucket, Id="a", AnalyticsConfiguration=analytics("a"))
    s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t", IntelligentTieringConfiguration=tiering("t"))


def listed(s3, bucket: str) -> dict[str, list[str]]:
    """Every kind's listed ids."""
    return {
        "metrics": [c["Id"] for c in s3.list_bucket_metrics_configurations(Bucket=bucket)
                    .get("MetricsConfigurationList", [])],
        "inventory": [c["Id"] for c in s3.list_bucket_inventory_configurations(Bucket=bucket)
                      .get("InventoryConfigurationList", [])],
        "analytics": [c["Id"] for c in s3.list_bucket_analytics_configurations(Bucket=bucket)
                      .get("AnalyticsConfigurationList", [])],
        "tiering": [c["Id"] for c in s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)
                    .get("IntelligentTieringConfigurationList", [])],
    }


def test_metrics_configuration_lifecycle(s3, bucket):
    assert s3.list_bucket_metrics_configurations(Bucket=bucket)["IsTruncated"] is False
    put = s3.put_bucket_metrics_configuration(Bucket=bucket, Id="logs", MetricsConfiguration=metrics("logs"))
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_metrics_configuration(Bucket=bucket, Id="logs")["MetricsConfiguration"] == metrics("logs")

    # A put replaces the whole document of its id.
    tagged = {"Id": "logs", "Filter": {"And": {"Prefix": "logs/new", "Tags": [{"Key": "team", "Value": "a"}],
                                               "AccessPointArn": "arn:aws:s3:us-east-1:000000000000:accesspoint/ap"}}}
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="logs", MetricsConfiguration=tagged)
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="EntireBucket", MetricsConfiguration={"Id": "EntireBucket"})
    assert s3.get_bucket_metrics_configuration(Bucket=bucket, Id="logs")["MetricsConfiguration"] == tagged
    listing = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert listing["IsTruncated"] is False and "NextContinuationToken" not in listing
    assert listing["MetricsConfigurationList"] == [{"Id": "EntireBucket"}, tagged]

    deleted = s3.delete_bucket_metrics_configuration(Bucket=bucket, Id="logs")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    for call in (s3.get_bucket_metrics_configuration, s3.delete_bucket_metrics_configuration):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Id="logs")
        error = assert_error(exc, "NoSuchConfiguration", 404, NO_SUCH_CONFIGURATION)
        assert "BucketName" not in error
    assert [c["Id"] for c in s3.list_bucket_metrics_configurations(Bucket=bucket)["MetricsConfigurationList"]] == [
        "EntireBucket"]


def test_listings_come_in_pages_of_a_hundred(s3, bucket):
    ids = [f"{100 + i}-metric" for i in range(102)]
    for config_id in reversed(ids):  # put out of order: the listing is in id order all the same
        s3.put_bucket_metrics_configuration(Bucket=bucket, Id=config_id, MetricsConfiguration=metrics(config_id))
    first = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert first["IsTruncated"] is True and "ContinuationToken" not in first
    assert [c["Id"] for c in first["MetricsConfigurationList"]] == ids[:100]
    token = first["NextContinuationToken"]
    second = s3.list_bucket_metrics_configurations(Bucket=bucket, ContinuationToken=token)
    assert second["IsTruncated"] is False and second["ContinuationToken"] == token
    assert "NextContinuationToken" not in second
    assert [c["Id"] for c in second["MetricsConfigurationList"]] == ids[100:]


def test_metrics_document_refusals_change_nothing(s3, bucket, server):
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="kept", MetricsConfiguration=metrics("kept"))
    unchecked = make_client("s3", server.endpoint_url, parameter_validation=False)
    # A document Id unlike the query's (aws/aws-cli#4476: S3 answers MalformedXML); the schema's
    # choice of one of Prefix, Tag, AccessPointArn or And, never two; a tag without its value.
    for document in (metrics("other", "x/"),
                     {"Id": "kept", "Filter": {"Prefix": "x/", "Tag": {"Key": "k", "Value": "v"}}},
                     {"Id": "kept", "Filter": {"Tag": {"Key": "k"}}}):
        with pytest.raises(ClientError) as exc:
            unchecked.put_bucket_metrics_configuration(Bucket=bucket, Id="kept", MetricsConfiguration=document)
        assert_error(exc, "MalformedXML", 400,
                     "The XML you provided was not well-formed or did not validate against our published schema")
    assert s3.get_bucket_metrics_configuration(Bucket=bucket, Id="kept")["MetricsConfiguration"] == metrics("kept")
    assert listed(s3, bucket)["metrics"] == ["kept"]


def test_a_bucket_holds_at_most_a_thousand_of_a_kind(s3, bucket):
    for number in range(1000):
        config_id = f"m{number:04d}"
        s3.put_bucket_metrics_configuration(Bucket=bucket, Id=config_id, MetricsConfiguration={"Id": config_id})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_metrics_configuration(Bucket=bucket, Id="one-more", MetricsConfiguration={"Id": "one-more"})
    assert_error(exc, "TooManyConfigurations", 400,
                 "You are attempting to create a new configuration but have already reached the "
                 "1,000-configuration limit.")
    # Replacing one already there is no new configuration, and the other kinds have their own count.
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="m0000", MetricsConfiguration=metrics("m0000"))
    s3.put_bucket_analytics_configuration(Bucket=bucket, Id="one-more", AnalyticsConfiguration=analytics("one-more"))
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_metrics_configuration(Bucket=bucket, Id="one-more")
    assert_error(exc, "NoSuchConfiguration", 404, NO_SUCH_CONFIGURATION)


def test_every_kind_is_missing_in_the_same_words(s3, bucket):
    for call in (s3.get_bucket_inventory_configuration, s3.delete_bucket_inventory_configuration,
                 s3.get_bucket_analytics_configuration, s3.delete_bucket_analytics_configuration,
                 s3.get_bucket_intelligent_tiering_configuration, s3.delete_bucket_intelligent_tiering_configuration):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Id="nothing")
        assert_error(exc, "NoSuchConfiguration", 404, NO_SUCH_CONFIGURATION)


def test_a_missing_bucket_is_named(s3):
    missing = unique_bucket_name()
    for call in (lambda: s3.put_bucket_metrics_configuration(Bucket=missing, Id="m", MetricsConfiguration=metrics("m")),
                 lambda: s3.get_bucket_inventory_configuration(Bucket=missing, Id="i"),
                 lambda: s3.list_bucket_analytics_configurations(Bucket=missing),
                 lambda: s3.delete_bucket_intelligent_tiering_configuration(Bucket=missing, Id="t")):
        with pytest.raises(ClientError) as exc:
            call()
        assert_error(exc, "NoSuchBucket", 404, "The specified bucket does not exist")


def test_deleting_the_bucket_drops_them_all(s3):
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    put_one_of_each(s3, name)
    assert listed(s3, name) == {"metrics": ["m"], "inventory": ["i"], "analytics": ["a"], "tiering": ["t"]}
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    assert listed(s3, name) == {"metrics": [], "inventory": [], "analytics": [], "tiering": []}


@pytest.mark.parametrize("stop", ["restart", "kill9"])
def test_configurations_survive_the_server(fresh_server, stop):
    s3 = make_client("s3", fresh_server.endpoint_url)
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    put_one_of_each(s3, name)
    s3.delete_bucket_analytics_configuration(Bucket=name, Id="a")
    if stop == "kill9":
        fresh_server.kill9()
        fresh_server.start()
    else:
        fresh_server.restart()
    s3 = make_client("s3", fresh_server.endpoint_url)
    assert listed(s3, name) == {"metrics": ["m"], "inventory": ["i"], "analytics": [], "tiering": ["t"]}
    assert s3.get_bucket_inventory_configuration(Bucket=name, Id="i")["InventoryConfiguration"] == inventory("i", name)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_writes_and_reads_them(aws_cli_env, s3, bucket):
    aws(aws_cli_env, "s3api", "put-bucket-metrics-configuration", "--bucket", bucket, "--id", "EntireBucket",
        "--metrics-configuration", "Id=EntireBucket")
    aws(aws_cli_env, "s3api", "put-bucket-intelligent-tiering-configuration", "--bucket", bucket, "--id", "cold",
        "--intelligent-tiering-configuration",
        '{"Id": "cold", "Status": "Enabled", "Filter": {"Prefix": "archive/"}, '
        '"Tierings": [{"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}]}')
    got = json.loads(aws(aws_cli_env, "s3api", "list-bucket-metrics-configurations", "--bucket", bucket).stdout)
    assert got["MetricsConfigurationList"] == [{"Id": "EntireBucket"}]
    got = json.loads(aws(aws_cli_env, "s3api", "get-bucket-intelligent-tiering-configuration", "--bucket", bucket,
                         "--id", "cold").stdout)
    assert got["IntelligentTieringConfiguration"]["Tierings"] == [{"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}]
    refused = aws(aws_cli_env, "s3api", "get-bucket-metrics-configuration", "--bucket", bucket, "--id", "nope",
                  check=False)
    assert refused.returncode != 0 and "NoSuchConfiguration" in refused.stderr


def test_a_token_no_listing_gave_is_refused(s3, bucket):
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id="i", InventoryConfiguration=inventory("i", bucket))
    with pytest.raises(ClientError) as exc:
        s3.list_bucket_inventory_configurations(Bucket=bucket, ContinuationToken="_w")
    error = assert_error(exc, "InvalidArgument", 400, "The continuation token provided is incorrect")
    assert error["ArgumentName"] == "continuation-token" and error["ArgumentValue"] == "_w"
