"""The documents of S3's reporting configurations: request metrics, inventory, storage class
analysis and the Intelligent-Tiering archive tiers. Each check runs before anything is stored,
so a refused document changes nothing.

What the schema refuses (a missing required element, a value outside an enumeration, two
choices where one is allowed) S3 answers as MalformedXML; the checks with their own codes are
those S3 answers with their own codes.
"""

from __future__ import annotations

import re
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.services.s3.errors import InvalidArgument, MalformedXML

# The optional fields an inventory may list (botocore's InventoryOptionalField).
INVENTORY_OPTIONAL_FIELDS = frozenset({
    "Size", "LastModifiedDate", "StorageClass", "ETag", "IsMultipartUploaded", "ReplicationStatus",
    "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus",
    "ObjectLockEventHoldStatus", "ObjectLockEventHoldDuration", "IntelligentTieringAccessTier", "BucketKeyStatus",
    "ChecksumAlgorithm", "ObjectAccessControlList", "ObjectOwner", "LifecycleExpirationDate",
    "IntelligentTieringReferenceDate",
})
# Fewest and most days of no access before an object may move to each optional archive tier
# (API_Tiering: "at least 90 days", "at least 180 days", "up to 2 years (730 days)").
TIER_DAYS = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}
# A destination names its bucket by ARN: arn:<partition>:s3:::<bucket>.
_BUCKET_ARN = re.compile(r"^arn:[a-z-]+:s3:::[^/:]+$")


def _mismatched_id() -> ServiceError:
    """The configuration id in the query differs from the document's own Id (S3's answer for
    inventory as LocalStack's AWS-validated inventory tests record it)."""
    return ServiceError("Document ID does not match the specified configuration ID.", code="IdMismatch",
                        status=400)


def _require(value: Any) -> Any:
    if value is None or value == "":
        raise MalformedXML()
    return value


def _one_of(value: Any, allowed: frozenset[str] | set[str] | tuple[str, ...]) -> str:
    if value not in allowed:
        raise MalformedXML()
    return str(value)


def _check_tag(tag: Any) -> None:
    if not isinstance(tag, dict) or not tag.get("Key") or tag.get("Value") is None:
        raise MalformedXML()


def check_filter(spec: Any, choices: tuple[str, ...]) -> None:
    """A filter is a choice: one of Prefix, Tag, AccessPointArn (metrics only) or And, the
    schema refusing two at once; an And holds a prefix, tags (and an access point) together."""
    if spec is None:
        return
    if not isinstance(spec, dict) or len(spec) > 1 or any(name not in choices for name in spec):
        raise MalformedXML()
    if "Tag" in spec:
        _check_tag(spec["Tag"])
    both = spec.get("And")
    if both is not None:
        for tag in both.get("Tags") or []:
            _check_tag(tag)


def check_metrics(query_id: str, config: dict[str, Any]) -> None:
    """PutBucketMetricsConfiguration. A document Id unlike the query's is MalformedXML (S3's
    answer to `--id myid2` with `"Id": "avc"` in aws/aws-cli#4476)."""
    config_id = _require(config.get("Id"))
    check_filter(config.get("Filter"), ("Prefix", "Tag", "AccessPointArn", "And"))
    if config_id != query_id:
        raise MalformedXML()


def check_inventory(query_id: str, config: dict[str, Any]) -> None:
    """PutBucketInventoryConfiguration: the schema first, then the id, then the destination's
    ARN, the order S3 checks them in (LocalStack's AWS-validated inventory tests)."""
    destination = (_require(config.get("Destination")) or {}).get("S3BucketDestination")
    if not isinstance(destination, dict):
        raise MalformedXML()
    _require(destination.get("Bucket"))
    _one_of(destination.get("Format"), ("CSV", "ORC", "Parquet"))
    encryption = destination.get("Encryption")
    if encryption is not None:
        # One of SSE-S3 or SSE-KMS, and SSE-KMS names its key.
        if len(encryption) != 1 or not set(encryption) <= {"SSES3", "SSEKMS"}:
            raise MalformedXML()
        if "SSEKMS" in encryption:
            _require((encryption["SSEKMS"] or {}).get("KeyId"))
    if config.get("IsEnabled") is None:
        raise MalformedXML()
    config_id = _require(config.get("Id"))
    _one_of(config.get("IncludedObjectVersions"), ("All", "Current"))
    _one_of((config.get("Schedule") or {}).get("Frequency"), ("Daily", "Weekly"))
    spec = config.get("Filter")
    if spec is not None and spec.get("Prefix") is None:
        raise MalformedXML()
    for field in config.get("OptionalFields") or []:
        _one_of(field, INVENTORY_OPTIONAL_FIELDS)
    if config_id != query_id:
        raise _mismatched_id()
    if not _BUCKET_ARN.match(destination["Bucket"]):
        raise ServiceError("Invalid bucket ARN.", code="InvalidS3DestinationBucket", status=400)


def check_analytics(query_id: str, config: dict[str, Any]) -> None:
    """PutBucketAnalyticsConfiguration. A different id in the document is MalformedXML here, not
    the inventory's IdMismatch (LocalStack's analytics validation)."""
    config_id = _require(config.get("Id"))
    analysis = config.get("StorageClassAnalysis")
    if analysis is None:
        raise MalformedXML()
    check_filter(config.get("Filter"), ("Prefix", "Tag", "And"))
    export = analysis.get("DataExport")
    if export is not None:
        _one_of(export.get("OutputSchemaVersion"), ("V_1",))
        destination = (export.get("Destination") or {}).get("S3BucketDestination")
        if not isinstance(destination, dict):
            raise MalformedXML()
        _one_of(destination.get("Format"), ("CSV",))
        _require(destination.get("Bucket"))
    if config_id != query_id:
        raise MalformedXML()
    if export is not None and not _BUCKET_ARN.match(export["Destination"]["S3BucketDestination"]["Bucket"]):
        raise ServiceError("Invalid bucket ARN.", code="InvalidS3DestinationBucket", status=400)


def check_intelligent_tiering(query_id: str, config: dict[str, Any]) -> None:
    """PutBucketIntelligentTieringConfiguration: a status, one or more tiers, and each tier's
    days within its bounds, worded as S3 words the lower one ("Days specified in ARCHIVE_ACCESS
    tier should not be less than 90", as CloudFormation users quote S3's refusal). A document Id
    unlike the query's is MalformedXML (aws/aws-sdk#336, resolved by AWS as mismatched Ids)."""
    config_id = _require(config.get("Id"))
    _one_of(config.get("Status"), ("Enabled", "Disabled"))
    check_filter(config.get("Filter"), ("Prefix", "Tag", "And"))
    tierings = config.get("Tierings") or []
    if not tierings:
        raise MalformedXML()
    tiers = [_one_of(tiering.get("AccessTier"), tuple(TIER_DAYS)) for tiering in tierings]
    if len(tiers) != len(set(tiers)):
        raise MalformedXML()
    if config_id != query_id:
        raise MalformedXML()
    for tier, tiering in zip(tiers, tierings, strict=True):
        days = _require(tiering.get("Days"))
        least, most = TIER_DAYS[tier]
        if days < least:
            raise InvalidArgument(f"Days specified in {tier} tier should not be less than {least}")
        if days > most:
            raise InvalidArgument(f"Days specified in {tier} tier should not be more than {most}")
