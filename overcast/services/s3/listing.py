"""ListObjects and ListObjectsV2: prefix, delimiter, CommonPrefixes, paging, encoding-type=url.

A page is a walk along the (bucket, key) index from the marker: each query reads at most one
page's worth of rows, and a common prefix is skipped with one seek past all keys under it, so
the cost of a page depends on the page, not on the bucket's size.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from overcast.server.context import RequestContext
from overcast.services.s3.access import authorize_anonymous
from overcast.services.s3.errors import InvalidArgument
from overcast.services.s3.models import StoredObject, to_datetime
from overcast.services.s3.versions import looks_like_version_id

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store

MAX_KEYS = 1000
MAX_INT32 = 2**31 - 1


@dataclass
class Page:
    rows: list[tuple] = field(default_factory=list)  # store.list_after's rows
    common_prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    last: str | None = None  # the last key or common prefix returned: where the next page starts


def _past(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def scan(store: S3Store, bucket: str, prefix: str, delimiter: str, marker: str, max_keys: int) -> Page:
    page = Page()
    if max_keys <= 0:
        return page
    count = 0
    if prefix > marker:
        cursor, inclusive = prefix, True
    else:
        cursor, inclusive = marker, False
    batch = min(max_keys, MAX_KEYS) + 1
    while True:
        rows = store.list_after(bucket, cursor, batch, inclusive)
        sought = False
        for row in rows:
            key = row[0]
            if not key.startswith(prefix):
                return page
            if row[7]:  # a delete marker: the key has no current object to list
                continue
            if delimiter:
                found = key.find(delimiter, len(prefix))
                if found >= 0:
                    common = key[:found + len(delimiter)]
                    if common > marker:
                        if count == max_keys:
                            page.truncated = True
                            return page
                        page.common_prefixes.append(common)
                        page.last = common
                        count += 1
                    cursor, inclusive, sought = _past(common), True, True
                    break
            if count == max_keys:
                page.truncated = True
                return page
            page.rows.append(row)
            page.last = key
            count += 1
        if sought:
            continue
        if len(rows) < batch:
            return page
        cursor, inclusive = rows[-1][0], False


def _encoder(encoding_type: str | None) -> Callable[[str], str]:
    if encoding_type is None:
        return lambda value: value
    if encoding_type.lower() != "url":
        raise InvalidArgument("Invalid Encoding Method specified in Request", ArgumentName="encoding-type",
                              ArgumentValue=encoding_type)
    return lambda value: quote(value, safe="/")


def _listing_params(params: dict[str, Any]) -> tuple[str, Callable[[str], str], int, str, str]:
    """What every list operation reads first: bucket, key encoder, MaxKeys, Prefix, Delimiter."""
    return (params["Bucket"], _encoder(params.get("EncodingType")), _max_keys(params),
            params.get("Prefix") or "", params.get("Delimiter") or "")


def _max_keys(params: dict[str, Any]) -> int:
    value = params.get("MaxKeys")
    if value is None:
        return MAX_KEYS
    if value < 0:
        raise InvalidArgument("Argument maxKeys must be an integer between 0 and 2147483647",
                              ArgumentName="maxKeys", ArgumentValue=str(value))
    return min(value, MAX_KEYS)


def _validate_version_listing(params: dict[str, Any]) -> None:
    """ListObjectVersions' own argument checks, in the order real S3 applies them (recorded
    against s3.amazonaws.com): max-keys, then version-id-marker, then encoding-type (which
    _listing_params checks). Its max-keys messages differ from ListObjects'."""
    max_keys = params.get("MaxKeys")
    if max_keys is not None:
        if max_keys < 0:
            raise InvalidArgument("max-keys cannot be negative", ArgumentName="max-keys")
        if max_keys > MAX_INT32:
            raise InvalidArgument("Provided max-keys not an integer or within integer range",
                                  ArgumentName="max-keys", ArgumentValue=str(max_keys))
    version_marker = params.get("VersionIdMarker")
    if version_marker is None:
        return
    # A key-marker given empty still counts as given: the pair is then judged on the version id.
    if params.get("KeyMarker") is None:
        raise InvalidArgument("A version-id marker cannot be specified without a key marker.",
                              ArgumentName="version-id-marker", ArgumentValue=version_marker)
    if version_marker == "":
        raise InvalidArgument("A version-id marker cannot be empty.",
                              ArgumentName="version-id-marker", ArgumentValue="")
    if version_marker != "null" and not looks_like_version_id(version_marker):
        raise InvalidArgument("Invalid version id specified",
                              ArgumentName="version-id-marker", ArgumentValue=version_marker)


