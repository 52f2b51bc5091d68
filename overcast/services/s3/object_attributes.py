"""Object sub-resources: tagging and ACLs, kept with the object's headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overcast.server.context import RequestContext
from overcast.services.s3 import versions
from overcast.services.s3.acls import CANNED_ACLS, acl_from_params, grants_for, owner_full_control, refuse_acl
from overcast.services.s3.bucket_config import validate_tags
from overcast.services.s3.errors import InvalidArgument, MethodNotAllowed, NoSuchKey, NoSuchVersion
from overcast.services.s3.listing import owner_of
from overcast.services.s3.models import StoredObject
from overcast.services.s3.objects import ACL, MAX_OBJECT_TAGS, TAGS
from overcast.services.s3.public_access import acls_disabled, check_acl_sources
from overcast.services.s3.validation import refuse_empty_version_id

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import Database, Tx


class ObjectAttributeOperations:
    store: S3Store
    db: Database

    async def _update_headers(self, bucket: str, key: str, name: str, value: Any,
                              version_id: str | None = None, method: str = "PUT",
                              current_marker_not_allowed: bool = False,
                              change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Change one stored header of the current object or of the version named; the
        output's VersionId names the version changed. A delete marker named by id is 405
        (Allow: DELETE); a current one is NoSuchKey, or 405 without the marker's headers where
        `current_marker_not_allowed` (PutObjectAcl, as recorded against s3.amazonaws.com).
        `change`, when given, edits the headers in place instead (and may refuse by raising)."""
        store = self.store
        refuse_empty_version_id(version_id)
        if version_id is not None and not versions.looks_like_version_id(version_id):
            store.require_bucket(bucket)
            raise InvalidArgument("Invalid version id specified", ArgumentName="versionId", ArgumentValue=version_id)

        def write(tx: Tx) -> str | None:
            store.tx_require_bucket(tx, bucket)
            if change is not None:
                status, found_version = store.tx_change_object_headers(tx, bucket, key, change, version_id)
            else:
                status, found_version = store.tx_set_object_header(tx, bucket, key, name, value, version_id)
            if status == "missing":
                raise NoSuchKey(key) if version_id is None else NoSuchVersion(key, version_id)
            if status == "delete-marker":
                marker_headers = {"x-amz-delete-marker": "true", "x-amz-version-id": found_version or "null",
                                  "Allow": "DELETE"}
                if version_id is not None:
                    raise MethodNotAllowed(method, marker_headers)
                if current_marker_not_allowed:
                    raise MethodNotAllowed(method, {"Allow": "DELETE"})
                del marker_headers["Allow"]
                raise NoSuchKey(key, headers=marker_headers)
            return found_version

        found = await self.db.write(write)
        return {"VersionId": version_id or found} if (version_id or found) else {}

    async def put_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags = (params.get("Tagging") or {}).get("TagSet") or []
        validate_tags(tags, MAX_OBJECT_TAGS)
        return await self._update_headers(params["Bucket"], params["Key"], TAGS, tags or None,
                                          params.get("VersionId"))

    def get_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        obj = self._find(params["Bucket"], params["Key"], with_body=False,
                         version_id=params.get("VersionId"))
        out: dict[str, Any] = {"TagSet": obj.headers.get(TAGS) or []}
        if obj.version_id is not None or obj.noncurrent:
            out["VersionId"] = obj.version_label
        return out

    async def delete_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._update_headers(params["Bucket"], params["Key"], TAGS, None, params.get("VersionId"),
                                          method="DELETE")

    async def put_object_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        check_acl_sources(params)
        canned = params.get("ACL")
        if canned is not None and canned not in CANNED_ACLS:
            raise InvalidArgument("Invalid canned ACL", ArgumentName="x-amz-acl", ArgumentValue=canned)
        acl = canned if canned is not None else acl_from_params(params, bucket.account_id)
        refuse_acl(self.store, bucket.name, params, bucket.account_id)
        await self._update_headers(bucket.name, params["Key"], ACL, acl, params.get("VersionId"),
                                   current_marker_not_allowed=True)
        return {}

    def get_object_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        obj = self._find(bucket.name, params["Key"], with_body=False,
                         version_id=params.get("VersionId"))
        # With ACLs disabled S3 shows the owner's full control, whatever ACL the object had before.
        if acls_disabled(self.store.get_config(bucket.name) or {}):
            return owner_full_control(bucket.account_id)
        acl = obj.headers.get(ACL) or "private"
        if isinstance(acl, dict):
            return acl
        return {"Owner": owner_of(bucket.account_id), "Grants": grants_for(acl, bucket.account_id)}

    def get_object_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(params.get("ObjectAttributes") or [])
        obj = self._find(params["Bucket"], params["Key"], with_body=False,
                         version_id=params.get("VersionId"))
        out: dict[str, Any] = {"LastModified": obj.last_modified_dt}
        if obj.version_id is not None or obj.noncurrent:
            out["VersionId"] = obj.version_label
        if "ETag" in wanted:
            out["ETag"] = obj.etag  # S3 answers this one without quotes
        if "ObjectSize" in wanted:
            out["ObjectSize"] = obj.size
        if "StorageClass" in wanted:
            out["StorageClass"] = obj.storage_class
        if "Checksum" in wanted and obj.checksum_algorithm:
            out["Checksum"] = {f"Checksum{obj.checksum_algorithm}": obj.checksum_value,
                               "ChecksumType": obj.checksum_type or "FULL_OBJECT"}
        if "ObjectParts" in wanted and obj.is_multipart:
            out["ObjectParts"] = self._object_parts(obj, params)
        return out

    def _object_parts(self, obj: StoredObject, params: dict[str, Any]) -> dict[str, Any]:
        if obj.noncurrent:
            segments = self.store.get_version_segments(obj.bucket, obj.key, obj.version_label)
        else:
            segments = self.store.get_segments(obj.bucket, obj.key, obj.etag) or []
        marker = int(params.get("PartNumberMarker") or 0)
        limit = int(params.get("MaxParts") or 1000)
        after = [s for s in segments if s[0] > marker]
        page = after[:limit]
        parts = [{"PartNumber": number, "Size": size} for number, size, _blob in page]
        out: dict[str, Any] = {"TotalPartsCount": obj.parts_count, "PartNumberMarker": marker, "MaxParts": limit,
                               "IsTruncated": len(after) > limit, "Parts": parts}
        if page:
            out["NextPartNumberMarker"] = page[-1][0]
        return out
