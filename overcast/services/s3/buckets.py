"""Bucket operations: CreateBucket, HeadBucket, ListBuckets, DeleteBucket, GetBucketLocation.

Bucket names are global across accounts, as on AWS: a name another account holds is
BucketAlreadyExists; ListBuckets shows only the caller's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.server.context import RequestContext
from overcast.services.s3 import object_lock
from overcast.services.s3.acls import new_bucket_config
from overcast.services.s3.errors import (
    BucketAlreadyExists,
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    InvalidArgument,
    NoSuchBucket,
)
from overcast.services.s3.listing import decode_token, encode_token, owner_of
from overcast.services.s3.models import Bucket, to_datetime
from overcast.services.s3.validation import DEFAULT_REGION, bucket_region, validate_bucket_name

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import Database, Tx

MAX_BUCKETS_PAGE = 10000


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


class BucketOperations:
    store: S3Store
    db: Database

    async def create_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        validate_bucket_name(name)
        configuration = params.get("CreateBucketConfiguration") or {}
        region = bucket_region(ctx.region, configuration.get("LocationConstraint"))
        # Block Public Access on and ACLs disabled unless asked otherwise, as on AWS since April
        # 2023; refused combinations are refused before anything is written.
        config = new_bucket_config(params, ctx.account_id)
        if params.get("ObjectLockEnabledForBucket"):
            # x-amz-bucket-object-lock-enabled: Object Lock on, and versioning with it (which
            # Object Lock needs and never lets go of).
            config["Versioning"] = "Enabled"
            config[object_lock.SECTION] = {"ObjectLockEnabled": "Enabled"}
        store = self.store
        record = Bucket(name=name, account_id=ctx.account_id, region=region,
                        created=round(self.clock.time(), 3))

        def write(tx: Tx) -> bool:
            existing = store.tx_get_bucket(tx, name)
            if existing is None:
                store.tx_insert_bucket(tx, record, config)
                return True
            if existing.account_id != ctx.account_id:
                raise BucketAlreadyExists(name)
            # us-east-1 keeps its legacy answer for re-creating your own bucket: 200 OK.
            if ctx.region == DEFAULT_REGION and existing.region == DEFAULT_REGION:
                return False
            raise BucketAlreadyOwnedByYou(name)

        if await self.db.write(write):
            self._buckets_changed()
        if region == DEFAULT_REGION:
            location = f"/{name}"
        else:
            location = f"http://{name}.s3.{region}.amazonaws.com/"
        return {"Location": location, "BucketArn": bucket_arn(name)}

    def head_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        return {"BucketRegion": bucket.region, "AccessPointAlias": False, "BucketArn": bucket_arn(bucket.name)}

    def get_bucket_location(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        # us-east-1 answers an empty LocationConstraint, for historical reasons.
        return {} if bucket.region == DEFAULT_REGION else {"LocationConstraint": bucket.region}

    def list_buckets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("Prefix") or ""
        limit = params.get("MaxBuckets")
        if limit is not None and not 1 <= limit <= MAX_BUCKETS_PAGE:
            raise InvalidArgument("Argument max-buckets must be an integer between 1 and 10000",
                                  ArgumentName="max-buckets", ArgumentValue=str(limit))
        token = params.get("ContinuationToken")
        after = decode_token(token) if token else ""
        page_size = limit or MAX_BUCKETS_PAGE
        region_filter = params.get("BucketRegion")
        buckets = self.store.list_buckets(ctx.account_id, prefix, after, page_size + 1)
        more = len(buckets) > page_size
        buckets = buckets[:page_size]
        out: dict[str, Any] = {
            "Buckets": [
                {"Name": b.name, "CreationDate": to_datetime(b.created), "BucketRegion": b.region,
                 "BucketArn": bucket_arn(b.name)}
                for b in buckets
                if region_filter is None or b.region == region_filter
            ],
            "Owner": owner_of(ctx.account_id),
        }
        if prefix:
            out["Prefix"] = prefix
        if more and limit is not None:
            out["ContinuationToken"] = encode_token(buckets[-1].name)
        return out

    async def delete_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        store = self.store

        def write(tx: Tx) -> None:
            if store.tx_get_bucket(tx, name) is None:
                raise NoSuchBucket(name)
            if not store.tx_bucket_is_empty(tx, name):
                raise BucketNotEmpty(name)
            store.tx_delete_bucket(tx, name)

        await self.db.write(write)
        self._buckets_changed()
        return {}

    def _buckets_changed(self) -> None:
        """Hook for the provider (health counters)."""
