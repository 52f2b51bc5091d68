"""Object Lock's operations: the bucket's configuration (Put/GetObjectLockConfiguration) and a
version's retention and legal hold (Put/GetObjectRetention, Put/GetObjectLegalHold). The rules
they apply are in object_lock.py; the locks take effect in objects.py (writes, deletes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overcast.server.context import RequestContext
from overcast.services.s3 import object_lock, versions
from overcast.services.s3.bucket_config import not_found
from overcast.services.s3.errors import InvalidBucketState, MalformedXML, MissingRequestBodyError
from overcast.services.s3.store import decode_json

if TYPE_CHECKING:
    from overcast.services.s3.models import StoredObject
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import Database, Tx


class ObjectLockOperations:
    store: S3Store
    db: Database
    clock: Any

    if TYPE_CHECKING:  # ObjectAttributeOperations' and ObjectOperations' (the provider has all three)
        async def _update_headers(self, bucket: str, key: str, name: str, value: Any,
                                  version_id: str | None = None, method: str = "PUT",
                                  current_marker_not_allowed: bool = False,
                                  change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]: ...

        def _find(self, bucket: str, key: str, with_body: bool, version_id: str | None = None) -> StoredObject: ...

    # ---- the bucket's configuration ----------------------------------------------------------

    async def put_object_lock_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = params["Bucket"]
        self.store.require_bucket(bucket)
        if "ObjectLockConfiguration" not in params:
            # No body at all (moto's aws_verified test_put_object_lock_misconfiguration).
            raise MissingRequestBodyError("Request Body is empty")
        document = params["ObjectLockConfiguration"]
        # x-amz-bucket-object-lock-token (Token) was how AWS Support let an existing bucket take
        # Object Lock; since November 2023 any bucket with versioning Enabled may, so it is not
        # needed and is ignored.
        store = self.store

        def write(tx: Tx) -> None:
            config = decode_json(store.tx_require_bucket(tx, bucket))
            # Versioning is judged before the document, as S3 answers (LocalStack's AWS-validated
            # test_put_object_lock_configuration_on_existing_bucket).
            if config.get("Versioning") != versions.ENABLED:
                raise InvalidBucketState("Versioning must be 'Enabled' on the bucket to apply a Object Lock "
                                         "configuration")
            store.tx_set_config(tx, bucket, object_lock.SECTION, object_lock.validate_configuration(document))

        await self.db.write(write)
        return {}

    def get_object_lock_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = params["Bucket"]
        config = self.store.get_config(bucket)
        if config is None:
            self.store.require_bucket(bucket)
        if not object_lock.lock_enabled(config):
            raise not_found(object_lock.SECTION, bucket)
        return {"ObjectLockConfiguration": dict((config or {})[object_lock.SECTION])}

    def _require_lock(self, bucket: str) -> None:
        config = self.store.get_config(bucket)
        if config is None:
            self.store.require_bucket(bucket)
        if not object_lock.lock_enabled(config):
            raise object_lock.missing_lock_configuration()

    # ---- a version's retention -----------------------------------------------------------------

    async def put_object_retention(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        if "Retention" not in params:  # no body: refused before the bucket's lock is looked at
            raise MalformedXML()
        self._require_lock(bucket)
        now = self.clock.time()
        wanted = object_lock.new_retention(params.get("Retention"), now)
        bypass = bool(params.get("BypassGovernanceRetention"))

        def change(headers: dict[str, Any]) -> None:
            refusal = object_lock.retention_change_refusal(headers, wanted, now, bypass)
            if refusal is not None:
                raise refusal
            headers.pop(object_lock.MODE, None)
            headers.pop(object_lock.RETAIN_UNTIL, None)
            headers.update(wanted)

        await self._update_headers(bucket, key, object_lock.MODE, None, params.get("VersionId"), change=change)
        return {}

    def get_object_retention(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        obj = self._locked_version(params)
        if object_lock.MODE not in obj.headers:
            raise object_lock.no_lock_on_version()
        return {"Retention": object_lock.retention_output(obj.headers)}

    # ---- a version's legal hold ----------------------------------------------------------------

    async def put_object_legal_hold(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, key = params["Bucket"], params["Key"]
        if "LegalHold" not in params:  # no body: refused before the bucket's lock is looked at
            raise MalformedXML()
        self._require_lock(bucket)
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in object_lock.HOLD_STATUSES:
            raise MalformedXML()
        await self._update_headers(bucket, key, object_lock.LEGAL_HOLD, status, params.get("VersionId"))
        return {}

    def get_object_legal_hold(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        obj = self._locked_version(params)
        status = obj.headers.get(object_lock.LEGAL_HOLD)
        if status is None:  # never placed (once placed, OFF is answered)
            raise object_lock.no_lock_on_version()
        return {"LegalHold": {"Status": status}}

    def _locked_version(self, params: dict[str, Any]) -> StoredObject:
        self._require_lock(params["Bucket"])
        return self._find(params["Bucket"], params["Key"], with_body=False, version_id=params.get("VersionId"))
