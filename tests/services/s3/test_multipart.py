"""Multipart uploads: the whole life cycle, the -N ETag, checksums, listing, and every error."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError

from overcast.protocol import checksums
from tests.services.s3.conftest import assert_error

MIB = 1024 * 1024


def part_data(n: int, size: int = 5 * MIB) -> bytes:
    return (hashlib.sha256(str(n).encode()).digest() * (size // 32 + 1))[:size]


def multipart_etag(parts: list[bytes]) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_multipart_lifecycle(s3, bucket):
    created = s3.create_multipart_upload(Bucket=bucket, Key="mp/obj", ContentType="video/mp4",
                                         Metadata={"origin": "multipart"})
    upload_id = created["UploadId"]
    datas = [part_data(1), part_data(2), b"the last part is small"]
    etags = []
    for number, data in enumerate(datas, start=1):
        etags.append(s3.upload_part(Bucket=bucket, Key="mp/obj", UploadId=upload_id, PartNumber=number,
                                    Body=data)["ETag"])
    assert etags[0] == f'"{hashlib.md5(datas[0]).hexdigest()}"'
    listed = s3.list_parts(Bucket=bucket, Key="mp/obj", UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in listed["Parts"]] == [len(d) for d in datas]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload_id]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp/obj", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    assert done["ETag"] == multipart_etag(datas)
    whole = b"".join(datas)
    got = s3.get_object(Bucket=bucket, Key="mp/obj")
    assert got["Body"].read() == whole
    assert got["ContentType"] == "video/mp4"
    assert got["Metadata"] == {"origin": "multipart"}
    assert got["ETag"] == done["ETag"]
    # Ranges that cross part boundaries.
    span = s3.get_object(Bucket=bucket, Key="mp/obj", Range=f"bytes={5 * MIB - 10}-{10 * MIB + 5}")
    assert span["Body"].read() == whole[5 * MIB - 10:10 * MIB + 6]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="mp/obj", UploadId=upload_id)
    assert_error(exc, "NoSuchUpload", 404)
    # Copying a multipart object makes a single-part one.
    s3.copy_object(Bucket=bucket, Key="mp/copy", CopySource={"Bucket": bucket, "Key": "mp/obj"})
    copy = s3.get_object(Bucket=bucket, Key="mp/copy")
    assert copy["Body"].read() == whole
    assert copy["ETag"] == f'"{hashlib.md5(whole).hexdigest()}"'


def test_complete_with_a_subset_of_parts_and_replaced_part(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"discarded")
    first = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=part_data(1))["ETag"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"not used")
    third = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=3, Body=b"tail")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first}, {"PartNumber": 3, "ETag": third}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == part_data(1) + b"tail"


def test_composite_checksum(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="sum", ChecksumAlgorithm="SHA256")
    assert upload["ChecksumAlgorithm"] == "SHA256"
    datas = [part_data(1), b"end"]
    parts = []
    for number, data in enumerate(datas, start=1):
        out = s3.upload_part(Bucket=bucket, Key="sum", UploadId=upload["UploadId"], PartNumber=number, Body=data,
                             ChecksumAlgorithm="SHA256")
        assert out["ChecksumSHA256"] == checksums.checksum_b64("SHA256", data)
        parts.append({"PartNumber": number, "ETag": out["ETag"], "ChecksumSHA256": out["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="sum", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": parts})
    raw = b"".join(base64.b64decode(checksums.checksum_b64("SHA256", d)) for d in datas)
    expected = base64.b64encode(hashlib.sha256(raw).digest()).decode() + "-2"
    assert done["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected
    assert head["ChecksumType"] == "COMPOSITE"
    assert s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")["Body"].read() == b"".join(datas)


def test_full_object_crc_checksum(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="crc", ChecksumAlgorithm="CRC32",
                                        ChecksumType="FULL_OBJECT")
    datas = [part_data(7), b"tail bytes"]
    parts = []
    for number, data in enumerate(datas, start=1):
        out = s3.upload_part(Bucket=bucket, Key="crc", UploadId=upload["UploadId"], PartNumber=number, Body=data,
                             ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": number, "ETag": out["ETag"], "ChecksumCRC32": out["ChecksumCRC32"]})
    whole = b"".join(datas)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="crc", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": parts}, ChecksumType="FULL_OBJECT")
    assert done["ChecksumCRC32"] == checksums.checksum_b64("CRC32", whole)
    got = s3.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert got["Body"].read() == whole  # botocore validates the full-object CRC on read


def test_upload_part_copy(s3, bucket):
    source = part_data(3, 6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MIB}")
    second = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=2,
                                 CopySource=f"{bucket}/src", CopySourceRange=f"bytes={5 * MIB + 1}-{6 * MIB - 1}")
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(Bucket=bucket, Key="dst2", UploadId=s3.create_multipart_upload(
            Bucket=bucket, Key="dst2")["UploadId"], PartNumber=1, CopySource=f"{bucket}/src",
            CopySourceRange=f"bytes=0-{7 * MIB}")
    assert_error(exc, "InvalidArgument", 400, f"Range specified is not valid for source object of size: {6 * MIB}")


def test_abort(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="abort")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="abort", UploadId=upload_id, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="abort", UploadId=upload_id)
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="abort", UploadId=upload_id, PartNumber=2, Body=b"y")
    error = assert_error(exc, "NoSuchUpload", 404,
                         "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
                         "been aborted or completed.")
    assert error["UploadId"] == upload_id
    with pytest.raises(ClientError) as exc:
        s3.abort_multipart_upload(Bucket=bucket, Key="abort", UploadId=upload_id)
    assert_error(exc, "NoSuchUpload", 404)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="abort")


def test_complete_errors(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="err")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="err", UploadId=upload_id, PartNumber=1, Body=b"tiny")["ETag"]
    other = s3.upload_part(Bucket=bucket, Key="err", UploadId=upload_id, PartNumber=2, Body=b"tiny too")["ETag"]

    def complete(parts):
        return s3.complete_multipart_upload(Bucket=bucket, Key="err", UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})

    with pytest.raises(ClientError) as exc:
        complete([{"PartNumber": 2, "ETag": other}, {"PartNumber": 1, "ETag": small}])
    assert_error(exc, "InvalidPartOrder", 400,
                 "The list of parts was not in ascending order. Parts must be ordered by part number.")
    with pytest.raises(ClientError) as exc:
        complete([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}])
    error = assert_error(exc, "InvalidPart", 400,
                         "One or more of the specified parts could not be found.  The part may not have been "
                         "uploaded, or the specified entity tag may not match the part's entity tag.")
    assert error["PartNumber"] == "1"
    with pytest.raises(ClientError) as exc:
        complete([{"PartNumber": 5, "ETag": small}])
    assert_error(exc, "InvalidPart", 400)
    with pytest.raises(ClientError) as exc:
        complete([{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": other}])
    error = assert_error(exc, "EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed size")
    assert error["MinSizeAllowed"] == str(5 * MIB)
    assert error["ProposedSize"] == "4"
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="err", UploadId=upload_id, MultipartUpload={"Parts": []})
    assert_error(exc, "MalformedXML", 400)
    # After all those failures the upload is intact and completes with a single small part.
    done = complete([{"PartNumber": 2, "ETag": other}])
    assert s3.get_object(Bucket=bucket, Key="err")["Body"].read() == b"tiny too"
    # Completed: a retry answers as the completion did (see test_completing_again_...).
    assert complete([{"PartNumber": 2, "ETag": other}])["ETag"] == done["ETag"]


def test_invalid_part_number(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="pn")["UploadId"]
    for number in (0, 10001):
        with pytest.raises(ClientError) as exc:
            s3.upload_part(Bucket=bucket, Key="pn", UploadId=upload_id, PartNumber=number, Body=b"x")
        assert_error(exc, "InvalidArgument", 400, "Part number must be an integer between 1 and 10000, inclusive")


def test_list_parts_paging(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="lp")["UploadId"]
    for number in range(1, 8):
        s3.upload_part(Bucket=bucket, Key="lp", UploadId=upload_id, PartNumber=number, Body=b"p%d" % number)
    seen = []
    marker = 0
    while True:
        page = s3.list_parts(Bucket=bucket, Key="lp", UploadId=upload_id, MaxParts=3, PartNumberMarker=marker)
        seen += [p["PartNumber"] for p in page["Parts"]]
        if not page["IsTruncated"]:
            break
        marker = page["NextPartNumberMarker"]
    assert seen == list(range(1, 8))


def test_list_multipart_uploads_prefix_delimiter_paging(s3, bucket):
    ids = {}
    for key in ("a/1", "a/2", "b/1", "c", "c"):
        ids.setdefault(key, []).append(s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    everything = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in everything["Uploads"]] == ["a/1", "a/2", "b/1", "c", "c"]
    grouped = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["a/", "b/"]
    assert [u["Key"] for u in grouped["Uploads"]] == ["c", "c"]
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")["Uploads"]] == ["a/1", "a/2"]
    keys = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket,
                                                                    PaginationConfig={"PageSize": 2}):
        keys += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
    assert [k for k, _ in keys] == ["a/1", "a/2", "b/1", "c", "c"]
    assert sorted(i for _, i in keys if _ == "c") == sorted(ids["c"])


def test_aws_cli_cp_multipart(aws_cli_env, s3, bucket, tmp_path):
    import subprocess

    source = tmp_path / "big.bin"
    source.write_bytes(part_data(9, 20 * MIB + 17))
    subprocess.run(["aws", "s3", "cp", str(source), f"s3://{bucket}/big.bin"], env=aws_cli_env, check=True,
                   capture_output=True, timeout=300)
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == source.stat().st_size
    assert head["ETag"].endswith('-3"')  # 8 MiB parts
    back = tmp_path / "back.bin"
    subprocess.run(["aws", "s3", "cp", f"s3://{bucket}/big.bin", str(back)], env=aws_cli_env, check=True,
                   capture_output=True, timeout=300)
    assert back.read_bytes() == source.read_bytes()


def test_get_by_part_number(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    datas = [part_data(1), b"second part"]
    etags = [s3.upload_part(Bucket=bucket, Key="parts", UploadId=upload_id, PartNumber=i + 1, Body=d)["ETag"]
             for i, d in enumerate(datas)]
    s3.complete_multipart_upload(Bucket=bucket, Key="parts", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    second = s3.get_object(Bucket=bucket, Key="parts", PartNumber=2)
    assert second["Body"].read() == b"second part"
    assert second["PartsCount"] == 2
    assert second["ContentRange"] == f"bytes {len(datas[0])}-{len(datas[0]) + 10}/{len(datas[0]) + 11}"
    assert s3.head_object(Bucket=bucket, Key="parts", PartNumber=1)["ContentLength"] == len(datas[0])
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="parts", PartNumber=3)
    assert_error(exc, "InvalidPartNumber", 416, "The requested partnumber is not satisfiable")


def test_completing_again_answers_as_the_first_completion(s3, bucket):
    """moto's aws_verified test_idempotent_multipart_upload: a retried CompleteMultipartUpload
    (an SDK retry after a timeout) answers 200 with the same ETag, even with If-None-Match: *;
    an upload that never existed is still NoSuchUpload, and so is this one's ID on another key."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp/again")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp/again", UploadId=upload_id, PartNumber=1, Body=b"only part")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3.complete_multipart_upload(Bucket=bucket, Key="mp/again", UploadId=upload_id, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket=bucket, Key="mp/again", UploadId=upload_id, MultipartUpload=parts)
    guarded = s3.complete_multipart_upload(Bucket=bucket, Key="mp/again", UploadId=upload_id, MultipartUpload=parts,
                                           IfNoneMatch="*")
    assert first["ETag"] == again["ETag"] == guarded["ETag"] == multipart_etag([b"only part"])
    assert again["Location"] == first["Location"]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="mp/other", UploadId=upload_id, MultipartUpload=parts)
    assert_error(exc, "NoSuchUpload", 404)
