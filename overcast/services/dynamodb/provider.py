"""The DynamoDB provider: one method per operation, grouped by concern in the mixins."""

from __future__ import annotations

import asyncio

from overcast.server.context import RequestContext
from overcast.services.base import Provider as BaseProvider
from overcast.services.dynamodb import codec, store
from overcast.services.dynamodb.backups import BackupsMixin
from overcast.services.dynamodb.batch import BatchMixin
from overcast.services.dynamodb.errors import ResourceNotFoundException
from overcast.services.dynamodb.exports import ExportsMixin
from overcast.services.dynamodb.features import FeaturesMixin
from overcast.services.dynamodb.global_tables_2017 import GlobalTables2017Mixin
from overcast.services.dynamodb.imports import ImportsMixin
from overcast.services.dynamodb.itemcache import ABSENT, CacheClearingDatabase, ItemCache
from overcast.services.dynamodb.items import ItemsMixin
from overcast.services.dynamodb.keys import scan_hash
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.partiql.executor import PartiqlMixin
from overcast.services.dynamodb.query import QueryMixin
from overcast.services.dynamodb.replicas import ReplicasMixin
from overcast.services.dynamodb.resource_policies import ResourcePoliciesMixin
from overcast.services.dynamodb.tables import TablesMixin, check_table_name
from overcast.services.dynamodb.tags import TagsMixin
from overcast.services.dynamodb.transactions import TransactionsMixin
from overcast.services.dynamodb.transfers import TransfersMixin
from overcast.services.dynamodb.ttl import TtlMixin
from overcast.services.dynamodb.vectorsearch import SearchVectorsMixin


class Provider(TablesMixin, ReplicasMixin, TagsMixin, ItemsMixin, QueryMixin, BatchMixin, TransactionsMixin, PartiqlMixin, TtlMixin,
               BackupsMixin, ExportsMixin, ImportsMixin, TransfersMixin, ResourcePoliciesMixin, FeaturesMixin,
               SearchVectorsMixin, GlobalTables2017Mixin, BaseProvider):
    service = "dynamodb"

    def start(self) -> None:
        self._items = ItemCache(self.db)
        self.db = CacheClearingDatabase(self.db, self._items)  # type: ignore[assignment]
        self.db.migrate("dynamodb", store.MIGRATIONS)
        # Table metadata is read on every request, so it lives in memory; writes keep it in step.
        self._tables: dict[tuple[str, str, str], Table] = {}
        self._group_locks: dict[tuple[str, str], asyncio.Lock] = {}  # replicas.py
        for row in self.db.fetchall(f"SELECT {store.TABLE_COLUMNS} FROM dynamodb_tables"):
            table = store.table_from_row(row)
            self._tables[(table.account, table.region, table.name)] = table
        self._link_groups()
        self._start_ttl()
        self._start_transfers()

    def _now(self) -> float:
        return self.clock.time()

    def _table(self, ctx: RequestContext, name: str | None, describe_style: bool = False,
               member: str = "tableName") -> Table:
        """`member`: where a malformed name sits in the request, as its refusal names it."""
        # A stored table's name was checked when it was created; only a miss needs checking.
        if type(name) is str:
            table = self._tables.get((ctx.account_id, ctx.region, name))
            if table is not None:
                return table
        name = check_table_name(name, member)
        table = self._tables.get((ctx.account_id, ctx.region, name))
        if table is None:
            if describe_style:
                raise ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")
            raise ResourceNotFoundException()
        return table

    def _read_item(self, table: Table, key: dict) -> dict | None:
        pk, sk = store.key_bytes(table, key)
        identity = (table.id, pk, sk)
        text = self._items.get(identity)
        if text is None:
            generation = self._items.generation
            row = self.db.fetchone(store.ITEM_BY_KEY, (table.id, scan_hash(pk), pk, sk))
            text = row[0] if row else ABSENT
            self._items.put(identity, text, generation)
        return codec.loads(text) if text else None