def owner_of(account_id: str) -> dict[str, str]:
    """S3's canonical user: a 64-hex-digit id, stable per account."""
    return {"DisplayName": account_id, "ID": hashlib.sha256(f"overcast:{account_id}".encode()).hexdigest()}


def encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode().rstrip("=")


def _refuse_v2_parameters(query: dict[str, str]) -> None:
    """ListObjects (V1) refuses ListObjectsV2's own parameters, even empty, before looking at the
    bucket (AWS as measured by public S3 compatibility suites; continuation-token first)."""
    if "continuation-token" in query:
        raise InvalidArgument("continuation-token only supported in REST.GET.BUCKET with list-type=2",
                              ArgumentName="continuation-token")
    if "start-after" in query:
        raise InvalidArgument("startAfter only supported in REST.GET.BUCKET with list-type=2",
                              ArgumentName="start-after")


def decode_token(token: str) -> str:
    if not token:  # an empty token decodes to the empty key, but S3 refuses it as incorrect
        raise InvalidArgument("The continuation token provided is incorrect",
                              ArgumentName="continuation-token", ArgumentValue=token)
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidArgument("The continuation token provided is incorrect",
                              ArgumentName="continuation-token", ArgumentValue=token) from None


def _add_grouping_members(out: dict[str, Any], params: dict[str, Any], encode: Callable[[str], str],
                          common_prefixes: list[str], delimiter: str) -> None:
    """CommonPrefixes, Delimiter and EncodingType, which every listing answers alike."""
    if common_prefixes:
        out["CommonPrefixes"] = [{"Prefix": encode(p)} for p in common_prefixes]
    if delimiter:
        out["Delimiter"] = encode(delimiter)
    if params.get("EncodingType"):
        out["EncodingType"] = params["EncodingType"]


