"""Object Lock on object versions: the lock headers of PutObject, CopyObject and multipart
uploads, the bucket's default retention, Put/GetObjectRetention, Put/GetObjectLegalHold, the lock
headers GetObject and HeadObject answer, and deletes that a lock refuses.

S3's answers as recorded against it: LocalStack's AWS-validated TestS3ObjectLock* tests and
snapshots, moto's aws_verified test_s3_locking.py."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from botocore.exceptions import ClientError

from tests.services.s3.conftest import assert_absent, assert_error, raw_request, unique_bucket_name

PROTECTED = "Access Denied because object protected by object lock."
MISSING_LOCK = "Bucket is missing Object Lock Configuration"
BOTH = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
NO_LOCK_ON_VERSION = "The specified object does not have a ObjectLock configuration"


def later(days: float = 1.0) -> datetime:
    """A whole second (headers carry seconds), `days` from now."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def pacific_time_known() -> bool:
    try:
        ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return False
    return True


@pytest.fixture
def locked_bucket(s3) -> str:
    name = unique_bucket_name("lock")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def set_default(s3, bucket: str, mode: str, **period: int) -> None:
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, **period}}})


# ---- writing a version with a lock ---------------------------------------------------------

def test_a_version_written_with_a_lock_answers_it(s3, locked_bucket):
    until = later(2)
    put = s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"v1", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")
    for answer in (s3.head_object(Bucket=locked_bucket, Key="doc"),
                   s3.get_object(Bucket=locked_bucket, Key="doc", VersionId=put["VersionId"])):
        assert answer["ObjectLockMode"] == "COMPLIANCE"
        assert answer["ObjectLockRetainUntilDate"] == until
        assert answer["ObjectLockLegalHoldStatus"] == "ON"
    retention = s3.get_object_retention(Bucket=locked_bucket, Key="doc")["Retention"]
    assert retention == {"Mode": "COMPLIANCE", "RetainUntilDate": until}
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="doc")["LegalHold"] == {"Status": "ON"}


def test_a_version_without_a_lock_has_none_to_answer(s3, locked_bucket):
    s3.put_object(Bucket=locked_bucket, Key="plain", Body=b"x")
    head = s3.head_object(Bucket=locked_bucket, Key="plain")
    assert not {"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"} & set(head)
    for call in (s3.get_object_retention, s3.get_object_legal_hold):
        with pytest.raises(ClientError) as exc:
            call(Bucket=locked_bucket, Key="plain")
        assert_error(exc, "NoSuchObjectLockConfiguration", 404, NO_LOCK_ON_VERSION)


@pytest.mark.parametrize("lock, argument, message", [
    ({"ObjectLockMode": "GOVERNANCE"}, "x-amz-object-lock-retain-until-date", BOTH),
    ({"ObjectLockRetainUntilDate": later()}, "x-amz-object-lock-mode", BOTH),
    ({"ObjectLockMode": "FOREVER", "ObjectLockRetainUntilDate": later()}, "x-amz-object-lock-mode",
     "Unknown wormMode directive."),
    ({"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": datetime(2020, 1, 1, tzinfo=UTC)},
     "x-amz-object-lock-retain-until-date", "The retain until date must be in the future!"),
    ({"ObjectLockLegalHoldStatus": "MAYBE"}, "x-amz-object-lock-legal-hold",
     "Legal Hold must be either of 'ON' or 'OFF'"),
], ids=["mode-alone", "date-alone", "unknown-mode", "past-date", "bad-legal-hold"])
def test_bad_lock_headers_are_refused_and_write_nothing(s3, locked_bucket, lock, argument, message):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=locked_bucket, Key="refused", Body=b"x", **lock)
    assert assert_error(exc, "InvalidArgument", 400, message)["ArgumentName"] == argument
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=locked_bucket, Key="refused", **lock)
    assert_error(exc, "InvalidArgument", 400, message)
    assert_absent(s3, locked_bucket, "refused")
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=locked_bucket)


