"""Archived storage classes: GLACIER and DEEP_ARCHIVE objects are not readable until RestoreObject
makes a temporary copy (ready at once here), which goes at the midnight after its Days by the
server's clock."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

import pytest
from botocore.exceptions import ClientError

from tests.conftest import make_client
from tests.services.s3.conftest import assert_error, unique_bucket_name
from tests.services.s3.test_lifecycle import move_clock

NOT_VALID = "The operation is not valid for the object's storage class"


def test_an_archived_object_is_read_only_after_a_restore_until_it_expires(fresh_server):
    s3 = make_client("s3", fresh_server.endpoint_url)
    bucket = unique_bucket_name("cold")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a", Body=b"frozen", StorageClass="GLACIER")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="a")
    assert assert_error(exc, "InvalidObjectState", 403, NOT_VALID)["StorageClass"] == "GLACIER"
    head = s3.head_object(Bucket=bucket, Key="a")  # HEAD answers whatever the class
    assert head["StorageClass"] == "GLACIER" and "Restore" not in head
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="b", CopySource={"Bucket": bucket, "Key": "a"})
    assert_error(exc, "InvalidObjectState", 403, "The source object of the COPY action is not in the active tier "
                                                 "and is only stored in Amazon Glacier.")

    upload = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(Bucket=bucket, Key="parts", UploadId=upload, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "a"})
    assert_error(exc, "InvalidObjectState", 403)

    first = s3.restore_object(Bucket=bucket, Key="a", RestoreRequest={"Days": 2})
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 202
    restore = s3.head_object(Bucket=bucket, Key="a")["Restore"]
    found = re.fullmatch(r'ongoing-request="false", expiry-date="([^"]+)"', restore)
    assert found, restore
    expiry = parsedate_to_datetime(found[1])
    assert (expiry.hour, expiry.minute, expiry.second) == (0, 0, 0)
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"frozen"
    s3.upload_part_copy(Bucket=bucket, Key="parts", UploadId=upload, PartNumber=1,
                        CopySource={"Bucket": bucket, "Key": "a"})
    s3.copy_object(Bucket=bucket, Key="b", CopySource={"Bucket": bucket, "Key": "a"})
    copied = s3.head_object(Bucket=bucket, Key="b")
    assert copied["StorageClass"] == "GLACIER" and "Restore" not in copied  # a copy is a new object
    again = s3.restore_object(Bucket=bucket, Key="a", RestoreRequest={"Days": 2})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200  # already restored: the expiry moves

    try:
        move_clock(fresh_server, {"advance": 4 * 86400})
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=bucket, Key="a")
        assert_error(exc, "InvalidObjectState", 403, NOT_VALID)
        assert "Restore" not in s3.head_object(Bucket=bucket, Key="a")
        assert s3.restore_object(Bucket=bucket, Key="a",
                                 RestoreRequest={"Days": 1})["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"frozen"
    finally:
        move_clock(fresh_server, {"reset": True})
    # A new write of the key is a new object: archived and unrestored again.
    s3.put_object(Bucket=bucket, Key="a", Body=b"new", StorageClass="DEEP_ARCHIVE")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="a")
    assert assert_error(exc, "InvalidObjectState", 403, NOT_VALID)["StorageClass"] == "DEEP_ARCHIVE"


def test_restore_refusals(s3, bucket):
    s3.put_object(Bucket=bucket, Key="hot", Body=b"x")
    s3.put_object(Bucket=bucket, Key="instant", Body=b"x", StorageClass="GLACIER_IR")
    assert s3.get_object(Bucket=bucket, Key="instant")["Body"].read() == b"x"  # instant retrieval
    for key in ("hot", "instant"):
        with pytest.raises(ClientError) as exc:
            s3.restore_object(Bucket=bucket, Key=key, RestoreRequest={"Days": 1})
        assert_error(exc, "InvalidObjectState", 403, "Restore is not allowed for the object's current storage class")
    with pytest.raises(ClientError) as exc:
        s3.restore_object(Bucket=bucket, Key="missing", RestoreRequest={"Days": 1})
    assert_error(exc, "NoSuchKey", 404)
