"""Differences from real S3 found by auditing the object, listing, multipart and bucket APIs.

Each test names its source: the S3 API reference, or responses recorded against s3.amazonaws.com
by a public compliance suite (facts only).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_absent, assert_error, raw_request, unique_bucket_name


@pytest.fixture
def versioned(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


# ---- GetObject / HeadObject of a delete marker by id ----------------------------------------


def test_delete_marker_by_id_answers_405_with_last_modified(s3, versioned):
    # GetObject reference: "If the specified version in the request is a delete marker, the
    # response returns a 405 Method Not Allowed error and the Last-Modified: timestamp response header."
    s3.put_object(Bucket=versioned, Key="k", Body=b"x")
    marker = s3.delete_object(Bucket=versioned, Key="k")["VersionId"]
    listed = s3.list_object_versions(Bucket=versioned)["DeleteMarkers"][0]["LastModified"]
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as exc:
            call(Bucket=versioned, Key="k", VersionId=marker)
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
        headers = exc.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert headers["x-amz-delete-marker"] == "true"
        assert headers["x-amz-version-id"] == marker
        assert headers["last-modified"] == listed.strftime("%a, %d %b %Y %H:%M:%S GMT")
        assert headers["allow"] == "DELETE"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=versioned, Key="k", VersionId=marker)
    assert_error(exc, "MethodNotAllowed", 405, "The specified method is not allowed against this resource.")


# ---- Storage classes ------------------------------------------------------------------------


@pytest.mark.parametrize("storage_class", ["FOO", "standard", "OUTPOSTS", "EXPRESS_ONEZONE"])
def test_put_object_refuses_an_unknown_storage_class(s3, bucket, storage_class):
    # S3 error responses: InvalidStorageClass, 400, for a class a general purpose bucket does not have.
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", StorageClass=storage_class)
    error = assert_error(exc, "InvalidStorageClass", 400, "The storage class you specified is not valid.")
    assert error["StorageClassRequested"] == storage_class
    assert_absent(s3, bucket, "k")


def test_copy_and_multipart_refuse_an_unknown_storage_class(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, StorageClass="COLD")
    assert_error(exc, "InvalidStorageClass", 400, "The storage class you specified is not valid.")
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="mpu", StorageClass="COLD")
    assert_error(exc, "InvalidStorageClass", 400, "The storage class you specified is not valid.")
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_valid_storage_classes_are_kept(s3, bucket):
    for storage_class in ("STANDARD_IA", "GLACIER_IR", "INTELLIGENT_TIERING"):
        s3.put_object(Bucket=bucket, Key=storage_class, Body=b"x", StorageClass=storage_class)
        assert s3.head_object(Bucket=bucket, Key=storage_class)["StorageClass"] == storage_class


# ---- ListObjectVersions argument checks (recorded against s3.amazonaws.com) -----------------


def _versions_error(server, bucket: str, query: str) -> tuple[int, bytes]:
    status, _, body = raw_request(server.endpoint_url, "GET", f"/{bucket}?versions&{query}")
    return status, body


@pytest.mark.parametrize("query, message, argument_value", [
    ("version-id-marker=abc", "A version-id marker cannot be specified without a key marker.", "abc"),
    ("version-id-marker=", "A version-id marker cannot be specified without a key marker.", ""),
    ("key-marker=k&version-id-marker=", "A version-id marker cannot be empty.", ""),
    ("key-marker=k&version-id-marker=bad-vid", "Invalid version id specified", "bad-vid"),
    ("key-marker=&version-id-marker=bad-vid", "Invalid version id specified", "bad-vid"),
    # The marker pair is judged before encoding-type.
    ("encoding-type=bad&version-id-marker=bad-vid", "A version-id marker cannot be specified without a key marker.",
     "bad-vid"),
])
def test_list_object_versions_version_id_marker_rules(server, s3, versioned, query, message, argument_value):
    status, body = _versions_error(server, versioned, query)
    assert status == 400, body
    assert b"<Code>InvalidArgument</Code>" in body
    assert f"<Message>{message}</Message>".encode() in body
    assert b"<ArgumentName>version-id-marker</ArgumentName>" in body
    assert (f"<ArgumentValue>{argument_value}</ArgumentValue>".encode() in body
            or (argument_value == "" and b"<ArgumentValue/>" in body))


def test_list_object_versions_max_keys_messages(server, s3, versioned):
    status, body = _versions_error(server, versioned, "max-keys=-1&version-id-marker=x")
    assert status == 400 and b"<Message>max-keys cannot be negative</Message>" in body
    assert b"<ArgumentName>max-keys</ArgumentName>" in body
    status, body = _versions_error(server, versioned, "max-keys=2147483648")
    assert status == 400
    assert b"<Message>Provided max-keys not an integer or within integer range</Message>" in body
    assert b"<ArgumentValue>2147483648</ArgumentValue>" in body
    # Not a number at all: the same message, the argument kebab-cased (the protocol layer's).
    status, body = _versions_error(server, versioned, "max-keys=abc")
    assert status == 400
    assert b"<Message>Provided max-keys not an integer or within integer range</Message>" in body
    assert b"<ArgumentName>max-keys</ArgumentName>" in body and b"<ArgumentValue>abc</ArgumentValue>" in body
    status, _, body = raw_request(server.endpoint_url, "GET", f"/{versioned}?uploads&max-uploads=abc")
    assert status == 400
    assert b"<Message>Provided max-uploads not an integer or within integer range</Message>" in body


def test_list_object_versions_null_version_id_marker_is_valid(s3, versioned):
    s3.put_object(Bucket=versioned, Key="a", Body=b"x")
    v_b = s3.put_object(Bucket=versioned, Key="b", Body=b"x")["VersionId"]
    page = s3.list_object_versions(Bucket=versioned, KeyMarker="a", VersionIdMarker="null")
    assert page["VersionIdMarker"] == "null"
    assert [v["VersionId"] for v in page["Versions"]] == [v_b]


# ---- Version ids in x-amz-copy-source, UploadPart and ACL calls -----------------------------
# Recorded against s3.amazonaws.com ("Versioning Mix: DeleteMarker as Source").


def _marked(s3, bucket: str) -> tuple[str, str]:
    """A key whose version sits under a delete marker: (real version, marker)."""
    version = s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="src")["VersionId"]
    return version, marker


def test_copy_source_naming_a_delete_marker_is_invalid_request(s3, versioned):
    _, marker = _marked(s3, versioned)
    upload = s3.create_multipart_upload(Bucket=versioned, Key="mpu")["UploadId"]
    source = {"Bucket": versioned, "Key": "src", "VersionId": marker}
    message = "The source of a copy request may not specifically refer to a delete marker by version id."
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=versioned, Key="dst", CopySource=source)
    assert_error(exc, "InvalidRequest", 400, message)
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(Bucket=versioned, Key="mpu", UploadId=upload, PartNumber=1, CopySource=source)
    assert_error(exc, "InvalidRequest", 400, message)
    # Without a version id the delete marker is current: NoSuchKey with the marker's headers.
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=versioned, Key="dst", CopySource={"Bucket": versioned, "Key": "src"})
    assert_error(exc, "NoSuchKey", 404, "The specified key does not exist.")
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"


def test_copy_source_with_a_bad_version_id(server, s3, versioned):
    s3.put_object(Bucket=versioned, Key="src", Body=b"x")
    upload = s3.create_multipart_upload(Bucket=versioned, Key="mpu")["UploadId"]

    def copy(version: str) -> tuple[int, bytes]:
        status, _, body = raw_request(server.endpoint_url, "PUT", f"/{versioned}/dst",
                                      headers={"x-amz-copy-source": f"/{versioned}/src?versionId={version}"})
        return status, body

    def part_copy(version: str) -> tuple[int, bytes]:
        status, _, body = raw_request(server.endpoint_url, "PUT", f"/{versioned}/mpu?uploadId={upload}&partNumber=1",
                                      headers={"x-amz-copy-source": f"/{versioned}/src?versionId={version}"})
        return status, body

    for call in (copy, part_copy):
        status, body = call("")
        assert status == 400 and b"<Message>Version id cannot be the empty string</Message>" in body, body
        assert b"<ArgumentName>x-amz-copy-source</ArgumentName>" in body
    # A malformed id: CopyObject answers a bare InvalidRequest, UploadPartCopy an InvalidArgument.
    status, body = copy("abc")
    assert status == 400 and b"<Code>InvalidRequest</Code><Message>Invalid Request</Message>" in body, body
    status, body = part_copy("abc")
    assert status == 400 and b"<Code>InvalidArgument</Code><Message>Invalid version id specified</Message>" in body
    assert b"<ArgumentName>x-amz-copy-source</ArgumentName><ArgumentValue>abc</ArgumentValue>" in body


def test_upload_part_refuses_a_version_id(server, s3, versioned):
    version = s3.put_object(Bucket=versioned, Key="mpu", Body=b"x")["VersionId"]
    upload = s3.create_multipart_upload(Bucket=versioned, Key="mpu")["UploadId"]
    for value in ("", "abc", version):
        status, _, body = raw_request(server.endpoint_url, "PUT",
                                      f"/{versioned}/mpu?uploadId={upload}&partNumber=1&versionId={value}", b"part")
        assert status == 400, body
        assert b"<Code>InvalidArgument</Code><Message>This operation does not accept a version-id.</Message>" in body
        assert f"<ArgumentName>versionId</ArgumentName><ArgumentValue>{value}</ArgumentValue>".encode() in body
    assert "Parts" not in s3.list_parts(Bucket=versioned, Key="mpu", UploadId=upload)


def test_empty_version_id_on_reads_and_acls(server, s3, versioned):
    s3.put_object(Bucket=versioned, Key="k", Body=b"x")
    for path in (f"/{versioned}/k?versionId=", f"/{versioned}/k?acl&versionId="):
        status, _, body = raw_request(server.endpoint_url, "GET", path)
        assert status == 400, body
        assert b"<Message>Version id cannot be the empty string</Message>" in body
        assert b"<ArgumentName>versionId</ArgumentName>" in body


def test_acl_calls_on_a_delete_marker(s3, public_bucket):
    s3.put_bucket_versioning(Bucket=public_bucket, VersioningConfiguration={"Status": "Enabled"})
    _, marker = _marked(s3, public_bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_object_acl(Bucket=public_bucket, Key="src", VersionId=marker)
    assert_error(exc, "MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["allow"] == "DELETE"
    # PutObjectAcl is 405 even when the marker is only current (not named), without its headers.
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=public_bucket, Key="src", ACL="private")
    error = assert_error(exc, "MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
    assert (error["Method"], error["ResourceType"]) == ("PUT", "DeleteMarker")
    headers = exc.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["allow"] == "DELETE" and "x-amz-delete-marker" not in headers
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=public_bucket, Key="src", ACL="private", VersionId=marker)
    assert_error(exc, "MethodNotAllowed", 405)
    headers = exc.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert (headers["allow"], headers["x-amz-delete-marker"], headers["x-amz-version-id"]) == ("DELETE", "true", marker)


def test_list_object_versions_echoes_an_empty_delimiter(s3, versioned):
    s3.put_object(Bucket=versioned, Key="a/b", Body=b"x")
    page = s3.list_object_versions(Bucket=versioned, Delimiter="")
    assert page["Delimiter"] == ""
    assert [v["Key"] for v in page["Versions"]] == ["a/b"] and "CommonPrefixes" not in page


# ---- CreateBucket ---------------------------------------------------------------------------


def test_global_endpoint_refuses_a_constraint_that_names_no_region(s3):
    name = unique_bucket_name()
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "mars-1"})
    error = assert_error(exc, "InvalidLocationConstraint", 400, "The specified location-constraint is not valid")
    assert error["LocationConstraint"] == "mars-1"
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_part_number_and_range_together_are_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", PartNumber=1, Range="bytes=0-1")
    assert_error(exc, "InvalidRequest", 400, "Cannot specify both Range header and partNumber query parameter")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k", PartNumber=1, Range="bytes=0-1")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert s3.get_object(Bucket=bucket, Key="k", PartNumber=1)["Body"].read() == b"0123456789"


# ---- DeleteObjects --------------------------------------------------------------------------


def test_delete_objects_names_the_same_key_twice(s3, versioned):
    # Recorded against s3.amazonaws.com: one <Deleted> and one delete marker, not two.
    s3.put_object(Bucket=versioned, Key="a", Body=b"x")
    result = s3.delete_objects(Bucket=versioned, Delete={"Objects": [{"Key": "a"}, {"Key": "a"}, {"Key": "b"}]})
    assert [d["Key"] for d in result["Deleted"]] == ["a", "b"]
    markers = s3.list_object_versions(Bucket=versioned, Prefix="a")["DeleteMarkers"]
    assert [m["VersionId"] for m in markers] == [result["Deleted"][0]["DeleteMarkerVersionId"]]


# ---- ListObjects / ListObjectsV2 parameters of the other version ----------------------------
# Measured against AWS by public S3 compatibility suites (versitygw's direct-to-AWS runs among
# them): refused with ArgumentName and no ArgumentValue, before the bucket is looked up.


@pytest.mark.parametrize("query, message, argument", [
    ("continuation-token=x", "continuation-token only supported in REST.GET.BUCKET with list-type=2",
     "continuation-token"),
    ("start-after=", "startAfter only supported in REST.GET.BUCKET with list-type=2", "start-after"),
    ("start-after=a&continuation-token=x", "continuation-token only supported in REST.GET.BUCKET with list-type=2",
     "continuation-token"),
    ("list-type=2&marker=a", "Marker unsupported with REST.GET.BUCKET in list-type=2", "marker"),
])
def test_listing_refuses_the_other_versions_parameters(server, bucket, query, message, argument):
    for name in (bucket, "no-such-bucket-" + bucket[-12:]):
        status, _, body = raw_request(server.endpoint_url, "GET", f"/{name}?{query}")
        assert status == 400, body
        assert f"<Code>InvalidArgument</Code><Message>{message}</Message>".encode() in body
        assert f"<ArgumentName>{argument}</ArgumentName>".encode() in body
        assert b"<ArgumentValue>" not in body


def test_empty_continuation_token_is_incorrect(server, bucket):
    status, _, body = raw_request(server.endpoint_url, "GET", f"/{bucket}?list-type=2&continuation-token=")
    assert status == 400, body
    assert b"<Message>The continuation token provided is incorrect</Message>" in body


# ---- ListParts / ListMultipartUploads paging arguments --------------------------------------


def test_negative_paging_arguments_of_multipart_listings(server, s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    cases = [
        (f"/{bucket}?uploads&max-uploads=-1", "max-uploads", "-1"),
        (f"/{bucket}/k?uploadId={upload}&max-parts=-2", "max-parts", "-2"),
        (f"/{bucket}/k?uploadId={upload}&part-number-marker=-3", "part-number-marker", "-3"),
    ]
    for path, argument, value in cases:
        status, _, body = raw_request(server.endpoint_url, "GET", path)
        assert status == 400, body
        assert (f"<Message>Argument {argument} must be an integer between 0 and 2147483647</Message>"
                f"<ArgumentName>{argument}</ArgumentName><ArgumentValue>{value}</ArgumentValue>").encode() in body


def test_max_uploads_above_the_cap_is_served_and_echoed_as_the_cap(s3, bucket):
    s3.create_multipart_upload(Bucket=bucket, Key="k")
    listing = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2000)
    assert listing["MaxUploads"] == 1000 and len(listing["Uploads"]) == 1


# ---- Tagging header and directive -----------------------------------------------------------


def test_tagging_header_with_a_key_twice_is_a_malformed_header(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&a=2")
    error = assert_error(exc, "InvalidArgument", 400,
                         "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
                         "parameters without tag name duplicates.")
    assert (error["ArgumentName"], error["ArgumentValue"]) == ("x-amz-tagging", "a=1&a=2")


def test_copy_refuses_an_unknown_tagging_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       TaggingDirective="MERGE")
    error = assert_error(exc, "InvalidArgument", 400, "Unknown tagging directive.")
    assert error["ArgumentName"] == "x-amz-tagging-directive"
    assert_absent(s3, bucket, "dst")


# ---- Conditional deletes (S3 user guide, "How to perform conditional deletes") --------------


def test_delete_object_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key="k", IfMatch='"0123456789abcdef0123456789abcdef"')
    error = assert_error(exc, "PreconditionFailed", 412,
                         "At least one of the pre-conditions you specified did not hold")
    assert error["Condition"] == "If-Match"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    s3.delete_object(Bucket=bucket, Key="k", IfMatch=etag)
    assert_absent(s3, bucket, "k")
    # If-Match on a key with no object: NoSuchKey, and nothing is written.
    for condition in ("*", etag):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=bucket, Key="k", IfMatch=condition)
        assert_error(exc, "NoSuchKey", 404, "The specified key does not exist.")


def test_delete_object_if_match_star_in_a_versioned_bucket(s3, versioned):
    s3.put_object(Bucket=versioned, Key="k", Body=b"x")
    assert s3.delete_object(Bucket=versioned, Key="k", IfMatch="*")["DeleteMarker"] is True
    # The current version is now a delete marker: there is no object to match.
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=versioned, Key="k", IfMatch="*")
    assert_error(exc, "NoSuchKey", 404)
    assert len(s3.list_object_versions(Bucket=versioned)["DeleteMarkers"]) == 1


def test_delete_objects_with_etags(s3, bucket):
    etag_a = s3.put_object(Bucket=bucket, Key="a", Body=b"a")["ETag"]
    s3.put_object(Bucket=bucket, Key="b", Body=b"b")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "a", "ETag": etag_a}, {"Key": "b", "ETag": etag_a}, {"Key": "c"},
    ]})
    assert [d["Key"] for d in result["Deleted"]] == ["a", "c"]
    assert [(e["Key"], e["Code"], e["Message"]) for e in result["Errors"]] == [
        ("b", "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["b"]
    # Quiet still reports the failures.
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Quiet": True, "Objects": [{"Key": "b", "ETag": etag_a}]})
    assert "Deleted" not in quiet and [e["Key"] for e in quiet["Errors"]] == ["b"]


def test_delete_objects_etag_binds_its_own_entry_only(s3, versioned):
    old = s3.put_object(Bucket=versioned, Key="k", Body=b"1")["VersionId"]
    s3.put_object(Bucket=versioned, Key="k", Body=b"2")
    result = s3.delete_objects(Bucket=versioned, Delete={"Objects": [
        {"Key": "k", "VersionId": old}, {"Key": "k", "ETag": '"wrong"'},
    ]})
    # The version named without an ETag goes; the entry with the wrong ETag alone fails.
    assert [(d["Key"], d.get("VersionId")) for d in result["Deleted"]] == [("k", old)]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("k", "PreconditionFailed")]
