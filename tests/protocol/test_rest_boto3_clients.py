"""Real boto3 clients (virtual and path addressing, checksums, customizations) through our layer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from overcast.protocol.errors import ServiceError
from tests.protocol.rest_loopback import client

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def s3_handler(objects: dict[tuple[str, str], bytes]):
    def handle(op: str, params: dict[str, Any]) -> dict[str, Any]:
        if op == "PutObject":
            objects[(params["Bucket"], params["Key"])] = params.get("Body", b"")
            return {"ETag": '"e1"'}
        if op in ("GetObject", "HeadObject"):
            key = (params["Bucket"], params["Key"])
            if key not in objects:
                raise ServiceError(
                    "The specified key does not exist.", code="NoSuchKey", status=404, Key=params["Key"]
                )
            data = objects[key]
            out = {
                "ContentLength": len(data),
                "ETag": '"e1"',
                "LastModified": WHEN,
                "Metadata": {"owner": "me"},
                "ContentType": "text/plain",
            }
            if op == "GetObject":
                out["Body"] = data
            return out
        if op == "ListObjectsV2":
            contents = [
                {"Key": k, "Size": len(v), "LastModified": WHEN, "ETag": '"e1"', "StorageClass": "STANDARD"}
                for (b, k), v in sorted(objects.items())
                if b == params["Bucket"]
            ]
            return {
                "Name": params["Bucket"],
                "KeyCount": len(contents),
                "Contents": contents,
                "IsTruncated": False,
            }
        if op == "DeleteObjects":
            deleted = [{"Key": o["Key"]} for o in params["Delete"]["Objects"]]
            for o in params["Delete"]["Objects"]:
                objects.pop((params["Bucket"], o["Key"]), None)
            return {"Deleted": deleted}
        if op == "GetBucketLocation":
            return {"LocationConstraint": "eu-west-1"}
        if op == "CreateBucket":
            return {"Location": "/" + params["Bucket"]}
        if op == "CopyObject":
            return {"CopyObjectResult": {"ETag": '"e2"', "LastModified": WHEN}}
        raise ServiceError(f"not in this test: {op}", code="NotImplemented", status=501)

    return handle


@pytest.mark.parametrize("style", ["virtual", "path"])
def test_s3_object_lifecycle(style: str) -> None:
    objects: dict[tuple[str, str], bytes] = {}
    s3, loop = client("s3", s3_handler(objects), s3={"addressing_style": style})
    s3.put_object(Bucket="bkt", Key="dir/a b+c.txt", Body=b"hello", Metadata={"owner": "me"})
    assert objects == {("bkt", "dir/a b+c.txt"): b"hello"}
    name, params = loop.calls[-1]
    assert name == "PutObject" and params["Metadata"] == {"owner": "me"}
    got = s3.get_object(Bucket="bkt", Key="dir/a b+c.txt")
    assert got["Body"].read() == b"hello"
    assert got["LastModified"] == WHEN and got["Metadata"] == {"owner": "me"}
    assert got["ResponseMetadata"]["RequestId"] == "LOOPBACK-REQ-1"
    listing = s3.list_objects_v2(Bucket="bkt")
    assert [o["Key"] for o in listing["Contents"]] == ["dir/a b+c.txt"]
    result = s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "dir/a b+c.txt"}]})
    assert result["Deleted"] == [{"Key": "dir/a b+c.txt"}]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="bkt", Key="dir/a b+c.txt")
    assert info.value.response["Error"]["Code"] == "NoSuchKey"
    assert info.value.response["Error"]["Key"] == "dir/a b+c.txt"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket="bkt", Key="missing")
    assert info.value.response["Error"]["Code"] == "404"


def test_s3_bucket_calls_and_copy() -> None:
    s3, loop = client("s3", s3_handler({}), s3={"addressing_style": "virtual"})
    s3.create_bucket(Bucket="bkt", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert loop.calls[-1] == (
        "CreateBucket",
        {"Bucket": "bkt", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
    )
    assert s3.get_bucket_location(Bucket="bkt")["LocationConstraint"] == "eu-west-1"
    copied = s3.copy_object(Bucket="bkt", Key="dst", CopySource={"Bucket": "src", "Key": "a/b"})
    assert loop.calls[-1][0] == "CopyObject"
    assert loop.calls[-1][1]["CopySource"] == "src/a/b"
    assert copied["CopyObjectResult"]["ETag"] == '"e2"'


def test_lambda_through_boto3() -> None:
    def handle(op: str, params: dict[str, Any]) -> dict[str, Any]:
        if op == "CreateFunction":
            return {"FunctionName": params["FunctionName"], "MemorySize": params.get("MemorySize", 128)}
        if op == "Invoke":
            return {"StatusCode": 200, "Payload": b'{"ok": true}', "ExecutedVersion": "$LATEST"}
        if op == "GetFunction":
            raise ServiceError(
                f"Function not found: {params['FunctionName']}", code="ResourceNotFoundException", status=404
            )
        raise AssertionError(op)

    lam, loop = client("lambda", handle)
    created = lam.create_function(
        FunctionName="f",
        Role="arn:aws:iam::000000000000:role/r",
        Code={"ZipFile": b"PK\x03\x04"},
        MemorySize=256,
    )
    assert created["MemorySize"] == 256
    assert loop.calls[-1][1]["Code"] == {"ZipFile": b"PK\x03\x04"}
    result = lam.invoke(FunctionName="f", Payload=b"{}")
    assert result["StatusCode"] == 200 and result["Payload"].read() == b'{"ok": true}'
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as info:
        lam.get_function(FunctionName="nope")
    assert info.value.response["Error"]["Message"] == "Function not found: nope"


def test_api_gateway_through_boto3() -> None:
    def handle(op: str, params: dict[str, Any]) -> dict[str, Any]:
        if op == "CreateRestApi":
            return {"id": "abc123", "name": params["name"], "createdDate": WHEN}
        if op == "GetRestApi":
            raise ServiceError("Invalid API identifier specified", code="NotFoundException", status=404)
        raise AssertionError(op)

    apigw, _ = client("apigateway", handle)
    created = apigw.create_rest_api(name="api")
    assert created["id"] == "abc123" and created["createdDate"] == WHEN
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_rest_api(restApiId="zzz")


def test_cloudfront_through_boto3() -> None:
    def handle(op: str, params: dict[str, Any]) -> dict[str, Any]:
        if op == "ListDistributions":
            return {"DistributionList": {"Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 0}}
        if op == "GetDistribution":
            raise ServiceError(
                "The specified distribution does not exist.", code="NoSuchDistribution", status=404
            )
        raise AssertionError(op)

    cf, _ = client("cloudfront", handle)
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0
    with pytest.raises(cf.exceptions.NoSuchDistribution):
        cf.get_distribution(Id="E123")
