"""S3 encrypts every object at rest (SSE-S3 unless asked otherwise) and reports it on writes and
reads, as AWS has done by default since January 2023."""

from __future__ import annotations

import pytest

BUCKET = "object-encryption"
KMS_KEY = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def test_default_is_sse_s3_on_put_get_head_and_copy(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="plain", Body=b"data")
    assert put["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    copied = s3.copy_object(Bucket=bucket, Key="plain-copy", CopySource={"Bucket": bucket, "Key": "plain"})
    assert copied["ServerSideEncryption"] == "AES256"
    assert "SSEKMSKeyId" not in put and "SSEKMSKeyId" not in copied


def test_requested_kms_encryption_is_kept_and_reported(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="kms", Body=b"secret", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=KMS_KEY)
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    head = s3.head_object(Bucket=bucket, Key="kms")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    # A copy is encrypted as its request says, else by the destination bucket's default (here
    # SSE-S3), whatever its source's encryption and metadata directive.
    plain = s3.copy_object(Bucket=bucket, Key="kms-copy", CopySource={"Bucket": bucket, "Key": "kms"})
    assert plain["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in plain
    assert s3.head_object(Bucket=bucket, Key="kms-copy")["ServerSideEncryption"] == "AES256"
    asked = s3.copy_object(Bucket=bucket, Key="kms-copy-kms", CopySource={"Bucket": bucket, "Key": "kms"},
                           ServerSideEncryption="aws:kms", SSEKMSKeyId=KMS_KEY)
    assert (asked["ServerSideEncryption"], asked["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    assert s3.get_object(Bucket=bucket, Key="kms-copy-kms")["SSEKMSKeyId"] == KMS_KEY
    changed = s3.copy_object(Bucket=bucket, Key="kms-to-s3", CopySource={"Bucket": bucket, "Key": "kms"},
                             MetadataDirective="REPLACE", ServerSideEncryption="AES256")
    assert changed["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in changed
    assert s3.get_object(Bucket=bucket, Key="kms-to-s3")["ServerSideEncryption"] == "AES256"


def test_bucket_default_kms_encryption_applies_to_new_objects(s3):
    s3.create_bucket(Bucket="object-encryption-kms-default")
    s3.put_bucket_encryption(Bucket="object-encryption-kms-default", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KMS_KEY}}]})
    put = s3.put_object(Bucket="object-encryption-kms-default", Key="k", Body=b"x")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    head = s3.head_object(Bucket="object-encryption-kms-default", Key="k")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    # Asking for SSE-S3 explicitly overrides the bucket's default.
    explicit = s3.put_object(Bucket="object-encryption-kms-default", Key="s3", Body=b"x", ServerSideEncryption="AES256")
    assert explicit["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in explicit
    # A copy into the bucket takes its default, not the SSE-S3 of its source.
    copied = s3.copy_object(Bucket="object-encryption-kms-default", Key="copied",
                            CopySource={"Bucket": "object-encryption-kms-default", "Key": "s3"})
    assert (copied["ServerSideEncryption"], copied["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)


def test_multipart_upload_reports_its_encryption(s3, bucket):
    created = s3.create_multipart_upload(Bucket=bucket, Key="mpu-kms", ServerSideEncryption="aws:kms",
                                         SSEKMSKeyId=KMS_KEY)
    assert (created["ServerSideEncryption"], created["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    part = s3.upload_part(Bucket=bucket, Key="mpu-kms", UploadId=created["UploadId"], PartNumber=1, Body=b"p")
    assert part["ServerSideEncryption"] == "aws:kms"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mpu-kms", UploadId=created["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert (done["ServerSideEncryption"], done["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    assert s3.head_object(Bucket=bucket, Key="mpu-kms")["ServerSideEncryption"] == "aws:kms"
    plain = s3.create_multipart_upload(Bucket=bucket, Key="mpu-plain")
    assert plain["ServerSideEncryption"] == "AES256"
    s3.abort_multipart_upload(Bucket=bucket, Key="mpu-plain", UploadId=plain["UploadId"])
