"""S3 Object Lock's rules: the bucket's lock configuration, the lock an object version is
written with, and what a lock forbids (deleting the version, shortening or removing its
retention), all by the server's clock.

A version's lock lives in its stored headers, under the names GetObject answers them with
(ObjectLockMode, ObjectLockRetainUntilDate as epoch seconds, ObjectLockLegalHoldStatus), so it
moves with the version between s3_objects and s3_versions and survives a restart like the rest
of the row. The bucket's configuration is its "ObjectLock" section.

Wordings and statuses are S3's as recorded against it: LocalStack's AWS-validated
TestS3ObjectLock* tests and snapshots, moto's aws_verified test_s3_locking.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from overcast.protocol.errors import AccessDenied, ServiceError
from overcast.services.s3.errors import InvalidArgument, InvalidRequest, MalformedXML

SECTION = "ObjectLock"
MODE = "ObjectLockMode"
RETAIN_UNTIL = "ObjectLockRetainUntilDate"
LEGAL_HOLD = "ObjectLockLegalHoldStatus"
LOCK_HEADERS = (MODE, RETAIN_UNTIL, LEGAL_HOLD)
MODES = ("GOVERNANCE", "COMPLIANCE")
HOLD_STATUSES = ("ON", "OFF")
DAY = 86400
# S3 counts a year of retention as 365 days (the user guide's event-hold durations).
YEAR = 365 * DAY
MAX_RETENTION_YEARS = 100
MAX_RETENTION_DAYS = MAX_RETENTION_YEARS * 365

PROTECTED_MESSAGE = "Access Denied because object protected by object lock."


def lock_enabled(config: dict[str, Any] | None) -> bool:
    return bool(config) and (config or {}).get(SECTION, {}).get("ObjectLockEnabled") == "Enabled"


def lock_enabled_in(config_text: str) -> bool:
    """lock_enabled on the configuration's JSON text, as a write transaction holds it."""
    if f'"{SECTION}"' not in config_text:  # most buckets: no parsing
        return False
    return lock_enabled(json.loads(config_text))


def missing_lock_configuration() -> ServiceError:
    """Retention or legal-hold requests to a bucket without Object Lock."""
    return InvalidRequest("Bucket is missing Object Lock Configuration")


def protected() -> ServiceError:
    return AccessDenied(PROTECTED_MESSAGE)


def no_lock_on_version() -> ServiceError:
    # S3 says "a ObjectLock" on the wire (its error table's "an" is not what it sends).
    return ServiceError("The specified object does not have a ObjectLock configuration",
                        code="NoSuchObjectLockConfiguration", status=404)


# ---- the bucket's configuration ------------------------------------------------------------

def validate_configuration(config: dict[str, Any] | None) -> dict[str, Any]:
    """PutObjectLockConfiguration's document, as stored: ObjectLockEnabled must be Enabled; a
    Rule holds a DefaultRetention with a Mode and either Days or Years, positive. Anything
    else S3 refuses as MalformedXML, except a period that is not positive (InvalidArgument)."""
    if not config or config.get("ObjectLockEnabled") != "Enabled":
        raise MalformedXML()
    if "Rule" not in config:
        return {"ObjectLockEnabled": "Enabled"}
    retention = (config.get("Rule") or {}).get("DefaultRetention")
    if not retention or retention.get("Mode") not in MODES or (("Days" in retention) == ("Years" in retention)):
        raise MalformedXML()
    unit = "Days" if "Days" in retention else "Years"
    period = retention[unit]
    if not isinstance(period, int) or period <= 0:
        raise InvalidArgument("Default retention period must be a positive integer value", ArgumentName=unit,
                              ArgumentValue=str(period))
    # "The maximum retention period is 100 years" (user guide); S3's wording past it as
    # storj/edge#528 and versitygw#1738 report it.
    if period > (MAX_RETENTION_DAYS if unit == "Days" else MAX_RETENTION_YEARS):
        raise InvalidArgument("Default retention period too large.", ArgumentName=unit, ArgumentValue=str(period))
    return {"ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": retention["Mode"], unit: period}}}