def test_lock_headers_need_a_bucket_with_object_lock(s3, bucket):
    s3.put_object(Bucket=bucket, Key="source", Body=b"x")
    lock = {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": later()}
    for call, params in ((s3.put_object, {"Body": b"x"}), (s3.create_multipart_upload, {}),
                         (s3.copy_object, {"CopySource": f"{bucket}/source"}),
                         (s3.put_object, {"Body": b"x", "ObjectLockLegalHoldStatus": "OFF"})):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Key="refused", **{**lock, **params})
        assert_error(exc, "InvalidRequest", 400, MISSING_LOCK)
    assert_absent(s3, bucket, "refused")


def test_retention_and_legal_hold_need_a_bucket_with_object_lock(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"x")
    calls = ((s3.put_object_retention, {"Retention": {"Mode": "GOVERNANCE", "RetainUntilDate": later()}}),
             (s3.get_object_retention, {}), (s3.put_object_legal_hold, {"LegalHold": {"Status": "ON"}}),
             (s3.get_object_legal_hold, {}))
    for call, params in calls:
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, Key="doc", **params)
        assert_error(exc, "InvalidRequest", 400, MISSING_LOCK)


def test_a_lock_needs_content_md5_or_a_checksum(s3, server, locked_bucket):
    # boto3 and the CLI always send a checksum; a bare HTTP client may not, and S3 refuses that.
    lock_headers = {"x-amz-object-lock-mode": "GOVERNANCE",
                    "x-amz-object-lock-retain-until-date": later().strftime("%Y-%m-%dT%H:%M:%SZ")}
    status, _, body = raw_request(server.endpoint_url, "PUT", f"/{locked_bucket}/bare", b"data", lock_headers)
    assert status == 400
    assert b"<Code>InvalidRequest</Code>" in body
    assert (b"Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock "
            b"parameters") in body
    assert_absent(s3, locked_bucket, "bare")
    md5 = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    status, _, _ = raw_request(server.endpoint_url, "PUT", f"/{locked_bucket}/bare", b"data",
                               {**lock_headers, "Content-MD5": md5})
    assert status == 200
    assert s3.head_object(Bucket=locked_bucket, Key="bare")["ObjectLockMode"] == "GOVERNANCE"
    # A default retention is a lock too; without one, a bare write needs nothing.
    status, _, _ = raw_request(server.endpoint_url, "PUT", f"/{locked_bucket}/plain", b"data")
    assert status == 200
    set_default(s3, locked_bucket, "GOVERNANCE", Days=1)
    status, _, body = raw_request(server.endpoint_url, "PUT", f"/{locked_bucket}/plain", b"data")
    assert status == 400 and b"Content-MD5 OR x-amz-checksum-" in body


def test_the_default_retention_locks_new_versions(s3, locked_bucket):
    before = s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"before")["VersionId"]
    set_default(s3, locked_bucket, "GOVERNANCE", Days=1)
    s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"after")
    head = s3.head_object(Bucket=locked_bucket, Key="doc")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    expected = head["LastModified"] + timedelta(days=1)
    assert abs((head["ObjectLockRetainUntilDate"] - expected).total_seconds()) < 2
    # Only new versions: one written before the rule keeps no lock.
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=locked_bucket, Key="doc", VersionId=before)
    assert_error(exc, "NoSuchObjectLockConfiguration", 404)
    # A version's own lock overrides the default.
    until = later(5)
    s3.put_object(Bucket=locked_bucket, Key="own", Body=b"x", ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=until)
    assert s3.get_object_retention(Bucket=locked_bucket, Key="own")["Retention"] == {
        "Mode": "COMPLIANCE", "RetainUntilDate": until}
    set_default(s3, locked_bucket, "COMPLIANCE", Years=1)
    s3.put_object(Bucket=locked_bucket, Key="year", Body=b"x")
    head = s3.head_object(Bucket=locked_bucket, Key="year")
    assert abs((head["ObjectLockRetainUntilDate"] - head["LastModified"]).total_seconds() - 365 * 86400) < 2


