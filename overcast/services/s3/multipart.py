"""Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
ListMultipartUploads.

Each part is a blob file. Completing an upload copies nothing: the object's row records its
parts, whose blobs become the object's bytes, all in one transaction that also checks the
part list (order, ETags, sizes) against the parts as they are at that moment.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from overcast.protocol import checksums
from overcast.server.context import RequestContext
from overcast.services.s3 import conditions, events, object_lock, versions
from overcast.services.s3.acls import refuse_acl
from overcast.services.s3.bodies import ObjectReplaced, object_bytes
from overcast.services.s3.errors import (
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    InvalidRequest,
    MalformedXML,
    NoSuchUpload,
    checksum_mismatch,
)
from overcast.services.s3.events import ChangeContext
from overcast.services.s3.integrity import UploadIntegrity
from overcast.services.s3.listing import owner_of
from overcast.services.s3.models import Part, StoredObject, Upload, to_datetime
from overcast.services.s3.objects import (
    add_version,
    apply_default_encryption,
    encryption_output,
    object_headers,
    parse_copy_source,
    unlink_after_commit,
)
from overcast.services.s3.restore import ARCHIVED_CLASSES, check_copy_source_readable
from overcast.services.s3.uploads import copy_stream, receive_body
from overcast.services.s3.validation import validate_key, validate_metadata, validate_storage_class

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store
    from overcast.services.s3.upload_store import UploadStore
    from overcast.storage.interface import BlobStore, Database, Tx

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000
MAX_LIST = 1000
_AFTER_EVERY_ID = "\U0010ffff"
# When an upload names no algorithm, S3 still keeps a full-object CRC64NVME of the result.
DEFAULT_ALGORITHM = "CRC64NVME"


def _checksum_type(algorithm: str | None, requested: str | None) -> str | None:
    if requested is not None:
        requested = requested.upper()
        if algorithm is None:
            raise InvalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm "
                                 "header.")
        if requested == "FULL_OBJECT" and algorithm not in checksums.CRC_ALGORITHMS:
            raise InvalidRequest(f"The FULL_OBJECT checksum type cannot be used with the {algorithm.lower()} "
                                 "checksum algorithm.")
        if requested == "COMPOSITE" and algorithm == "CRC64NVME":
            raise InvalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
        return requested
    if algorithm is None:
        return None
    return "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"


def _refuse_negative(value: int | None, argument: str) -> None:
    """The paging arguments of ListParts and ListMultipartUploads: S3 refuses a negative one
    (a larger one is served at the 1000 cap)."""
    if value is not None and value < 0:
        raise InvalidArgument(f"Argument {argument} must be an integer between 0 and 2147483647",
                              ArgumentName=argument, ArgumentValue=str(value))


def _part_number(params: dict[str, Any]) -> int:
    number = params.get("PartNumber")
    if not isinstance(number, int) or not 1 <= number <= MAX_PART_NUMBER:
        raise InvalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                              ArgumentName="partNumber", ArgumentValue=str(number))
    return number


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    if header is None:
        return 0, size - 1
    text = header.strip()
    if text.startswith("bytes="):
        first_text, _, last_text = text[6:].partition("-")
        if first_text.isdigit() and last_text.isdigit():
            first, last = int(first_text), int(last_text)
            if first <= last:
                if last >= size:
                    raise InvalidArgument(f"Range specified is not valid for source object of size: {size}",
                                          ArgumentName="x-amz-copy-source-range", ArgumentValue=header)
                return first, last
    raise InvalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the "
        "zero-based offsets of the first and last bytes to copy",
        ArgumentName="x-amz-copy-source-range", ArgumentValue=header,
    )


class MultipartOperations:
    store: S3Store
    uploads: UploadStore
    blobs: BlobStore
    db: Database

    def _upload_for(self, params: dict[str, Any]) -> Upload:
        upload_id = params["UploadId"]
        upload = self.uploads.get_upload(upload_id)
        if upload is None or upload.bucket != params["Bucket"] or upload.key != params["Key"]:
            self.store.require_bucket(params["Bucket"])
            raise NoSuchUpload(upload_id)
        return upload

    # ---- CreateMultipartUpload ---------------------------------------------------------------

    async def create_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        validate_key(key)
        validate_metadata(params.get("Metadata"))
        validate_storage_class(params)
        target = self.store.require_bucket(bucket)
        headers = object_headers(params, target.account_id)
        apply_default_encryption(self.store, bucket, headers)
        refuse_acl(self.store, bucket, params, target.account_id)
        # The upload's own lock is kept with it; the bucket's default is applied at completion,
        # when the version is created.
        headers.update(self._requested_lock(ctx, params, bucket))
        algorithm = checksums.normalize_algorithm(params.get("ChecksumAlgorithm"))
        if params.get("ChecksumAlgorithm") and algorithm is None:
            raise InvalidRequest("Value for x-amz-checksum-algorithm header is invalid.")
        checksum_type = _checksum_type(algorithm, params.get("ChecksumType"))
        now = self.clock.time()
        # Time first, so that listing by upload id within a key follows initiation order.
        upload = Upload(
            upload_id=f"{int(now * 1000):013x}{uuid.uuid4().hex}", bucket=bucket, key=key, initiated=round(now, 3),
            account_id=ctx.account_id, storage_class=params.get("StorageClass") or "STANDARD",
            checksum_algorithm=algorithm, checksum_type=checksum_type, headers=headers,
        )
        store, uploads = self.store, self.uploads

        def write(tx: Tx) -> None:
            store.tx_require_bucket(tx, bucket)
            uploads.tx_insert_upload(tx, upload)

        await self.db.write(write)
        out: dict[str, Any] = {"Bucket": bucket, "Key": key, "UploadId": upload.upload_id,
                               **encryption_output(headers)}
        if algorithm:
            out["ChecksumAlgorithm"] = algorithm
            out["ChecksumType"] = checksum_type
        return out

    # ---- UploadPart / UploadPartCopy ---------------------------------------------------------

    async def upload_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        query = ctx.request.query
        if "versionId" in query:
            # Recorded against s3.amazonaws.com: refused whatever its value, even a real version's.
            raise InvalidArgument("This operation does not accept a version-id.", ArgumentName="versionId",
                                  ArgumentValue=query["versionId"])
        number = _part_number(params)
        upload = self._upload_for(params)
        # A part of an upload that sets a lock, its own or the bucket's default, needs Content-MD5
        # or a checksum as PutObject does (S3's answer quoted in s3tools/s3cmd#1436).
        lock = {name: upload.headers[name] for name in object_lock.LOCK_HEADERS if name in upload.headers}
        if (object_lock.requires_integrity(lock, self.store.recent_config(upload.bucket))
                and not object_lock.carries_integrity(params, ctx.request.headers)):
            raise object_lock.refuse_without_integrity("Put Part")
        keep = upload.checksum_algorithm or DEFAULT_ALGORITHM
        integrity = UploadIntegrity.from_request(params, ctx.request.headers, keep=keep,
                                                 strict=upload.checksum_algorithm is not None)
        received = await receive_body(params.get("Body"), self.blobs, integrity.observers(), inline_limit=-1)
        blob_id = received.blob_id
        if blob_id is None:  # an empty part: still a file, like every part
            blob_id = (await copy_stream(self.blobs, _once(received.body or b""), [])).blob_id
        try:
            _algorithm, checksum = integrity.verify(received.md5, received.trailers)
        except Exception:
            self.blobs.delete(blob_id)
            raise
        part = Part(part_number=number, size=received.size, etag=received.md5,
                    last_modified=round(self.clock.time(), 3),
                    checksum_value=checksum, blob_id=blob_id)
        await self._commit_part(upload.upload_id, part)
        out: dict[str, Any] = {"ETag": f'"{part.etag}"', **encryption_output(upload.headers)}
        if upload.checksum_algorithm:
            out[f"Checksum{upload.checksum_algorithm}"] = checksum
        elif integrity.checked is not None and integrity.checked[0] != keep:
            out[f"Checksum{integrity.checked[0]}"] = integrity.checked[1]  # what the client asked to check
        return out

    async def _commit_part(self, upload_id: str, part: Part) -> None:
        uploads, blobs = self.uploads, self.blobs

        def write(tx: Tx) -> None:
            if uploads.tx_get_upload(tx, upload_id) is None:
                raise NoSuchUpload(upload_id)
            replaced = uploads.tx_put_part(tx, upload_id, part)
            unlink_after_commit(tx, blobs, [replaced] if replaced else [])

        try:
            await self.db.write(write)
        except Exception:
            blobs.delete(part.blob_id)
            raise

    async def upload_part_copy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        number = _part_number(params)
        upload = self._upload_for(params)
        # A part of an upload that sets a lock, its own or the bucket's default, needs Content-MD5
        # or a checksum as PutObject does (S3's answer quoted in s3tools/s3cmd#1436).
        lock = {name: upload.headers[name] for name in object_lock.LOCK_HEADERS if name in upload.headers}
        if (object_lock.requires_integrity(lock, self.store.recent_config(upload.bucket))
                and not object_lock.carries_integrity(params, ctx.request.headers)):
            raise object_lock.refuse_without_integrity("Put Part")
        src_bucket, src_key, src_version = parse_copy_source(params["CopySource"])
        algorithm = upload.checksum_algorithm or DEFAULT_ALGORITHM
        for attempt in range(3):
            source = self._find_copy_source(src_bucket, src_key, src_version, "UploadPartCopy")
            conditions.check_copy_source(params, source)
            if source.storage_class in ARCHIVED_CLASSES:
                check_copy_source_readable(source, self.clock.time())
            first, last = _copy_range(params.get("CopySourceRange"), source.size)
            hasher = checksums.hasher_for(algorithm)
            try:
                data = await object_bytes(self.store, self.blobs, source, first, last)
            except ObjectReplaced:
                if attempt == 2:
                    raise
                continue
            stream = _once(data) if isinstance(data, bytes) else data
            copied = await copy_stream(self.blobs, stream, [hasher.update])
            break
        part = Part(part_number=number, size=copied.size, etag=copied.md5,
                    last_modified=round(self.clock.time(), 3),
                    checksum_value=hasher.digest_b64(), blob_id=copied.blob_id)
        await self._commit_part(upload.upload_id, part)
        result: dict[str, Any] = {"ETag": f'"{part.etag}"', "LastModified": to_datetime(part.last_modified)}
        if upload.checksum_algorithm:
            result[f"Checksum{algorithm}"] = part.checksum_value
        return {"CopyPartResult": result, **encryption_output(upload.headers)}

    # ---- CompleteMultipartUpload -------------------------------------------------------------

    async def complete_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]
        requested = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not requested:
            raise MalformedXML()
        numbers = [p.get("PartNumber") for p in requested]
        if any(not isinstance(n, int) for n in numbers):
            raise MalformedXML()
        if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
            raise InvalidPartOrder(upload_id)
        conditions.validate_write_conditions(params)
        location = f"{ctx.request.scheme}://{ctx.request.host or 'localhost'}/{bucket}/{quote(key)}"
        if self.uploads.get_upload(upload_id) is None:
            # Completed already: a retry is answered as the first call was, whatever its
            # conditions (moto's aws_verified test_idempotent_multipart_upload, If-None-Match: *).
            answered = self.uploads.completed_answer(upload_id, bucket, key)
            if answered is not None:
                return {"Location": location, **answered}
        self._upload_for(params)
        store, uploads, blobs = self.store, self.uploads, self.blobs
        now = round(self.clock.time(), 3)
        change = ChangeContext.of(ctx)

        def write(tx: Tx) -> dict[str, Any]:
            upload = uploads.tx_get_upload(tx, upload_id)
            if upload is None:
                raise NoSuchUpload(upload_id)
            config = store.tx_require_bucket(tx, bucket)
            available = uploads.tx_parts(tx, upload_id)
            chosen = _choose_parts(upload, requested, available)
            obj = _assemble(upload, chosen, params, now)
            object_lock.apply_default_retention(obj.headers, config, now)
            outcome = versions.tx_replace(tx, config, obj)
            conditions.check_write(params, key, outcome.previous_etag)
            store.tx_put_object(tx, obj)
            uploads.tx_insert_object_parts(tx, bucket, key, chosen)
            uploads.tx_finish_upload(tx, upload_id)
            chosen_blobs = {p.blob_id for p in chosen}
            unused = [p.blob_id for p in available.values() if p.blob_id not in chosen_blobs]
            unlink_after_commit(tx, blobs, unused + outcome.unlink)
            events.enqueue(tx, config, change, "ObjectCreated:CompleteMultipartUpload", bucket, key, obj.size,
                           obj.etag, now)
            answer: dict[str, Any] = {"Bucket": bucket, "Key": key, "ETag": obj.quoted_etag, **encryption_output(obj.headers)}
            if obj.checksum_algorithm:
                answer[f"Checksum{obj.checksum_algorithm}"] = obj.checksum_value
                answer["ChecksumType"] = obj.checksum_type
            add_version(answer, outcome)
            uploads.tx_record_completion(tx, upload, now, answer)
            return answer

        return {"Location": location, **await self.db.write(write)}

    # ---- AbortMultipartUpload ----------------------------------------------------------------

    async def abort_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        upload_id = params["UploadId"]
        self._upload_for(params)
        uploads, blobs = self.uploads, self.blobs

        def write(tx: Tx) -> None:
            if uploads.tx_get_upload(tx, upload_id) is None:
                raise NoSuchUpload(upload_id)
            parts = uploads.tx_parts(tx, upload_id)
            uploads.tx_finish_upload(tx, upload_id)
            unlink_after_commit(tx, blobs, [p.blob_id for p in parts.values()])

        await self.db.write(write)
        return {}

    # ---- ListParts / ListMultipartUploads ----------------------------------------------------

    def list_parts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        max_parts = params.get("MaxParts")
        _refuse_negative(max_parts, "max-parts")
        _refuse_negative(params.get("PartNumberMarker"), "part-number-marker")
        upload = self._upload_for(params)
        limit = MAX_LIST if max_parts is None else min(max_parts, MAX_LIST)
        marker = params.get("PartNumberMarker") or 0
        parts = self.uploads.list_parts(upload.upload_id, int(marker), limit + 1)
        truncated = len(parts) > limit
        parts = parts[:limit]
        owner = owner_of(upload.account_id)
        out: dict[str, Any] = {
            "Bucket": upload.bucket, "Key": upload.key, "UploadId": upload.upload_id,
            "PartNumberMarker": int(marker), "MaxParts": limit if max_parts is None else max_parts,
            "IsTruncated": truncated, "Initiator": owner, "Owner": owner, "StorageClass": upload.storage_class,
            "Parts": [self._part_output(upload, p) for p in parts],
        }
        if parts:
            out["NextPartNumberMarker"] = parts[-1].part_number
        if upload.checksum_algorithm:
            out["ChecksumAlgorithm"] = upload.checksum_algorithm
            out["ChecksumType"] = upload.checksum_type
        return out

    @staticmethod
    def _part_output(upload: Upload, part: Part) -> dict[str, Any]:
        item: dict[str, Any] = {"PartNumber": part.part_number, "LastModified": to_datetime(part.last_modified),
                                "ETag": f'"{part.etag}"', "Size": part.size}
        if upload.checksum_algorithm and part.checksum_value:
            item[f"Checksum{upload.checksum_algorithm}"] = part.checksum_value
        return item

    def list_multipart_uploads(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = params["Bucket"]
        self.store.require_bucket(bucket)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        key_marker = params.get("KeyMarker") or ""
        upload_marker = (params.get("UploadIdMarker") or "") if key_marker else ""
        max_uploads = params.get("MaxUploads")
        _refuse_negative(max_uploads, "max-uploads")
        limit = MAX_LIST if max_uploads is None else min(max_uploads, MAX_LIST)
        url = (params.get("EncodingType") or "").lower() == "url"

        def encode(value: str) -> str:
            return quote(value, safe="/") if url else value

        # Without an upload-id marker, every upload of the marker key itself is skipped.
        if key_marker and not upload_marker:
            cursor = (key_marker, _AFTER_EVERY_ID)
        elif key_marker:
            cursor = (key_marker, upload_marker)
        else:
            cursor = (prefix, "")
        if prefix > cursor[0]:
            cursor = (prefix, "")
        items: list[tuple[str, Upload | str]] = []  # (key or common prefix, upload or the prefix)
        truncated = False
        while not truncated:
            batch = self.uploads.list_uploads(bucket, cursor[0], cursor[1], MAX_LIST)
            for upload in batch:
                cursor = (upload.key, upload.upload_id)
                if not upload.key.startswith(prefix):
                    batch = []
                    break
                found = upload.key.find(delimiter, len(prefix)) if delimiter else -1
                entry: Upload | str = upload.key[:found + len(delimiter)] if found >= 0 else upload
                if isinstance(entry, str) and (entry <= key_marker or (items and items[-1][1] == entry)):
                    continue
                if len(items) == limit:
                    truncated = True
                    break
                items.append((upload.key, entry))
            if len(batch) < MAX_LIST:
                break
        out: dict[str, Any] = {
            "Bucket": bucket, "KeyMarker": encode(key_marker), "UploadIdMarker": upload_marker,
            # A larger max-uploads is served, and echoed, as the cap (measured on AWS).
            "MaxUploads": limit, "IsTruncated": truncated,
            "Prefix": encode(prefix),
        }
        listed = [u for _, u in items if isinstance(u, Upload)]
        if listed:
            out["Uploads"] = [self._upload_output(u, encode) for u in listed]
        common = [p for _, p in items if isinstance(p, str)]
        if common:
            out["CommonPrefixes"] = [{"Prefix": encode(p)} for p in common]
        if delimiter:
            out["Delimiter"] = encode(delimiter)
        if params.get("EncodingType"):
            out["EncodingType"] = params["EncodingType"]
        if truncated and items:
            last_key, last = items[-1]
            out["NextKeyMarker"] = encode(last if isinstance(last, str) else last_key)
            out["NextUploadIdMarker"] = last.upload_id if isinstance(last, Upload) else ""
        return out

    @staticmethod
    def _upload_output(upload: Upload, encode) -> dict[str, Any]:
        owner = owner_of(upload.account_id)
        item: dict[str, Any] = {"UploadId": upload.upload_id, "Key": encode(upload.key),
                                "Initiated": to_datetime(upload.initiated), "StorageClass": upload.storage_class,
                                "Owner": owner, "Initiator": owner}
        if upload.checksum_algorithm:
            item["ChecksumAlgorithm"] = upload.checksum_algorithm
            item["ChecksumType"] = upload.checksum_type
        return item


def _choose_parts(upload: Upload, requested: list[dict[str, Any]], available: dict[int, Part]) -> list[Part]:
    chosen: list[Part] = []
    for index, entry in enumerate(requested):
        number = entry["PartNumber"]
        etag = (entry.get("ETag") or "").strip().strip('"')
        part = available.get(number)
        if part is None or etag != part.etag:
            raise InvalidPart(upload.upload_id, number, entry.get("ETag") or "")
        if upload.checksum_algorithm:
            given = entry.get(f"Checksum{upload.checksum_algorithm}")
            if given is not None and given != part.checksum_value:
                raise InvalidPart(upload.upload_id, number, entry.get("ETag") or "")
        if index < len(requested) - 1 and part.size < MIN_PART_SIZE:
            raise EntityTooSmall(part.size, MIN_PART_SIZE, number, part.etag)
        chosen.append(part)
    return chosen


def _assemble(upload: Upload, parts: list[Part], params: dict[str, Any], now: float) -> StoredObject:
    algorithm = upload.checksum_algorithm or DEFAULT_ALGORITHM
    checksum_type = upload.checksum_type or "FULL_OBJECT"
    values = [p.checksum_value or "" for p in parts]
    if checksum_type == "COMPOSITE":
        checksum = checksums.composite_checksum(algorithm, values)
    else:
        checksum = checksums.full_object_crc(algorithm, [(v, p.size) for v, p in zip(values, parts, strict=True)])
    expected = params.get(f"Checksum{algorithm}")
    if expected is not None and expected.split("-")[0] != checksum.split("-")[0]:
        raise checksum_mismatch(algorithm)
    expected_size = params.get("MpuObjectSize")
    size = sum(p.size for p in parts)
    if expected_size is not None and int(expected_size) != size:
        raise InvalidRequest(f"The provided 'x-amz-mp-object-size' header value {expected_size} does not match "
                             f"what was computed: {size}")
    return StoredObject(
        bucket=upload.bucket, key=upload.key, size=size,
        etag=checksums.multipart_etag([p.etag for p in parts]), last_modified=now,
        headers=dict(upload.headers), checksum_algorithm=algorithm, checksum_value=checksum,
        storage_class=upload.storage_class, parts_count=len(parts), checksum_type=checksum_type,
    )


async def _once(data: bytes):
    yield data