class ListingOperations:
    store: S3Store

    def _contents(self, page: Page, encode, owner: dict[str, str] | None) -> list[dict[str, Any]]:
        contents = []
        for key, size, etag, last_modified, storage_class, checksum_algorithm, checksum_type, _ in page.rows:
            item: dict[str, Any] = {
                "Key": encode(key),
                "LastModified": to_datetime(last_modified),
                "ETag": f'"{etag}"',
                "Size": size,
                "StorageClass": storage_class,
            }
            if checksum_algorithm:
                item["ChecksumAlgorithm"] = [checksum_algorithm]
                item["ChecksumType"] = checksum_type or "FULL_OBJECT"
            if owner is not None:
                item["Owner"] = owner
            contents.append(item)
        return contents

    def list_objects_v2(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if "marker" in ctx.request.query:
            raise InvalidArgument("Marker unsupported with REST.GET.BUCKET in list-type=2", ArgumentName="marker")
        bucket, encode, max_keys, prefix, delimiter = _listing_params(params)
        token = params.get("ContinuationToken")
        start_after = params.get("StartAfter") or ""
        record = self.store.require_bucket(bucket)
        authorize_anonymous(ctx, self.store, "s3:ListBucket", bucket)
        marker = decode_token(token) if token is not None else start_after
        page = scan(self.store, bucket, prefix, delimiter, marker, max_keys)
        owner = owner_of(record.account_id) if params.get("FetchOwner") else None
        out: dict[str, Any] = {
            "Name": bucket,
            "Prefix": encode(prefix),
            "MaxKeys": max_keys if params.get("MaxKeys") is None else params["MaxKeys"],
            "KeyCount": len(page.rows) + len(page.common_prefixes),
            "IsTruncated": page.truncated,
        }
        if page.rows:
            out["Contents"] = self._contents(page, encode, owner)
        _add_grouping_members(out, params, encode, page.common_prefixes, delimiter)
        if token is not None:
            out["ContinuationToken"] = token
        if start_after:
            out["StartAfter"] = encode(start_after)
        if page.truncated and page.last is not None:
            out["NextContinuationToken"] = encode_token(page.last)
        return out

    def list_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _refuse_v2_parameters(ctx.request.query)
        bucket, encode, max_keys, prefix, delimiter = _listing_params(params)
        marker = params.get("Marker") or ""
        record = self.store.require_bucket(bucket)
        authorize_anonymous(ctx, self.store, "s3:ListBucket", bucket)
        page = scan(self.store, bucket, prefix, delimiter, marker, max_keys)
        out: dict[str, Any] = {
            "Name": bucket,
            "Prefix": encode(prefix),
            "Marker": encode(marker),
            "MaxKeys": max_keys if params.get("MaxKeys") is None else params["MaxKeys"],
            "IsTruncated": page.truncated,
        }
        if page.rows:
            out["Contents"] = self._contents(page, encode, owner_of(record.account_id))
        _add_grouping_members(out, params, encode, page.common_prefixes, delimiter)
        # Without a delimiter the client pages from the last key itself; S3 sends NextMarker
        # only when a delimiter was given.
        if delimiter and page.truncated and page.last is not None:
            out["NextMarker"] = encode(page.last)
        return out


class VersionListingOperations:
    store: S3Store

    def list_object_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _validate_version_listing(params)
        bucket, encode, max_keys, prefix, delimiter = _listing_params(params)
        key_marker = params.get("KeyMarker") or ""
        version_marker = (params.get("VersionIdMarker") or "") if key_marker else ""
        record = self.store.require_bucket(bucket)
        owner = owner_of(record.account_id)
        listed: list[tuple[StoredObject, bool]] = []
        prefixes: list[str] = []
        truncated = False
        if version_marker:
            cursor, inclusive = key_marker, True
        elif prefix > key_marker:
            cursor, inclusive = prefix, True
        else:
            cursor, inclusive = key_marker, False
        finished = max_keys <= 0
        while not finished:
            keys = self.store.keys_with_versions(bucket, cursor, inclusive, MAX_KEYS)
            finished = len(keys) < MAX_KEYS  # unless a seek past a common prefix asks for more
            for key in keys:
                cursor, inclusive = key, False
                if not key.startswith(prefix):
                    finished = True
                    break
                found = key.find(delimiter, len(prefix)) if delimiter else -1
                if found >= 0:
                    common = key[:found + len(delimiter)]
                    if common > key_marker and (not prefixes or prefixes[-1] != common):
                        if len(listed) + len(prefixes) >= max_keys:
                            truncated = finished = True
                            break
                        prefixes.append(common)
                    cursor, inclusive, finished = _past(common), True, False
                    break
                chain = self._versions_of(bucket, key)
                if key == key_marker and version_marker:
                    ids = [v.version_label for v, _ in chain]
                    chain = chain[ids.index(version_marker) + 1:] if version_marker in ids else []
                for entry in chain:
                    if len(listed) + len(prefixes) >= max_keys:
                        truncated = True
                        break
                    listed.append(entry)
                if truncated:
                    finished = True
                    break
        out: dict[str, Any] = {
            "Name": bucket, "Prefix": encode(prefix), "KeyMarker": encode(key_marker),
            "VersionIdMarker": version_marker, "MaxKeys": params.get("MaxKeys", max_keys),
            "IsTruncated": truncated,
        }
        versions_out = [self._version_item(v, latest, owner, encode) for v, latest in listed if not v.delete_marker]
        markers = [{"Owner": owner, "Key": encode(v.key), "VersionId": v.version_label, "IsLatest": latest,
                    "LastModified": to_datetime(v.last_modified)} for v, latest in listed if v.delete_marker]
        if versions_out:
            out["Versions"] = versions_out
        if markers:
            out["DeleteMarkers"] = markers
        _add_grouping_members(out, params, encode, prefixes, delimiter)
        if params.get("Delimiter") == "":
            out["Delimiter"] = ""  # recorded against s3.amazonaws.com: an empty delimiter is echoed
        if truncated:
            if listed and (not prefixes or listed[-1][0].key > prefixes[-1]):
                out["NextKeyMarker"] = encode(listed[-1][0].key)
                out["NextVersionIdMarker"] = listed[-1][0].version_label
            elif prefixes:
                out["NextKeyMarker"] = encode(prefixes[-1])
        return out

    def _versions_of(self, bucket: str, key: str) -> list[tuple[StoredObject, bool]]:
        """A key's versions, newest first, each with whether it is the latest."""
        chain: list[tuple[StoredObject, bool]] = []
        current = self.store.get_object(bucket, key)
        if current is not None:
            chain.append((current, True))
        chain += [(v, False) for v in self.store.list_versions(bucket, key)]
        return chain

    @staticmethod
    def _version_item(obj: StoredObject, latest: bool, owner: dict[str, str], encode) -> dict[str, Any]:
        item: dict[str, Any] = {
            "ETag": obj.quoted_etag, "Size": obj.size, "StorageClass": obj.storage_class, "Key": encode(obj.key),
            "VersionId": obj.version_label, "IsLatest": latest, "LastModified": obj.last_modified_dt,
            "Owner": owner,
        }
        if obj.checksum_algorithm:
            item["ChecksumAlgorithm"] = [obj.checksum_algorithm]
            item["ChecksumType"] = obj.checksum_type or "FULL_OBJECT"
        return item