def test_copies_and_multipart_uploads_take_their_own_lock(s3, locked_bucket):
    s3.put_object(Bucket=locked_bucket, Key="source", Body=b"x", ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=later(3), ObjectLockLegalHoldStatus="ON")
    # "Copied objects will not retain the Object Lock settings from the original objects."
    s3.copy_object(Bucket=locked_bucket, Key="copy", CopySource=f"{locked_bucket}/source")
    head = s3.head_object(Bucket=locked_bucket, Key="copy")
    assert not {"ObjectLockMode", "ObjectLockLegalHoldStatus"} & set(head)
    until = later(1)
    s3.copy_object(Bucket=locked_bucket, Key="copy", CopySource=f"{locked_bucket}/source",
                   ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    assert s3.head_object(Bucket=locked_bucket, Key="copy")["ObjectLockRetainUntilDate"] == until
    upload = s3.create_multipart_upload(Bucket=locked_bucket, Key="big", ObjectLockLegalHoldStatus="ON")
    part = s3.upload_part(Bucket=locked_bucket, Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    set_default(s3, locked_bucket, "GOVERNANCE", Days=2)
    s3.complete_multipart_upload(Bucket=locked_bucket, Key="big", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    head = s3.head_object(Bucket=locked_bucket, Key="big")
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    assert head["ObjectLockMode"] == "GOVERNANCE"  # the default, as of the version's creation


# ---- changing a version's retention and legal hold -------------------------------------------

def test_governance_retention_is_extended_freely_and_shortened_only_with_bypass(s3, locked_bucket):
    version = s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"x", ObjectLockMode="GOVERNANCE",
                            ObjectLockRetainUntilDate=later(2))["VersionId"]
    s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(3)})
    for retention in ({"Mode": "GOVERNANCE", "RetainUntilDate": later(1)}, {}):
        with pytest.raises(ClientError) as exc:
            s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version, Retention=retention)
        assert_error(exc, "AccessDenied", 403, PROTECTED)
    assert s3.get_object_retention(Bucket=locked_bucket, Key="doc")["Retention"]["RetainUntilDate"] == later(3)
    s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version, BypassGovernanceRetention=True,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(1)})
    assert s3.get_object_retention(Bucket=locked_bucket, Key="doc")["Retention"]["RetainUntilDate"] == later(1)
    # Its mode, like its date, changes only with the bypass (the same date, COMPLIANCE and back).
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version,
                                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(1)})
    assert_error(exc, "AccessDenied", 403, PROTECTED)
    s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version, BypassGovernanceRetention=True,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(1)})
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version, BypassGovernanceRetention=True,
                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(1)})
    assert_error(exc, "AccessDenied", 403, PROTECTED)
    assert s3.get_object_retention(Bucket=locked_bucket, Key="doc")["Retention"]["Mode"] == "COMPLIANCE"
    version = s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"y", ObjectLockMode="GOVERNANCE",
                            ObjectLockRetainUntilDate=later(2))["VersionId"]
    # Removing it with the bypass leaves the version unprotected.
    s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version, BypassGovernanceRetention=True,
                            Retention={})
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version)
    assert_error(exc, "NoSuchObjectLockConfiguration", 404)
    s3.delete_object(Bucket=locked_bucket, Key="doc", VersionId=version)


