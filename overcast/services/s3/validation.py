"""Input rules that S3 enforces before touching state: bucket names, keys, regions, metadata."""

from __future__ import annotations

import functools
import re

from overcast.protocol.model import load_service_model
from overcast.services.s3.errors import (
    IllegalLocationConstraintException,
    InvalidArgument,
    InvalidBucketName,
    InvalidLocationConstraint,
    InvalidRedirectLocation,
    InvalidStorageClass,
    KeyTooLongError,
    MetadataTooLarge,
)

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
# Prefixes and suffixes that AWS reserves for access points, aliases and directory buckets.
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")

MAX_KEY_BYTES = 1024
MAX_METADATA_BYTES = 2048
DEFAULT_REGION = "us-east-1"
# What a general purpose bucket stores (PutObject's StorageClass enum less OUTPOSTS, SNOW,
# EXPRESS_ONEZONE and FSX_*, which belong to other kinds of bucket and are refused here).
OBJECT_STORAGE_CLASSES = frozenset({
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
    "DEEP_ARCHIVE", "GLACIER_IR",
})


def validate_storage_class(params: dict) -> None:
    """x-amz-storage-class on PutObject, CopyObject and CreateMultipartUpload: an unknown class
    is 400 InvalidStorageClass, not an object stored under a made-up class."""
    requested = params.get("StorageClass")
    if requested and requested not in OBJECT_STORAGE_CLASSES:
        raise InvalidStorageClass(requested)


def validate_bucket_name(name: str) -> None:
    """The rules for new general purpose buckets (the legacy us-east-1 leniency is gone)."""
    if (
        not _BUCKET_NAME.match(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or _IP_ADDRESS.match(name)
        or name.startswith(_RESERVED_PREFIXES)
        or name.endswith(_RESERVED_SUFFIXES)
    ):
        raise InvalidBucketName(name)


def validate_key(key: str) -> None:
    if len(key) > MAX_KEY_BYTES // 4 and len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise KeyTooLongError(key)


def validate_metadata(metadata: dict[str, str] | None) -> None:
    if not metadata:
        return
    # AWS counts the UTF-8 bytes of each name (without x-amz-meta-) and value.
    size = sum(len(k.encode("utf-8")) + len(str(v).encode("utf-8")) for k, v in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise MetadataTooLarge(size)


def validate_redirect_location(location: str | None) -> None:
    """x-amz-website-redirect-location: a URL or a path within the bucket's website."""
    if location and not location.startswith(("http://", "https://", "/")):
        raise InvalidRedirectLocation()


def bucket_region(request_region: str, location_constraint: str | None) -> str:
    """The region a new bucket lives in, or the error AWS gives for the constraint.

    us-east-1 is the legacy global endpoint: it creates buckets in any region named, but refuses
    its own name as a constraint. Every other regional endpoint requires the constraint to name
    its own region.
    """
    if request_region == DEFAULT_REGION:
        # Its own name, or a name that is no region S3 has (the model's BucketLocationConstraint
        # enum): the global endpoint cannot place the bucket anywhere.
        if location_constraint == DEFAULT_REGION or (
                location_constraint and location_constraint not in _known_constraints()):
            raise InvalidLocationConstraint(location_constraint)
        return _region_of_constraint(location_constraint) if location_constraint else DEFAULT_REGION
    if not location_constraint:
        raise IllegalLocationConstraintException(None)
    if _region_of_constraint(location_constraint) != request_region:
        raise IllegalLocationConstraintException(location_constraint)
    return request_region


def _region_of_constraint(constraint: str) -> str:
    # "EU" is the historical name of eu-west-1 and is still accepted.
    return "eu-west-1" if constraint == "EU" else constraint


@functools.cache
def _known_constraints() -> frozenset[str]:
    return frozenset(load_service_model("s3").shape("BucketLocationConstraint").enum)


def refuse_empty_version_id(version_id: str | None, argument: str = "versionId") -> None:
    """`versionId=` with nothing after it, in the query or in x-amz-copy-source (`argument`
    names which), is refused rather than read as absent (recorded against s3.amazonaws.com)."""
    if version_id == "":
        raise InvalidArgument("Version id cannot be the empty string", ArgumentName=argument, ArgumentValue="")
