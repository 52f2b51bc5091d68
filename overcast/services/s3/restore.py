"""Archived storage classes and RestoreObject.

Objects in GLACIER (Flexible Retrieval) and DEEP_ARCHIVE are not readable until restored: GetObject,
CopyObject and UploadPartCopy answer InvalidObjectState (403), HeadObject answers as usual. RestoreObject makes a
temporary copy readable for the Days asked, until the midnight (UTC) after that many days, by the
server's clock; it is ready at once here (AWS takes minutes to hours by retrieval tier), so the
x-amz-restore header goes straight to ongoing-request="false". The state lives in the object's
stored headers as the Restore output member, so HeadObject and GetObject show it, and a new
write of the key (which has no such header) is unrestored again, as on AWS. GLACIER_IR is read at
once, as on AWS.
"""

from __future__ import annotations

from email.utils import formatdate, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from overcast.protocol.serializers.rest_common import STATUS_OVERRIDE
from overcast.server.context import RequestContext
from overcast.services.s3.errors import InvalidObjectState, MalformedXML
from overcast.services.s3.models import StoredObject

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store

ARCHIVED_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
RESTORE = "Restore"  # the stored header, named as the output member it becomes
DAY = 86400


def restore_expiry(obj: StoredObject) -> float | None:
    """When the object's restored copy goes (epoch seconds), or None if it has none."""
    value = obj.headers.get(RESTORE)
    if not value or 'expiry-date="' not in value:
        return None
    text = value.split('expiry-date="', 1)[1].split('"', 1)[0]
    return parsedate_to_datetime(text).timestamp()


def is_readable(obj: StoredObject, now: float) -> bool:
    if obj.storage_class not in ARCHIVED_CLASSES:
        return True
    expiry = restore_expiry(obj)
    return expiry is not None and now < expiry


def check_readable(obj: StoredObject, now: float) -> None:
    """GetObject of an archived object that has no restored copy now."""
    if not is_readable(obj, now):
        raise InvalidObjectState("The operation is not valid for the object's storage class",
                                 StorageClass=obj.storage_class)


def check_copy_source_readable(obj: StoredObject, now: float) -> None:
    if not is_readable(obj, now):
        raise InvalidObjectState("The source object of the COPY action is not in the active tier and is only "
                                 "stored in Amazon Glacier.")


def visible_restore(out: dict[str, Any], obj: StoredObject, now: float) -> None:
    """A restored copy that has gone is no longer announced (out has the Restore member)."""
    if not is_readable(obj, now):
        del out[RESTORE]


def restore_header(now: float, days: int) -> str:
    # The copy goes at the midnight UTC that ends the last day asked for.
    midnight = (int(now) // DAY + 1 + days) * DAY
    return f'ongoing-request="false", expiry-date="{formatdate(midnight, usegmt=True)}"'


class RestoreOperations:
    """Mixed into the provider beside ObjectOperations (_find, _now) and ObjectAttributeOperations
    (_update_headers)."""

    store: S3Store

    async def restore_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        obj = self._find(bucket, key, False, params.get("VersionId"))  # type: ignore[attr-defined]
        if obj.storage_class not in ARCHIVED_CLASSES:
            raise InvalidObjectState("Restore is not allowed for the object's current storage class")
        days = (params.get("RestoreRequest") or {}).get("Days")
        if days is None or int(days) < 1:
            raise MalformedXML()
        now = self._now()  # type: ignore[attr-defined]
        already = is_readable(obj, now)
        await self._update_headers(bucket, key, RESTORE, restore_header(now, int(days)),  # type: ignore[attr-defined]
                                   params.get("VersionId"), method="POST")
        # 202 Accepted for a new restore; 200 when a restored copy is there (its expiry moves).
        return {STATUS_OVERRIDE: 200 if already else 202}