def test_compliance_retention_is_only_ever_extended(s3, locked_bucket):
    until = later(2)
    version = s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"x", ObjectLockMode="COMPLIANCE",
                            ObjectLockRetainUntilDate=until)["VersionId"]
    for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": later(1)},
                      {"Mode": "GOVERNANCE", "RetainUntilDate": later(4)}, {}):
        with pytest.raises(ClientError) as exc:
            s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=version,
                                    BypassGovernanceRetention=True, Retention=retention)
        assert_error(exc, "AccessDenied", 403, PROTECTED)
    assert s3.get_object_retention(Bucket=locked_bucket, Key="doc")["Retention"] == {
        "Mode": "COMPLIANCE", "RetainUntilDate": until}
    s3.put_object_retention(Bucket=locked_bucket, Key="doc", Retention={"Mode": "COMPLIANCE",
                                                                        "RetainUntilDate": later(4)})
    assert s3.get_object_retention(Bucket=locked_bucket, Key="doc")["Retention"]["RetainUntilDate"] == later(4)


def test_a_bad_retention_document_is_refused(s3, server, locked_bucket):
    s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=locked_bucket, Key="doc", Retention={"Mode": "GOVERNANCE"})
    assert_error(exc, "MalformedXML", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=locked_bucket, Key="doc", Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": datetime(2020, 1, 1, tzinfo=UTC)})
    error = assert_error(exc, "InvalidArgument", 400, "The retain until date must be in the future!")
    assert error["ArgumentName"] == "RetainUntilDate"
    if pacific_time_known():
        # S3 names the date in US Pacific time, whatever the Region (LocalStack's AWS-validated snapshot).
        assert error["ArgumentValue"] == "Tue Dec 31 16:00:00 PST 2019"
    # The calendar's first day is past too (naming it in Pacific time, year 0, was a 500).
    document = (b"<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>0001-01-01T00:00:00Z</RetainUntilDate>"
                b"</Retention>")
    status, _, body = raw_request(server.endpoint_url, "PUT", f"/{locked_bucket}/doc?retention", document,
                                  {"Content-MD5": base64.b64encode(hashlib.md5(document).digest()).decode()})
    assert status == 400, body
    assert b"<Code>InvalidArgument</Code>" in body
    assert b"<Message>The retain until date must be in the future!</Message>" in body
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(Bucket=locked_bucket, Key="doc", LegalHold={"Status": "MAYBE"})
    assert_error(exc, "MalformedXML", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=locked_bucket, Key="doc")
    assert_error(exc, "NoSuchObjectLockConfiguration", 404)


def test_retention_names_the_version_and_not_a_delete_marker(s3, locked_bucket):
    first = s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"1")["VersionId"]
    s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"2")
    until = later(1)
    s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=first,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    assert s3.get_object_retention(Bucket=locked_bucket, Key="doc", VersionId=first)["Retention"]["Mode"] == (
        "GOVERNANCE")
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=locked_bucket, Key="doc")  # the current version has none
    assert_error(exc, "NoSuchObjectLockConfiguration", 404)
    marker = s3.delete_object(Bucket=locked_bucket, Key="doc")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=locked_bucket, Key="doc", VersionId=marker,
                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    assert assert_error(exc, "MethodNotAllowed", 405)["ResourceType"] == "DeleteMarker"
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(Bucket=locked_bucket, Key="missing", LegalHold={"Status": "ON"})
    assert_error(exc, "NoSuchKey", 404)


# ---- deletes -------------------------------------------------------------------------------

def test_a_locked_version_is_not_deleted_but_a_delete_marker_is_added(s3, locked_bucket):
    version = s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"x", ObjectLockMode="GOVERNANCE",
                            ObjectLockRetainUntilDate=later())["VersionId"]
    for bypass in ({}, {"BypassGovernanceRetention": False}):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=locked_bucket, Key="doc", VersionId=version, **bypass)
        assert_error(exc, "AccessDenied", 403, PROTECTED)
    marker = s3.delete_object(Bucket=locked_bucket, Key="doc")
    assert marker["DeleteMarker"] is True
    # Delete markers are not protected, whatever protects the version under them.
    s3.delete_object(Bucket=locked_bucket, Key="doc", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=locked_bucket, Key="doc")["VersionId"] == version
    deleted = s3.delete_object(Bucket=locked_bucket, Key="doc", VersionId=version, BypassGovernanceRetention=True)
    assert deleted["VersionId"] == version
    assert "Versions" not in s3.list_object_versions(Bucket=locked_bucket)


