"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject.

A write streams the body first (into memory or a blob file), verifies it, and only then commits
the row in one group-committed transaction, which also re-checks the bucket and any
conditions; a blob that the row replaced is unlinked once that commit is durable. A blob that
ends up unreferenced because the commit failed is unlinked at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from overcast.protocol import checksums
from overcast.protocol.errors import AccessDenied, ServiceError
from overcast.server.context import RequestContext
from overcast.services.s3 import conditions, events, object_lock, versions
from overcast.services.s3.access import authorize_anonymous
from overcast.services.s3.acls import CANNED_ACLS, refuse_acl
from overcast.services.s3.bodies import ObjectReplaced, inline_bytes, object_bytes
from overcast.services.s3.bucket_config import validate_tags
from overcast.services.s3.errors import (
    InvalidArgument,
    InvalidPartNumber,
    InvalidRequest,
    MalformedXML,
    MethodNotAllowed,
    NoSuchKey,
    NoSuchVersion,
    PreconditionFailed,
)
from overcast.services.s3.events import ChangeContext
from overcast.services.s3.integrity import UploadIntegrity, checksum_of
from overcast.services.s3.listing import owner_of
from overcast.services.s3.models import StoredObject, to_datetime
from overcast.services.s3.public_access import (
    ACL_MEMBERS,
    check_acl_sources,
    header_grants,
)
from overcast.services.s3.ranges import content_range, resolve_range
from overcast.services.s3.restore import (
    ARCHIVED_CLASSES,
    RESTORE,
    check_copy_source_readable,
    check_readable,
    visible_restore,
)
from overcast.services.s3.uploads import Received, copy_stream, receive_body
from overcast.services.s3.validation import (
    refuse_empty_version_id,
    validate_key,
    validate_metadata,
    validate_redirect_location,
    validate_storage_class,
)

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import BlobStore, Database, Tx

# Members stored with an object and returned as they were given.
STORED_HEADERS = ("ContentType", "ContentEncoding", "ContentDisposition", "ContentLanguage", "CacheControl",
                  "WebsiteRedirectLocation", "ServerSideEncryption", "SSEKMSKeyId")
# S3 encrypts every object at rest (SSE-S3) unless told otherwise, and says so in its answers.
DEFAULT_ENCRYPTION = "AES256"
DEFAULT_CONTENT_TYPE = "binary/octet-stream"
# Kept with the content headers but not returned as members of GetObject: the object's tag
# set (TagCount is) and its canned ACL.
TAGS = "Tags"
ACL = "Acl"
MAX_OBJECT_TAGS = 10
# Members object_headers reads besides STORED_HEADERS: a request without any (most) skips them.
_STORED_MEMBERS = frozenset(STORED_HEADERS)
_OTHER_HEADER_MEMBERS = frozenset({"Expires", "Metadata", "Tagging"})
_RESPONSE_OVERRIDES = (
    ("ResponseContentType", "ContentType"),
    ("ResponseContentLanguage", "ContentLanguage"),
    ("ResponseContentDisposition", "ContentDisposition"),
    ("ResponseContentEncoding", "ContentEncoding"),
    ("ResponseCacheControl", "CacheControl"),
)
# The request members _read_output looks at beyond the range: most reads carry none of them.
_OVERRIDE_MEMBERS = frozenset({"ResponseExpires", *(param for param, _ in _RESPONSE_OVERRIDES)})
MAX_DELETE_KEYS = 1000
# The request members of a write that ask for an Object Lock: most writes carry none of them.
_LOCK_MEMBERS = frozenset({"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"})
# The lock members of a read's answer, and the permission a caller needs to be shown them.
_LOCK_READ_ACTIONS = (("s3:GetObjectRetention", (object_lock.MODE, object_lock.RETAIN_UNTIL)),
                      ("s3:GetObjectLegalHold", (object_lock.LEGAL_HOLD,)))
# A read that finds its blob already replaced retries against the newer row this many times.
_READ_ATTEMPTS = 3


