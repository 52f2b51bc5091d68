"""S3's records as the provider handles them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True)  # S3Store caches these: nobody may change one in place
class Bucket:
    name: str
    account_id: str
    region: str
    created: float  # epoch seconds


@dataclass
class StoredObject:
    bucket: str
    key: str
    size: int
    etag: str  # hex digest, without quotes
    last_modified: float  # epoch seconds, millisecond precision
    # Output members returned as stored: ContentType, ContentEncoding, CacheControl,
    # ContentDisposition, ContentLanguage, Expires (epoch), WebsiteRedirectLocation, Metadata.
    headers: dict[str, Any] = field(default_factory=dict)
    checksum_algorithm: str | None = None  # CRC32, CRC32C, SHA1, SHA256, CRC64NVME, ...
    checksum_value: str | None = None  # base64, as the x-amz-checksum-* header carries it
    storage_class: str = "STANDARD"
    body: bytes | None = None  # inline bodies (small objects), when the query asked for it
    blob_id: str | None = None  # file in the blob store (large objects)
    parts_count: int = 0  # > 0: a completed multipart upload, its bytes in its parts' blobs
    checksum_type: str | None = None  # FULL_OBJECT or COMPOSITE
    version_id: str | None = None  # None: the "null" version (or an unversioned bucket's object)
    delete_marker: bool = False
    noncurrent: bool = False  # read from the older versions, not the current one

    @property
    def version_label(self) -> str:
        return self.version_id or "null"

    @property
    def is_multipart(self) -> bool:
        return self.parts_count > 0

    @property
    def quoted_etag(self) -> str:
        return f'"{self.etag}"'

    @property
    def last_modified_dt(self) -> datetime:
        return to_datetime(self.last_modified)

    @property
    def last_modified_second(self) -> int:
        """HTTP dates have one-second resolution; conditions compare at that resolution."""
        return int(self.last_modified)


@dataclass
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    account_id: str
    storage_class: str
    checksum_algorithm: str | None
    checksum_type: str | None
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass
class Part:
    part_number: int
    size: int
    etag: str  # hex md5, no quotes
    last_modified: float
    checksum_value: str | None
    blob_id: str