def test_compliance_and_legal_holds_ignore_the_bypass(s3, locked_bucket):
    compliance = s3.put_object(Bucket=locked_bucket, Key="c", Body=b"x", ObjectLockMode="COMPLIANCE",
                               ObjectLockRetainUntilDate=later())["VersionId"]
    held = s3.put_object(Bucket=locked_bucket, Key="h", Body=b"x")["VersionId"]
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="h", VersionId=held, LegalHold={"Status": "ON"})
    free = s3.put_object(Bucket=locked_bucket, Key="f", Body=b"x")["VersionId"]
    for key, version in (("c", compliance), ("h", held)):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=locked_bucket, Key=key, VersionId=version, BypassGovernanceRetention=True)
        assert_error(exc, "AccessDenied", 403, PROTECTED)
    result = s3.delete_objects(Bucket=locked_bucket, BypassGovernanceRetention=True, Delete={"Objects": [
        {"Key": "c", "VersionId": compliance}, {"Key": "h", "VersionId": held}, {"Key": "f", "VersionId": free}]})
    assert result["Deleted"] == [{"Key": "f", "VersionId": free}]
    assert sorted(result["Errors"], key=lambda e: e["Key"]) == [
        {"Key": "c", "VersionId": compliance, "Code": "AccessDenied", "Message": PROTECTED},
        {"Key": "h", "VersionId": held, "Code": "AccessDenied", "Message": PROTECTED}]
    # Once placed, a legal hold reads OFF after it is lifted, and the version may go.
    s3.put_object_legal_hold(Bucket=locked_bucket, Key="h", VersionId=held, LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=locked_bucket, Key="h")["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket=locked_bucket, Key="h", VersionId=held)
    versions = s3.list_object_versions(Bucket=locked_bucket)["Versions"]
    assert [(v["Key"], v["VersionId"]) for v in versions] == [("c", compliance)]


def test_the_bypass_header_needs_a_bucket_with_object_lock(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"x")
    message = "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets."
    for bypass in (True, False):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(Bucket=bucket, Key="doc", BypassGovernanceRetention=bypass)
        error = assert_error(exc, "InvalidArgument", 400, message)
        assert error["ArgumentName"] == "x-amz-bypass-governance-retention"
    with pytest.raises(ClientError) as exc:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "doc"}]}, BypassGovernanceRetention=True)
    assert_error(exc, "InvalidArgument", 400, message)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"x"


def test_a_request_without_its_document_is_malformed(s3, server, bucket, locked_bucket):
    # boto3 always sends the document; a bare HTTP client may not. No body is MalformedXML even
    # before a bucket without Object Lock is refused.
    for name in (bucket, locked_bucket):
        s3.put_object(Bucket=name, Key="doc", Body=b"x")
        for sub_resource in ("retention", "legal-hold"):
            status, _, body = raw_request(server.endpoint_url, "PUT", f"/{name}/doc?{sub_resource}")
            assert status == 400 and b"<Code>MalformedXML</Code>" in body
    for call in (s3.get_object_retention, s3.get_object_legal_hold):
        with pytest.raises(ClientError) as exc:
            call(Bucket=locked_bucket, Key="doc")
        assert_error(exc, "NoSuchObjectLockConfiguration", 404)


def test_a_retain_until_date_that_is_not_a_date_is_refused(s3, server, locked_bucket):
    md5 = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    status, _, body = raw_request(server.endpoint_url, "PUT", f"/{locked_bucket}/bad-date", b"data", {
        "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "not-a-date",
        "Content-MD5": md5})
    assert status == 400
    assert b"<Code>InvalidArgument</Code>" in body
    assert b"<Message>The retain until date must be provided in ISO 8601 format</Message>" in body
    assert b"<ArgumentValue>not-a-date</ArgumentValue>" in body
    assert_absent(s3, locked_bucket, "bad-date")