def default_retention(config: dict[str, Any]) -> tuple[str, int] | None:
    """(mode, seconds) of the bucket's default retention, or None."""
    retention = ((config.get(SECTION) or {}).get("Rule") or {}).get("DefaultRetention")
    if not retention:
        return None
    seconds = retention["Days"] * DAY if "Days" in retention else retention["Years"] * YEAR
    return retention["Mode"], seconds


def apply_default_retention(headers: dict[str, Any], config_text: str, created: float) -> None:
    """A new version written without a mode of its own takes the bucket's default retention,
    counted from its creation ("as though you explicitly placed an individual lock")."""
    if f'"{SECTION}"' not in config_text or MODE in headers:
        return
    config = json.loads(config_text)
    default = default_retention(config) if lock_enabled(config) else None
    if default is not None:
        mode, seconds = default
        headers[MODE] = mode
        headers[RETAIN_UNTIL] = created + seconds


# ---- a new version's lock (PutObject, CopyObject, CreateMultipartUpload) -------------------

def requested_lock(params: dict[str, Any], now: float, raw_date: str | None = None) -> dict[str, Any]:
    """The lock headers a write asks for, checked as S3 checks them before it looks at the
    bucket's lock: the mode and the date come together, the mode is known, the date is in the
    future, the legal hold is ON or OFF. Returns the headers to store (empty: none asked)."""
    mode = params.get("ObjectLockMode")
    until = params.get("ObjectLockRetainUntilDate")
    hold = params.get("ObjectLockLegalHoldStatus")
    lock: dict[str, Any] = {}
    if hold is not None:
        if hold not in HOLD_STATUSES:
            raise InvalidArgument("Legal Hold must be either of 'ON' or 'OFF'",
                                  ArgumentName="x-amz-object-lock-legal-hold", ArgumentValue=str(hold))
        lock[LEGAL_HOLD] = hold
    if mode is None and until is None:
        return lock
    if until is None:
        raise InvalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                              ArgumentName="x-amz-object-lock-retain-until-date")
    if mode is None:
        raise InvalidArgument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                              ArgumentName="x-amz-object-lock-mode")
    if mode not in MODES:
        raise InvalidArgument("Unknown wormMode directive.", ArgumentName="x-amz-object-lock-mode",
                              ArgumentValue=str(mode))
    epoch = _epoch(until)
    if epoch <= now:
        raise InvalidArgument("The retain until date must be in the future!",
                              ArgumentName="x-amz-object-lock-retain-until-date",
                              ArgumentValue=raw_date or _pacific(epoch))
    lock[MODE], lock[RETAIN_UNTIL] = mode, epoch
    return lock


def require_lock_for(lock: dict[str, Any], config: dict[str, Any] | None) -> None:
    """Lock headers on a write to a bucket without Object Lock are refused."""
    if lock and not lock_enabled(config):
        raise missing_lock_configuration()


def requires_integrity(lock: dict[str, Any], config: dict[str, Any] | None) -> bool:
    """Whether a PutObject must carry Content-MD5 or a checksum: it sets a lock, or the bucket's
    default retention will (PutObject's reference; S3 refuses either without one)."""
    return bool(lock) or (lock_enabled(config) and default_retention(config or {}) is not None)


def carries_integrity(params: dict[str, Any], headers: dict[str, str]) -> bool:
    """Content-MD5, an x-amz-checksum-* header, or a trailing checksum (the SigV4 payload hash
    does not count, nor x-amz-sdk-checksum-algorithm alone)."""
    if params.get("ContentMD5"):
        return True
    if any(name.startswith("Checksum") and name != "ChecksumAlgorithm" and name != "ChecksumType" and value
           for name, value in params.items()):
        return True
    return "x-amz-checksum-" in (headers.get("x-amz-trailer") or "").lower()


