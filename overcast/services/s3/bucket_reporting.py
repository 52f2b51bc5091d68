"""Bucket configurations kept by id, up to 1,000 of each kind per bucket: request metrics,
inventory, storage class analysis and Intelligent-Tiering archive tiers (what Terraform's
aws_s3_bucket_metric, _inventory, _analytics_configuration and
_intelligent_tiering_configuration write).

They are stored and answered as S3 answers them. Daily CSV inventories of current versions are
delivered by inventory_reports.py; nothing else is measured, reported, exported or archived. Each kind is one section of the bucket's configuration (id -> document), written in
one transaction that reads the section afresh, so concurrent writes of different ids keep each
other, and a bucket's deletion takes them all with it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.protocol.serializers.rest_common import STATUS_OVERRIDE
from overcast.server.context import RequestContext
from overcast.services.s3.errors import NoSuchBucket, NoSuchConfiguration, TooManyConfigurations
from overcast.services.s3.listing import decode_token, encode_token
from overcast.services.s3.reporting_documents import (
    check_analytics,
    check_intelligent_tiering,
    check_inventory,
    check_metrics,
)
from overcast.services.s3.store import decode_json

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import Database, Tx

# "You can have up to 1,000 ... configurations per bucket" (each Put* operation's reference).
MAX_PER_BUCKET = 1000
# A listing answers 100 at a time (LocalStack's AWS-validated paginated metrics listing: 102
# configurations, 100 on the first page and 2 on the second).
PAGE_SIZE = 100


@dataclass(frozen=True)
class ConfigurationKind:
    section: str  # the bucket configuration's section holding id -> document
    member: str  # the request's and GetX's member holding one document
    list_member: str  # ListX's member holding the page
    check: Callable[[str, dict[str, Any]], None]


METRICS = ConfigurationKind("MetricsConfigurations", "MetricsConfiguration", "MetricsConfigurationList",
                            check_metrics)
INVENTORY = ConfigurationKind("InventoryConfigurations", "InventoryConfiguration", "InventoryConfigurationList",
                              check_inventory)
ANALYTICS = ConfigurationKind("AnalyticsConfigurations", "AnalyticsConfiguration", "AnalyticsConfigurationList",
                              check_analytics)
INTELLIGENT_TIERING = ConfigurationKind("IntelligentTieringConfigurations", "IntelligentTieringConfiguration",
                                        "IntelligentTieringConfigurationList", check_intelligent_tiering)


class BucketReportingOperations:
    store: S3Store
    db: Database

    # ---- the four kinds alike ----------------------------------------------------------------

    async def _put_configuration(self, kind: ConfigurationKind, params: dict[str, Any]) -> dict[str, Any]:
        bucket, config_id = params["Bucket"], params["Id"]
        document = params.get(kind.member) or {}
        self.store.require_bucket(bucket)  # a missing bucket is named before the document
        kind.check(config_id, document)
        store = self.store

        def write(tx: Tx) -> None:
            held = dict(decode_json(store.tx_require_bucket(tx, bucket)).get(kind.section) or {})
            if config_id not in held and len(held) >= MAX_PER_BUCKET:
                raise TooManyConfigurations()
            held[config_id] = document  # a put replaces the whole document of that id
            store.tx_set_config(tx, bucket, kind.section, held)

        await self.db.write(write)
        # 204, as S3 answers a put (LocalStack's AWS-validated metrics snapshots).
        return {STATUS_OVERRIDE: 204}

    def _held(self, kind: ConfigurationKind, bucket: str) -> dict[str, Any]:
        config = self.store.get_config(bucket)
        if config is None:
            raise NoSuchBucket(bucket)
        held: dict[str, Any] = config.get(kind.section) or {}
        return held

    def _get_configuration(self, kind: ConfigurationKind, params: dict[str, Any]) -> dict[str, Any]:
        document = self._held(kind, params["Bucket"]).get(params["Id"])
        if document is None:
            raise NoSuchConfiguration()
        # A copy: the store's configuration is shared by every reader.
        return {kind.member: copy.deepcopy(document)}

    async def _delete_configuration(self, kind: ConfigurationKind, params: dict[str, Any]) -> dict[str, Any]:
        bucket, config_id = params["Bucket"], params["Id"]
        store = self.store

        def write(tx: Tx) -> None:
            held = dict(decode_json(store.tx_require_bucket(tx, bucket)).get(kind.section) or {})
            # Unlike most bucket sub-resources, deleting one that is not there is an error.
            if held.pop(config_id, None) is None:
                raise NoSuchConfiguration()
            store.tx_set_config(tx, bucket, kind.section, held or None)

        await self.db.write(write)
        return {}

    def _list_configurations(self, kind: ConfigurationKind, params: dict[str, Any]) -> dict[str, Any]:
        held = self._held(kind, params["Bucket"])
        token = params.get("ContinuationToken")
        after = decode_token(token) if token is not None else None
        ids = sorted(config_id for config_id in held if after is None or config_id > after)
        page = ids[:PAGE_SIZE]
        out: dict[str, Any] = {"IsTruncated": len(ids) > PAGE_SIZE}
        if page:
            out[kind.list_member] = [copy.deepcopy(held[config_id]) for config_id in page]
        if token is not None:
            out["ContinuationToken"] = token
        if len(ids) > PAGE_SIZE:
            out["NextContinuationToken"] = encode_token(page[-1])
        return out

    # ---- request metrics ---------------------------------------------------------------------

    async def put_bucket_metrics_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._put_configuration(METRICS, params)

    def get_bucket_metrics_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_configuration(METRICS, params)

    async def delete_bucket_metrics_configuration(self, ctx: RequestContext,
                                                  params: dict[str, Any]) -> dict[str, Any]:
        return await self._delete_configuration(METRICS, params)

    def list_bucket_metrics_configurations(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_configurations(METRICS, params)

    # ---- inventory (reports: inventory_reports.py) --------------------------------------------

    async def put_bucket_inventory_configuration(self, ctx: RequestContext,
                                                 params: dict[str, Any]) -> dict[str, Any]:
        return await self._put_configuration(INVENTORY, params)

    def get_bucket_inventory_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_configuration(INVENTORY, params)

    async def delete_bucket_inventory_configuration(self, ctx: RequestContext,
                                                    params: dict[str, Any]) -> dict[str, Any]:
        return await self._delete_configuration(INVENTORY, params)

    def list_bucket_inventory_configurations(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_configurations(INVENTORY, params)

    # ---- storage class analysis --------------------------------------------------------------

    async def put_bucket_analytics_configuration(self, ctx: RequestContext,
                                                 params: dict[str, Any]) -> dict[str, Any]:
        return await self._put_configuration(ANALYTICS, params)

    def get_bucket_analytics_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_configuration(ANALYTICS, params)

    async def delete_bucket_analytics_configuration(self, ctx: RequestContext,
                                                    params: dict[str, Any]) -> dict[str, Any]:
        return await self._delete_configuration(ANALYTICS, params)

    def list_bucket_analytics_configurations(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._list_configurations(ANALYTICS, params)

    # ---- Intelligent-Tiering archive tiers ---------------------------------------------------

    async def put_bucket_intelligent_tiering_configuration(self, ctx: RequestContext,
                                                           params: dict[str, Any]) -> dict[str, Any]:
        return await self._put_configuration(INTELLIGENT_TIERING, params)

    def get_bucket_intelligent_tiering_configuration(self, ctx: RequestContext,
                                                     params: dict[str, Any]) -> dict[str, Any]:
        return self._get_configuration(INTELLIGENT_TIERING, params)

    async def delete_bucket_intelligent_tiering_configuration(self, ctx: RequestContext,
                                                              params: dict[str, Any]) -> dict[str, Any]:
        return await self._delete_configuration(INTELLIGENT_TIERING, params)

    def list_bucket_intelligent_tiering_configurations(self, ctx: RequestContext,
                                                       params: dict[str, Any]) -> dict[str, Any]:
        return self._list_configurations(INTELLIGENT_TIERING, params)