def object_headers(params: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The content headers, user metadata, tags and ACL of a PutObject/CopyObject (REPLACE) request."""
    validate_redirect_location(params.get("WebsiteRedirectLocation"))
    headers: dict[str, Any] = {}
    if not _STORED_MEMBERS.isdisjoint(params):
        for name in STORED_HEADERS:
            value = params.get(name)
            if value is not None and value != "":
                headers[name] = value
        encoding = headers.get("ContentEncoding")
        if encoding is not None:
            # aws-chunked describes the upload's framing, not the object; S3 does not keep it.
            kept = [e.strip() for e in encoding.split(",") if e.strip() and e.strip().lower() != "aws-chunked"]
            if kept:
                headers["ContentEncoding"] = ",".join(kept)
            else:
                del headers["ContentEncoding"]
    headers.setdefault("ContentType", DEFAULT_CONTENT_TYPE)
    if not _OTHER_HEADER_MEMBERS.isdisjoint(params):
        expires = params.get("Expires")
        if isinstance(expires, datetime):
            headers["Expires"] = expires.timestamp()
        metadata = params.get("Metadata")
        if metadata:
            headers["Metadata"] = {str(k).lower(): str(v) for k, v in metadata.items()}
        tagging = params.get("Tagging")
        if tagging:
            tags = parse_tagging_header(tagging)
            validate_tags(tags, MAX_OBJECT_TAGS)
            headers[TAGS] = tags
    if not ACL_MEMBERS.isdisjoint(params):
        acl = request_acl(params, account_id)
        if acl:
            headers[ACL] = acl
    return headers


def request_acl(params: dict[str, Any], account_id: str) -> Any:
    """The ACL a write asks for: a canned ACL's name, the grants of x-amz-grant-* headers, or
    None (private)."""
    check_acl_sources(params)
    canned = params.get("ACL")
    if canned:
        if canned not in CANNED_ACLS:
            raise InvalidArgument("Invalid canned ACL", ArgumentName="x-amz-acl", ArgumentValue=canned)
        return canned
    grants = header_grants(params)
    return {"Owner": owner_of(account_id), "Grants": grants} if grants else None


def parse_tagging_header(text: str) -> list[dict[str, str]]:
    """x-amz-tagging: a URL-encoded query string of tags. A key given twice is refused as a
    malformed header (InvalidArgument, as AWS answers it: aws-cli issue 2841, LocalStack's
    AWS-validated snapshots), not with the InvalidTag of a tagging document."""
    pairs = parse_qsl(text, keep_blank_values=True)
    if len({k for k, _ in pairs}) != len(pairs):
        raise InvalidArgument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
            "without tag name duplicates.", ArgumentName="x-amz-tagging", ArgumentValue=text,
        )
    return [{"Key": k, "Value": v} for k, v in pairs]


def object_output(obj: StoredObject) -> dict[str, Any]:
    """The members that GetObject and HeadObject share."""
    out: dict[str, Any] = {
        "ETag": obj.quoted_etag,
        "LastModified": obj.last_modified_dt,
        "AcceptRanges": "bytes",
    }
    for name, value in obj.headers.items():
        if name == "Expires" or name == object_lock.RETAIN_UNTIL:
            out[name] = to_datetime(value)
        elif name == TAGS:
            out["TagCount"] = len(value)
        elif name != ACL:
            out[name] = value
    out.setdefault("ServerSideEncryption", DEFAULT_ENCRYPTION)
    if obj.storage_class != "STANDARD":
        out["StorageClass"] = obj.storage_class
    if obj.version_id is not None or obj.noncurrent:
        out["VersionId"] = obj.version_label
    return out


def apply_default_encryption(store: Any, bucket: str, headers: dict[str, Any]) -> None:
    """An object written without x-amz-server-side-encryption takes the bucket's default
    encryption rule (PutBucketEncryption); without one, SSE-S3 (reported, not stored)."""
    if headers.get("ServerSideEncryption"):
        return
    config = store.get_config(bucket)
    if not config or "Encryption" not in config:  # most buckets have no default encryption rule
        return
    rules = (config.get("Encryption") or {}).get("Rules") or []
    default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
    algorithm = default.get("SSEAlgorithm")
    if algorithm and algorithm != DEFAULT_ENCRYPTION:
        headers["ServerSideEncryption"] = algorithm
        if default.get("KMSMasterKeyID"):
            headers["SSEKMSKeyId"] = default["KMSMasterKeyID"]


def encryption_output(headers: dict[str, Any]) -> dict[str, Any]:
    """How a newly written object is encrypted, as PutObject and CopyObject report it."""
    out = {"ServerSideEncryption": headers.get("ServerSideEncryption") or DEFAULT_ENCRYPTION}
    if headers.get("SSEKMSKeyId"):
        out["SSEKMSKeyId"] = headers["SSEKMSKeyId"]
    return out


def _delete_refusal(current_etag: str | None, condition: str, key: str) -> ServiceError | None:
    """If-Match on a delete: 404 NoSuchKey when there is no current object (nothing, or a
    delete marker), 412 PreconditionFailed when its ETag differs, else None (go ahead)."""
    if current_etag is None:
        return NoSuchKey(key)
    if not conditions.etag_matches(condition, current_etag):
        return PreconditionFailed("If-Match")
    return None


def parse_copy_source(source: str) -> tuple[str, str, str | None]:
    """`bucket/key[?versionId=v]`, URL-encoded, with or without a leading slash."""
    version_id = None
    path = source
    if "?" in source:
        path, query = source.split("?", 1)
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            if name == "versionId":
                version_id = unquote(value)
    path = unquote(path).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidArgument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source", ArgumentValue=source,
        )
    return bucket, key, version_id


class ObjectOperations:
    store: S3Store
    blobs: BlobStore
    db: Database

    def _now(self) -> float:
        return round(self.clock.time(), 3)

    # ---- PutObject ---------------------------------------------------------------------------

    async def put_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        validate_key(key)
        # The checks below that only a member can trigger are skipped (not just passed) when it
        # is absent: every PutObject comes this way.
        if "Metadata" in params:
            validate_metadata(params["Metadata"])
        if "StorageClass" in params:
            validate_storage_class(params)
        conditions.validate_write_conditions(params)
        target = self.store.require_bucket(bucket)
        if ctx.anonymous:
            authorize_anonymous(ctx, self.store, "s3:PutObject", bucket, key)
        if not ACL_MEMBERS.isdisjoint(params):
            refuse_acl(self.store, bucket, params, target.account_id)
        integrity = UploadIntegrity.from_request(params, ctx.request.headers)
        lock = self._requested_lock(ctx, params, bucket, for_upload=True)
        if params.get("IfMatch") is not None or params.get("IfNoneMatch") is not None:
            # Fail before streaming a body that could not be stored; re-checked at commit.
            current = self.store.get_object(bucket, key)
            conditions.check_write(params, key, current.etag if current else None)
        # Everything the headers can refuse is refused before the body is streamed to a blob.
        headers = object_headers(params, target.account_id)
        if lock:
            headers.update(lock)
        apply_default_encryption(self.store, bucket, headers)
        received = await receive_body(params.get("Body"), self.blobs, integrity.observers())
        try:
            checksum_algorithm, checksum_value = integrity.verify(received.md5, received.trailers)
        except Exception:
            self._discard(received)
            raise
        # Positional, in the order of StoredObject's fields (keywords cost several times more).
        obj = StoredObject(bucket, key, received.size, received.md5, self._now(), headers, checksum_algorithm,
                           checksum_value, params.get("StorageClass") or "STANDARD", received.body, received.blob_id,
                           0, "FULL_OBJECT")
        outcome = await self._commit(obj, params, ChangeContext.of(ctx), "ObjectCreated:Put")
        out = {"ETag": f'"{obj.etag}"', "Checksum" + checksum_algorithm: checksum_value,
               "ChecksumType": "FULL_OBJECT", **encryption_output(headers)}
        add_version(out, outcome)
        return out

    def _requested_lock(self, ctx: RequestContext, params: dict[str, Any], bucket: str,
                        for_upload: bool = False) -> dict[str, Any]:
        """The lock a write asks for, refused as S3 refuses it: bad headers first, then a bucket
        without Object Lock, then (PutObject, `for_upload`) a body without Content-MD5 or a
        checksum where a lock will be set, the bucket's default included."""
        if not _LOCK_MEMBERS.isdisjoint(params):
            lock = object_lock.requested_lock(params, self.clock.time(),
                                              ctx.request.headers.get("x-amz-object-lock-retain-until-date"))
        else:
            lock = {}
        config = self.store.recent_config(bucket)
        object_lock.require_lock_for(lock, config)
        if (for_upload and object_lock.requires_integrity(lock, config)
                and not object_lock.carries_integrity(params, ctx.request.headers)):
            raise object_lock.refuse_without_integrity()
        return lock

    async def _commit(self, obj: StoredObject, params: dict[str, Any] | None = None,
                      change: ChangeContext | None = None,
                      event_name: str = "ObjectCreated:Put") -> versions.Outcome:
        """Commit the object's row, replacing whatever was there; the new blob is unlinked if
        the commit fails (but not if the caller merely stopped waiting: it may have committed)."""
        store, blobs = self.store, self.blobs

        def write(tx: Tx) -> versions.Outcome:
            config, current = store.tx_require_bucket_and_current(tx, obj.bucket, obj.key)
            # The bucket's default retention as of this commit, for a version without its own.
            object_lock.apply_default_retention(obj.headers, config, obj.last_modified)
            outcome = versions.tx_replace(tx, config, obj, current)
            if params is not None:
                conditions.check_write(params, obj.key, outcome.previous_etag)
            if outcome.row_kept:
                store.tx_update_object(tx, obj)  # tx_replace left the current row for this to overwrite
            else:
                store.tx_put_object(tx, obj)
            if '"Notification"' in config:  # no notification rules (most buckets): nothing to enqueue
                events.enqueue(tx, config, change, event_name, obj.bucket, obj.key, obj.size, obj.etag,
                               obj.last_modified)
            if outcome.unlink:
                unlink_after_commit(tx, blobs, outcome.unlink)
            return outcome

        try:
            return await self.db.write(write)
        except Exception:
            if obj.blob_id is not None:
                blobs.delete(obj.blob_id)
            raise

    def _discard(self, received: Received) -> None:
        if received.blob_id is not None:
            self.blobs.delete(received.blob_id)

    # ---- GetObject / HeadObject --------------------------------------------------------------

    def _find(self, bucket: str, key: str, with_body: bool, version_id: str | None = None) -> StoredObject:
        """The current version (or the one named), as GET and HEAD see it: a delete marker is
        NoSuchKey when current and MethodNotAllowed when asked for by id."""
        refuse_empty_version_id(version_id)
        obj = self.store.get_object(bucket, key, with_body)
        if version_id is not None and (obj is None or obj.version_label != version_id):
            obj = self.store.get_version(bucket, key, version_id, with_body=with_body)
            if obj is None:
                self.store.require_bucket(bucket)
                if not versions.looks_like_version_id(version_id):
                    raise InvalidArgument("Invalid version id specified", ArgumentName="versionId",
                                          ArgumentValue=version_id)
                raise NoSuchVersion(key, version_id)
        if obj is None:
            self.store.require_bucket(bucket)
            raise NoSuchKey(key)
        if obj.delete_marker:
            marker_headers = {"x-amz-delete-marker": "true", "x-amz-version-id": obj.version_label}
            if version_id is not None:
                # GetObject's reference: a delete marker asked for by id is 405 with its Last-Modified;
                # S3 also names the one method a delete marker allows.
                marker_headers["Last-Modified"] = formatdate(obj.last_modified, usegmt=True)
                marker_headers["Allow"] = "DELETE"
                raise MethodNotAllowed("GET", marker_headers)
            raise NoSuchKey(key, headers=marker_headers)
        return obj

    def _find_copy_source(self, bucket: str, key: str, version_id: str | None, operation: str) -> StoredObject:
        """The object a CopyObject or UploadPartCopy reads, with S3's answers for a bad
        `?versionId=` in x-amz-copy-source (recorded against s3.amazonaws.com): empty is
        InvalidArgument, malformed is InvalidRequest for CopyObject but InvalidArgument for
        UploadPartCopy, and a delete marker named by id is InvalidRequest (not 405)."""
        if version_id is not None:
            refuse_empty_version_id(version_id, "x-amz-copy-source")
            if not versions.looks_like_version_id(version_id):
                if operation == "CopyObject":
                    raise InvalidRequest("Invalid Request")
                raise InvalidArgument("Invalid version id specified", ArgumentName="x-amz-copy-source",
                                      ArgumentValue=version_id)
        try:
            return self._find(bucket, key, with_body=True, version_id=version_id)
        except MethodNotAllowed:
            raise InvalidRequest(
                "The source of a copy request may not specifically refer to a delete marker by version id."
            ) from None

    def _authorize_read(self, ctx: RequestContext, bucket: str, key: str, version_id: str | None = None) -> None:
        if ctx.anonymous:
            current = self.store.get_object(bucket, key)
            acl = current.headers.get(ACL) if current is not None else None
            authorize_anonymous(ctx, self.store, "s3:GetObject", bucket, key, acl)
            if current is None and version_id is None:
                # A key that is not there is 404 only to a caller who may list the bucket, and
                # 403 to others (GetObject's reference: "If you don't have the s3:ListBucket
                # permission, Amazon S3 returns an HTTP status code 403"), so a public-read
                # site does not tell which keys exist.
                authorize_anonymous(ctx, self.store, "s3:ListBucket", bucket)

    async def get_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        if ctx.anonymous:
            self._authorize_read(ctx, bucket, key, params.get("VersionId"))
        for attempt in range(_READ_ATTEMPTS):
            obj = self._find(bucket, key, True, params.get("VersionId"))
            if obj.storage_class in ARCHIVED_CLASSES:
                check_readable(obj, self._now())
            out, (first, last) = self._read_output(obj, params)
            if ctx.anonymous:
                self._hide_lock(ctx, out, bucket, key)
            inline = inline_bytes(obj, first, last)  # small objects: no coroutine to run
            if inline is not None:
                out["Body"] = inline
                return out
            try:
                out["Body"] = await object_bytes(self.store, self.blobs, obj, first, last)
                return out
            except ObjectReplaced:
                if attempt == _READ_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._authorize_read(ctx, params["Bucket"], params["Key"], params.get("VersionId"))
        obj = self._find(params["Bucket"], params["Key"], with_body=False, version_id=params.get("VersionId"))
        out, _ = self._read_output(obj, params)
        if RESTORE in out:
            visible_restore(out, obj, self._now())
        if ctx.anonymous:
            self._hide_lock(ctx, out, params["Bucket"], params["Key"])
        return out

    def _hide_lock(self, ctx: RequestContext, out: dict[str, Any], bucket: str, key: str) -> None:
        """GetObject and HeadObject answer a version's retention only to a caller with
        s3:GetObjectRetention, and its legal hold only to one with s3:GetObjectLegalHold (their
        references: "This header is only returned if the requester has the ... permission"); an
        anonymous reader has them only where the bucket policy grants them."""
        for action, members in _LOCK_READ_ACTIONS:
            if any(member in out for member in members):
                try:
                    authorize_anonymous(ctx, self.store, action, bucket, key)
                except AccessDenied:
                    for member in members:
                        out.pop(member, None)

    def _read_output(self, obj: StoredObject, params: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, int]]:
        """Conditions, range and the response members; returns them with the span to serve."""
        conditions.check_read(params, obj)
        out = object_output(obj)
        if "VersionId" not in out and self.store.versioning_ever_on(obj.bucket):
            # The null version of a bucket whose versioning is (or was) on: named "null"
            # (written while versioning was suspended, or before it was first enabled).
            out["VersionId"] = "null"
        if params.get("PartNumber") is not None:
            if params.get("Range") is not None:
                raise InvalidRequest("Cannot specify both Range header and partNumber query parameter")
            span: tuple[int, int] | None = self._part_span(obj, int(params["PartNumber"]))
            if obj.is_multipart:
                out["PartsCount"] = obj.parts_count
        else:
            span = resolve_range(params.get("Range"), obj.size)
        if not _OVERRIDE_MEMBERS.isdisjoint(params):
            for param, member in _RESPONSE_OVERRIDES:
                value = params.get(param)
                if value is not None:
                    out[member] = value
            expires = params.get("ResponseExpires")
            if expires is not None:
                out["Expires"] = expires
        if span is None:
            out["ContentLength"] = obj.size
            if params.get("ChecksumMode") == "ENABLED" and obj.checksum_algorithm:
                out[f"Checksum{obj.checksum_algorithm}"] = obj.checksum_value
                out["ChecksumType"] = obj.checksum_type or "FULL_OBJECT"
            return out, (0, obj.size - 1)
        first, last = span
        out["ContentLength"] = last - first + 1
        out["ContentRange"] = content_range(first, last, obj.size)
        return out, span

    def _part_span(self, obj: StoredObject, number: int) -> tuple[int, int] | None:
        """GetObject ?partNumber=N: the Nth part of a multipart object (the whole of any other)."""
        if not obj.is_multipart:
            if number != 1:
                raise InvalidPartNumber(number, 1)
            return None
        if obj.noncurrent:
            segments = self.store.get_version_segments(obj.bucket, obj.key, obj.version_label)
        else:
            segments = self.store.get_segments(obj.bucket, obj.key, obj.etag) or []
        if not 1 <= number <= len(segments):
            raise InvalidPartNumber(number, len(segments))
        first = sum(size for _n, size, _b in segments[:number - 1])
        return first, first + segments[number - 1][1] - 1

    # ---- DeleteObject / DeleteObjects --------------------------------------------------------

    async def delete_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        self.store.require_bucket(bucket)
        authorize_anonymous(ctx, self.store, "s3:DeleteObject", bucket, key)
        self._check_bypass(params, bucket)
        target = (key, params.get("VersionId"))
        outcome = (await self._delete_keys(bucket, [target], ChangeContext.of(ctx),
                                           {target: params["IfMatch"]} if params.get("IfMatch") else None,
                                           bool(params.get("BypassGovernanceRetention"))))[0]
        if isinstance(outcome, ServiceError):
            raise outcome
        out: dict[str, Any] = {}
        if outcome.delete_marker:
            out["DeleteMarker"] = True
        if outcome.versioning is not None or params.get("VersionId") is not None:
            out["VersionId"] = outcome.version_id or "null"
        return out

    async def delete_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = params["Bucket"]
        delete = params.get("Delete") or {}
        entries = delete.get("Objects") or []
        if not entries or len(entries) > MAX_DELETE_KEYS:
            raise MalformedXML()
        self.store.require_bucket(bucket)
        self._check_bypass(params, bucket)
        # A (key, version) named twice is deleted and reported once, as S3 does (recorded against
        # s3.amazonaws.com: the same key twice without a version id makes one delete marker).
        targets = list(dict.fromkeys((entry["Key"], entry.get("VersionId")) for entry in entries))
        # Each entry's ETag is its own: another entry for the same key (another version) is not bound by it.
        etags = {(entry["Key"], entry.get("VersionId")): entry["ETag"] for entry in entries if entry.get("ETag")}
        outcomes = await self._delete_keys(bucket, targets, ChangeContext.of(ctx), etags or None,
                                           bool(params.get("BypassGovernanceRetention")))
        deleted, errors = [], []
        for (key, version_id), outcome in zip(targets, outcomes, strict=True):
            if isinstance(outcome, ServiceError):
                error = {"Key": key, "Code": outcome.code, "Message": outcome.message}
                if version_id is not None:
                    error["VersionId"] = version_id
                errors.append(error)
                continue
            if delete.get("Quiet"):
                continue
            item: dict[str, Any] = {"Key": key}
            if version_id is not None:
                item["VersionId"] = version_id
                if outcome.delete_marker:
                    item["DeleteMarker"] = True
                    item["DeleteMarkerVersionId"] = version_id
            elif outcome.delete_marker:
                item["DeleteMarker"] = True
                item["DeleteMarkerVersionId"] = outcome.version_id or "null"
            deleted.append(item)
        out: dict[str, Any] = {}
        if deleted:
            out["Deleted"] = deleted
        if errors:
            out["Errors"] = errors
        return out

    async def _delete_keys(self, bucket: str, targets: list[tuple[str, str | None]],
                           change: ChangeContext | None = None,
                           if_match: dict[tuple[str, str | None], str] | None = None,
                           bypass_governance: bool = False) -> list[versions.Outcome | ServiceError]:
        """Delete each (key, version); `if_match` maps a target to the ETag (or "*") its key's
        current version must have, else it is not deleted and its entry is the error instead
        (conditional deletes, S3 user guide: evaluated against the current version only). A
        version deleted by id that Object Lock protects is not deleted either: its entry is
        AccessDenied (a delete without a version id only adds a delete marker, which is allowed)."""
        store, blobs = self.store, self.blobs
        now = self._now()

        def write(tx: Tx) -> list[versions.Outcome | ServiceError]:
            config = store.tx_require_bucket(tx, bucket)
            locking = object_lock.lock_enabled_in(config)
            outcomes: list[versions.Outcome | ServiceError] = []
            for key, version_id in targets:
                if locking and version_id is not None:
                    headers = store.tx_version_headers(tx, bucket, key, version_id)
                    refusal = object_lock.deletion_refusal(headers, now, bypass_governance) if headers else None
                    if refusal is not None:
                        outcomes.append(refusal)
                        continue
                condition = if_match.get((key, version_id)) if if_match is not None else None
                if condition is not None:
                    refusal = _delete_refusal(versions.current_etag(tx, bucket, key), condition, key)
                    if refusal is not None:
                        outcomes.append(refusal)
                        continue
                outcome = versions.tx_delete(tx, config, bucket, key, version_id, now)
                unlink_after_commit(tx, blobs, outcome.unlink)
                if outcome.delete_marker and version_id is None:
                    events.enqueue(tx, config, change, "ObjectRemoved:DeleteMarkerCreated", bucket, key)
                elif outcome.existed:
                    events.enqueue(tx, config, change, "ObjectRemoved:Delete", bucket, key)
                outcomes.append(outcome)
            return outcomes

        return await self.db.write(write)

    def _check_bypass(self, params: dict[str, Any], bucket: str) -> None:
        """x-amz-bypass-governance-retention, true or false, only on a bucket with Object Lock
        (LocalStack's AWS-validated test_delete_object_with_no_locking)."""
        if "BypassGovernanceRetention" in params and not object_lock.lock_enabled(self.store.get_config(bucket)):
            raise InvalidArgument("x-amz-bypass-governance-retention is only applicable to Object Lock enabled "
                                  "buckets.", ArgumentName="x-amz-bypass-governance-retention")

    # ---- CopyObject --------------------------------------------------------------------------

    async def copy_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        validate_key(key)
        src_bucket, src_key, src_version = parse_copy_source(params["CopySource"])
        directive = (params.get("MetadataDirective") or "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise InvalidArgument("Unknown metadata directive.", ArgumentName="x-amz-metadata-directive",
                                  ArgumentValue=directive)
        if directive == "REPLACE":
            validate_metadata(params.get("Metadata"))
        tagging_directive = params.get("TaggingDirective")
        if tagging_directive is not None and tagging_directive.upper() not in ("COPY", "REPLACE"):
            raise InvalidArgument("Unknown tagging directive.", ArgumentName="x-amz-tagging-directive",
                                  ArgumentValue=tagging_directive)
        validate_redirect_location(params.get("WebsiteRedirectLocation"))
        validate_storage_class(params)
        target = self.store.require_bucket(bucket)
        conditions.validate_write_conditions(params)
        acl = request_acl(params, target.account_id)
        refuse_acl(self.store, bucket, params, target.account_id)
        lock = self._requested_lock(ctx, params, bucket)
        for attempt in range(_READ_ATTEMPTS):
            source = self._find_copy_source(src_bucket, src_key, src_version, "CopyObject")
            conditions.check_copy_source(params, source)
            if source.storage_class in ARCHIVED_CLASSES:
                check_copy_source_readable(source, self._now())
            if (src_bucket, src_key) == (bucket, key) and directive == "COPY" and not (
                params.get("StorageClass") or params.get("WebsiteRedirectLocation")
                or params.get("ServerSideEncryption") or params.get("ChecksumAlgorithm")
            ):
                raise InvalidRequest(
                    "This copy request is illegal because it is trying to copy an object to itself without "
                    "changing the object's metadata, storage class, website redirect location or encryption "
                    "attributes."
                )
            try:
                obj = await self._copy_bytes(source, bucket, key, params.get("ChecksumAlgorithm"))
                break
            except ObjectReplaced:
                if attempt == _READ_ATTEMPTS - 1:
                    raise
        if directive == "REPLACE":
            obj.headers = object_headers(params, target.account_id)
        else:
            obj.headers = dict(source.headers)
            # Encryption is not metadata: a copy is encrypted as its request says, else by the
            # destination bucket's default, never simply as its source was.
            for member in ("ServerSideEncryption", "SSEKMSKeyId"):
                obj.headers.pop(member, None)
                if params.get(member):
                    obj.headers[member] = params[member]
        apply_default_encryption(self.store, bucket, obj.headers)
        # A copy never keeps the source's ACL: it gets the one the request names, else private;
        # nor a restored copy's state (a copy is a new object).
        obj.headers.pop(ACL, None)
        obj.headers.pop(RESTORE, None)
        object_lock.strip_lock(obj.headers)
        obj.headers.update(lock)
        if acl:
            obj.headers[ACL] = acl
        if (params.get("TaggingDirective") or "COPY").upper() == "REPLACE":
            obj.headers.pop(TAGS, None)
            if params.get("Tagging"):
                obj.headers[TAGS] = parse_tagging_header(params["Tagging"])
        elif directive == "REPLACE" and TAGS in source.headers:
            obj.headers[TAGS] = source.headers[TAGS]
        obj.storage_class = params.get("StorageClass") or source.storage_class
        obj.last_modified = self._now()
        outcome = await self._commit(obj, params, ChangeContext.of(ctx), "ObjectCreated:Copy")
        result: dict[str, Any] = {"ETag": obj.quoted_etag, "LastModified": obj.last_modified_dt}
        if obj.checksum_algorithm:
            result[f"Checksum{obj.checksum_algorithm}"] = obj.checksum_value
            result["ChecksumType"] = "FULL_OBJECT"
        out: dict[str, Any] = {"CopyObjectResult": result, **encryption_output(obj.headers)}
        if source.version_id is not None:
            out["CopySourceVersionId"] = source.version_id
        add_version(out, outcome)
        return out

    async def _copy_bytes(self, source: StoredObject, bucket: str, key: str, algorithm: str | None) -> StoredObject:
        """The source's bytes as a new single-part object (not yet committed). Raises
        ObjectReplaced when the source changed under the copy."""
        algorithm = algorithm.upper() if algorithm else source.checksum_algorithm
        recompute = algorithm is not None and (algorithm != source.checksum_algorithm
                                               or source.checksum_type == "COMPOSITE")
        obj = StoredObject(bucket=bucket, key=key, size=source.size, etag=source.etag, last_modified=0.0,
                           checksum_algorithm=algorithm, checksum_value=source.checksum_value,
                           checksum_type="FULL_OBJECT" if algorithm else None)
        if source.blob_id is None and not source.is_multipart:
            obj.body = source.body or b""
            if recompute and algorithm is not None:
                obj.checksum_value = checksum_of(algorithm, obj.body)
            return obj
        hasher = checksums.hasher_for(algorithm) if recompute and algorithm else None
        data = await object_bytes(self.store, self.blobs, source, 0, source.size - 1)
        if isinstance(data, bytes):
            data = _once(data)
        copied = await copy_stream(self.blobs, data, [hasher.update] if hasher is not None else [])
        obj.blob_id, obj.size, obj.etag = copied.blob_id, copied.size, copied.md5
        if hasher is not None:
            obj.checksum_value = hasher.digest_b64()
        return obj


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def add_version(out: dict[str, Any], outcome: versions.Outcome) -> None:
    """x-amz-version-id on writes to buckets that have (had) versioning enabled."""
    if outcome.versioning is not None:
        out["VersionId"] = outcome.version_id or "null"


def unlink_after_commit(tx: Tx, blobs: BlobStore, blob_ids: list[str]) -> None:
    """Blob files that a committed change no longer references go once it is durable."""
    if blob_ids:
        tx.after_commit(lambda: _delete_all(blobs, blob_ids))


def _delete_all(blobs: BlobStore, blob_ids: list[str]) -> None:
    for blob_id in blob_ids:
        blobs.delete(blob_id)