def refuse_without_integrity(request: str = "Put Object") -> ServiceError:
    return InvalidRequest(f"Content-MD5 OR x-amz-checksum- HTTP header is required for {request} requests with "
                          "Object Lock parameters")


def strip_lock(headers: dict[str, Any]) -> None:
    """A copy never keeps its source's lock ("Copied objects will not retain the Object Lock
    settings from the original objects", S3 user guide, copying objects)."""
    for name in LOCK_HEADERS:
        headers.pop(name, None)


# ---- what a lock forbids -------------------------------------------------------------------

def retention_in_force(headers: dict[str, Any], now: float) -> str | None:
    """The mode of a retention that has not yet expired, or None."""
    mode = headers.get(MODE)
    if mode is None or float(headers.get(RETAIN_UNTIL) or 0) <= now:
        return None
    return mode


def deletion_refusal(headers: dict[str, Any], now: float, bypass: bool) -> ServiceError | None:
    """Deleting a version by id: a legal hold forbids it whatever the mode; a retention in force
    forbids it, GOVERNANCE only without x-amz-bypass-governance-retention."""
    if headers.get(LEGAL_HOLD) == "ON":
        return protected()
    mode = retention_in_force(headers, now)
    if mode == "COMPLIANCE" or (mode == "GOVERNANCE" and not bypass):
        return protected()
    return None


def new_retention(retention: dict[str, Any] | None, now: float) -> dict[str, Any]:
    """PutObjectRetention's document as headers to store: both Mode and RetainUntilDate, or
    neither (removing the retention)."""
    if not retention or ("Mode" not in retention and "RetainUntilDate" not in retention):
        return {}
    if retention.get("Mode") not in MODES or retention.get("RetainUntilDate") is None:
        raise MalformedXML()
    epoch = _epoch(retention["RetainUntilDate"])
    if epoch <= now:
        raise InvalidArgument("The retain until date must be in the future!", ArgumentName="RetainUntilDate",
                              ArgumentValue=_pacific(epoch))
    return {MODE: retention["Mode"], RETAIN_UNTIL: epoch}


def retention_change_refusal(current: dict[str, Any], wanted: dict[str, Any], now: float,
                             bypass: bool) -> ServiceError | None:
    """A retention in force may be extended, in its own mode, by anyone. Any other change
    (removing it, shortening it, changing its mode) is refused: in COMPLIANCE always, in
    GOVERNANCE without the bypass header (user guide: governance-mode versions' "lock settings"
    are altered only with s3:BypassGovernanceRetention; ceph s3-tests, none marked fails_on_aws:
    test_object_lock_changing_mode_from_governance_with/without_bypass, ..._from_compliance)."""
    mode = retention_in_force(current, now)
    if mode is None:
        return None
    extends = bool(wanted) and wanted[MODE] == mode and wanted[RETAIN_UNTIL] >= float(current[RETAIN_UNTIL])
    if not extends and (mode == "COMPLIANCE" or not bypass):
        return protected()
    return None


def retention_output(headers: dict[str, Any]) -> dict[str, Any]:
    return {"Mode": headers[MODE], "RetainUntilDate": datetime.fromtimestamp(float(headers[RETAIN_UNTIL]), UTC)}


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


def _pacific(epoch: float) -> str:
    """S3 names a refused past date in US Pacific time, as `Tue Dec 31 16:00:00 PST 2019`
    (LocalStack's AWS-validated snapshot of PutObjectRetention), whatever the Region."""
    try:
        moment = datetime.fromtimestamp(epoch, ZoneInfo("America/Los_Angeles"))
    except (ZoneInfoNotFoundError, OverflowError, ValueError, OSError):
        # No time zone data on this machine, or a date at the calendar's edge (year 1 is year 0
        # in Pacific time, which datetime cannot hold: it was a 500): say it in UTC.
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch)
    return moment.strftime("%a %b %d %H:%M:%S %Z %Y")