def test_an_anonymous_reader_sees_a_lock_only_with_the_permission_to_read_it(s3, server, locked_bucket):
    """GetObject and HeadObject answer the retention headers only to a requester with
    s3:GetObjectRetention and the legal hold only to one with s3:GetObjectLegalHold (their API
    references); a public s3:GetObject grant shows the object, not its lock."""
    import json

    from botocore import UNSIGNED

    from tests.conftest import make_client

    until = later()
    s3.put_object(Bucket=locked_bucket, Key="doc", Body=b"x", ObjectLockMode="GOVERNANCE",
                  ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")
    s3.delete_public_access_block(Bucket=locked_bucket)

    def allow(*actions: str) -> None:
        s3.put_bucket_policy(Bucket=locked_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": list(actions),
             "Resource": f"arn:aws:s3:::{locked_bucket}/*"}]}))

    anonymous = make_client("s3", server.endpoint_url, signature_version=UNSIGNED)
    lock_members = ("ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus")

    def shown() -> list[dict]:
        answers = [anonymous.head_object(Bucket=locked_bucket, Key="doc"),
                   anonymous.get_object(Bucket=locked_bucket, Key="doc")]
        return [{member: answer[member] for member in lock_members if member in answer} for answer in answers]

    allow("s3:GetObject")
    assert shown() == [{}, {}]
    allow("s3:GetObject", "s3:GetObjectRetention")
    assert shown() == [{"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until}] * 2
    allow("s3:GetObject", "s3:GetObjectLegalHold")
    assert shown() == [{"ObjectLockLegalHoldStatus": "ON"}] * 2
    # The owner's signed requests see all of it.
    head = s3.head_object(Bucket=locked_bucket, Key="doc")
    assert {member: head[member] for member in lock_members} == {
        "ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until, "ObjectLockLegalHoldStatus": "ON"}


def test_a_part_of_a_locked_upload_needs_content_md5_or_a_checksum(s3, server, locked_bucket):
    """UploadPart into an upload that will set a lock, its own or the bucket's default retention, is
    refused without Content-MD5 or a checksum, as PutObject is ("Content-MD5 OR x-amz-checksum- HTTP
    header is required for Put Part requests with Object Lock parameters", S3's answer quoted in
    s3tools/s3cmd#1436); an upload that sets none takes a bare part."""
    md5 = base64.b64encode(hashlib.md5(b"part").digest()).decode()

    def put_part(key: str, upload_id: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        status, _, body = raw_request(server.endpoint_url, "PUT",
                                      f"/{locked_bucket}/{key}?partNumber=1&uploadId={upload_id}", b"part", headers)
        return status, body

    plain = s3.create_multipart_upload(Bucket=locked_bucket, Key="plain")["UploadId"]
    assert put_part("plain", plain)[0] == 200
    held = s3.create_multipart_upload(Bucket=locked_bucket, Key="held", ObjectLockLegalHoldStatus="ON")["UploadId"]
    status, body = put_part("held", held)
    assert status == 400 and b"<Code>InvalidRequest</Code>" in body
    assert (b"Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock "
            b"parameters") in body
    assert put_part("held", held, {"Content-MD5": md5})[0] == 200
    set_default(s3, locked_bucket, "GOVERNANCE", Days=1)
    assert put_part("plain", plain)[0] == 400
    # boto3 sends a checksum with every part, and completes the upload.
    etag = s3.upload_part(Bucket=locked_bucket, Key="plain", UploadId=plain, PartNumber=1, Body=b"part")["ETag"]
    done = s3.complete_multipart_upload(Bucket=locked_bucket, Key="plain", UploadId=plain,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.head_object(Bucket=locked_bucket, Key="plain", VersionId=done["VersionId"])["ObjectLockMode"] == \
        "GOVERNANCE"
