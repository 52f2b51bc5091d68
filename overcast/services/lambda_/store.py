"""How Lambda's records persist: one JSON document per function, per layer version, per queued
asynchronous invocation. Everything is also kept in memory (the store is the only writer)."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.lambda_.models import FunctionRecord, FunctionUrl, LayerVersion
from overcast.storage.interface import Database, Migration

MIGRATIONS = [
    Migration(1, [
        "CREATE TABLE lambda_functions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
        "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
        "CREATE TABLE lambda_layers (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
        "version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, region, name, version))",
        "CREATE TABLE lambda_async_queue (id TEXT PRIMARY KEY, due REAL NOT NULL, doc TEXT NOT NULL)",
    ]),
    # Function URLs: one row per URL, keyed by its id (the host's first label), which is how the
    # data plane finds it; a function or alias that goes takes its rows with it.
    Migration(2, [
        "CREATE TABLE lambda_function_urls (url_id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
        "name TEXT NOT NULL, qualifier TEXT NOT NULL, doc TEXT NOT NULL)",
        "CREATE UNIQUE INDEX lambda_function_urls_by_target ON lambda_function_urls (account, region, name, qualifier)",
    ]),
    # Code signing configurations: account-level resources that functions refer to by ARN.
    Migration(3, [
        "CREATE TABLE lambda_code_signing_configs (arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
        "doc TEXT NOT NULL)",
    ]),
]


class LambdaStore:
    def __init__(self, db: Database):
        self.db = db
        self.functions: dict[tuple[str, str, str], FunctionRecord] = {}
        self.layers: dict[tuple[str, str, str], dict[int, LayerVersion]] = {}
        # Deleted layer versions: no longer listed or attachable, but kept (a row whose doc says
        # "deleted") for the functions that already use them, and so that their numbers are
        # never given out again.
        self.deleted_layers: dict[tuple[str, str, str], dict[int, LayerVersion]] = {}
        # Function URLs by id (what a request's host names) and by (account, region, name, qualifier).
        self.urls: dict[str, FunctionUrl] = {}
        self.urls_by_target: dict[tuple[str, str, str, str], FunctionUrl] = {}
        # Code signing configurations by ARN: CreateCodeSigningConfig's answer, plus "Tags" and
        # "created" (the order they are listed in).
        self.code_signing: dict[str, dict[str, Any]] = {}

    def load(self) -> None:
        self.db.migrate("lambda", MIGRATIONS)
        for (doc,) in self.db.fetchall("SELECT doc FROM lambda_functions"):
            record = FunctionRecord.from_doc(json.loads(doc))
            self.functions[(record.account, record.region, record.name)] = record
        for account, region, name, version, doc in self.db.fetchall(
                "SELECT account, region, name, version, doc FROM lambda_layers"):
            layer = LayerVersion(account, region, name, version, json.loads(doc))
            kept = self.deleted_layers if layer.doc.get("deleted") else self.layers
            kept.setdefault((account, region, name), {})[version] = layer
        for url_id, account, region, name, qualifier, doc in self.db.fetchall(
                "SELECT url_id, account, region, name, qualifier, doc FROM lambda_function_urls"):
            self._remember_url(FunctionUrl(url_id, account, region, name, qualifier, json.loads(doc)))
        for arn, doc in self.db.fetchall("SELECT arn, doc FROM lambda_code_signing_configs"):
            self.code_signing[arn] = json.loads(doc)

    # -- functions ----------------------------------------------------------------------------

    def get(self, account: str, region: str, name: str) -> FunctionRecord | None:
        return self.functions.get((account, region, name))

    def functions_in(self, account: str, region: str) -> list[FunctionRecord]:
        return sorted((r for (a, g, _), r in self.functions.items() if a == account and g == region),
                      key=lambda r: r.name)

    async def put(self, record: FunctionRecord) -> None:
        doc = json.dumps(record.to_doc())
        await self.db.write(lambda tx: tx.execute(
            "INSERT INTO lambda_functions (account, region, name, doc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc",
            (record.account, record.region, record.name, doc)))
        self.functions[(record.account, record.region, record.name)] = record

    async def put_dropping_urls(self, record: FunctionRecord, qualifier: str) -> None:
        """Store the function and drop the URL of one of its qualifiers (an alias that went), in
        one transaction."""
        doc = json.dumps(record.to_doc())
        key = (record.account, record.region, record.name)

        def write(tx: Any) -> None:
            tx.execute("INSERT INTO lambda_functions (account, region, name, doc) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc", (*key, doc))
            tx.execute("DELETE FROM lambda_function_urls WHERE account = ? AND region = ? AND name = ? "
                       "AND qualifier = ?", (*key, qualifier))

        await self.db.write(write)
        self.functions[key] = record
        self._forget_url(self.urls_by_target.get((*key, qualifier)))

    async def delete(self, record: FunctionRecord) -> None:
        key = (record.account, record.region, record.name)

        def write(tx: Any) -> None:
            tx.execute("DELETE FROM lambda_functions WHERE account = ? AND region = ? AND name = ?", key)
            tx.execute("DELETE FROM lambda_function_urls WHERE account = ? AND region = ? AND name = ?", key)

        await self.db.write(write)
        self.functions.pop(key, None)
        for url in self.urls_of(*key):
            self._forget_url(url)

    # -- function URLs ------------------------------------------------------------------------

    def urls_of(self, account: str, region: str, name: str) -> list[FunctionUrl]:
        return [url for url in self.urls.values()
                if (url.account, url.region, url.name) == (account, region, name)]

    async def put_url(self, url: FunctionUrl) -> None:
        doc = json.dumps(url.doc)
        await self.db.write(lambda tx: tx.execute(
            "INSERT INTO lambda_function_urls (url_id, account, region, name, qualifier, doc) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url_id) DO UPDATE SET doc = excluded.doc",
            (url.url_id, url.account, url.region, url.name, url.qualifier, doc)))
        self._remember_url(url)

    async def add_url(self, url: FunctionUrl) -> None:
        """Store a new URL, holding its target from the start: a concurrent create for the same
        function or alias finds it taken instead of failing on the unique index."""
        self._remember_url(url)
        try:
            await self.put_url(url)
        except BaseException:
            self._forget_url(url)
            raise

    async def delete_url(self, url: FunctionUrl) -> None:
        await self.db.write(lambda tx: tx.execute("DELETE FROM lambda_function_urls WHERE url_id = ?",
                                                  (url.url_id,)))
        self._forget_url(url)

    def _remember_url(self, url: FunctionUrl) -> None:
        self.urls[url.url_id] = url
        self.urls_by_target[(url.account, url.region, url.name, url.qualifier)] = url

    def _forget_url(self, url: FunctionUrl | None) -> None:
        if url is not None:
            self.urls.pop(url.url_id, None)
            self.urls_by_target.pop((url.account, url.region, url.name, url.qualifier), None)

    def blob_referenced(self, blob_id: str) -> bool:
        """Whether a function, a version or a layer version still needs this code bundle: a
        deleted layer version only while a function uses it."""
        for record in self.functions.values():
            if record.code.blob_id == blob_id:
                return True
            if any(v["code"]["blob_id"] == blob_id for v in record.versions.values()):
                return True
        if any(layer.doc.get("code", {}).get("blob_id") == blob_id
               for versions in self.layers.values() for layer in versions.values()):
            return True
        deleted = [layer for versions in self.deleted_layers.values() for layer in versions.values()
                   if layer.doc.get("code", {}).get("blob_id") == blob_id]
        if not deleted:
            return False
        used = self.layer_versions_in_use()
        return any(f"{layer.arn}:{layer.version}" in used for layer in deleted)

    def layer_versions_in_use(self) -> set[str]:
        """The layer version ARNs that functions use, in $LATEST or a published version."""
        used: set[str] = set()
        for record in self.functions.values():
            for config in (record.config, *(version["config"] for version in record.versions.values())):
                used.update(entry["Arn"] for entry in config.get("Layers") or ())
        return used

    def deleted_layer_blobs(self) -> list[str]:
        return [layer.doc["code"]["blob_id"] for versions in self.deleted_layers.values()
                for layer in versions.values() if layer.doc.get("code", {}).get("blob_id")]

    def next_layer_version(self, account: str, region: str, name: str) -> int:
        """Layer version numbers only grow: a deleted version's number is not given out again."""
        key = (account, region, name)
        return max(max(self.layers.get(key, {}), default=0), max(self.deleted_layers.get(key, {}), default=0)) + 1

    def layer_in_use(self, account: str, region: str, name: str, version: int) -> LayerVersion | None:
        """A layer version as functions see it: deleted ones included."""
        key = (account, region, name)
        return self.layers.get(key, {}).get(version) or self.deleted_layers.get(key, {}).get(version)

    # -- code signing configurations ----------------------------------------------------------

    async def put_code_signing(self, arn: str, account: str, region: str, doc: dict[str, Any]) -> None:
        text = json.dumps(doc)
        await self.db.write(lambda tx: tx.execute(
            "INSERT INTO lambda_code_signing_configs (arn, account, region, doc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc", (arn, account, region, text)))
        self.code_signing[arn] = doc

    async def delete_code_signing(self, arn: str) -> None:
        await self.db.write(lambda tx: tx.execute("DELETE FROM lambda_code_signing_configs WHERE arn = ?", (arn,)))
        self.code_signing.pop(arn, None)

    # -- layers -------------------------------------------------------------------------------

    async def put_layer(self, layer: LayerVersion) -> None:
        doc = json.dumps(layer.doc)
        await self.db.write(lambda tx: tx.execute(
            "INSERT INTO lambda_layers (account, region, name, version, doc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, name, version) DO UPDATE SET doc = excluded.doc",
            (layer.account, layer.region, layer.name, layer.version, doc)))
        self.layers.setdefault((layer.account, layer.region, layer.name), {})[layer.version] = layer

    async def delete_layer(self, layer: LayerVersion) -> None:
        deleted = LayerVersion(layer.account, layer.region, layer.name, layer.version,
                               {**layer.doc, "deleted": True})
        doc = json.dumps(deleted.doc)
        await self.db.write(lambda tx: tx.execute(
            "UPDATE lambda_layers SET doc = ? WHERE account = ? AND region = ? AND name = ? AND version = ?",
            (doc, layer.account, layer.region, layer.name, layer.version)))
        key = (layer.account, layer.region, layer.name)
        self.layers.get(key, {}).pop(layer.version, None)
        self.deleted_layers.setdefault(key, {})[layer.version] = deleted

    # -- asynchronous invocations -------------------------------------------------------------

    async def enqueue(self, event_id: str, due: float, doc: dict[str, Any]) -> None:
        text = json.dumps(doc)
        await self.db.write(lambda tx: tx.execute(
            "INSERT INTO lambda_async_queue (id, due, doc) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET due = excluded.due, doc = excluded.doc", (event_id, due, text)))

    async def dequeue(self, event_id: str) -> None:
        await self.db.write(lambda tx: tx.execute("DELETE FROM lambda_async_queue WHERE id = ?", (event_id,)))

    def queued(self) -> list[tuple[str, float, dict[str, Any]]]:
        return [(i, due, json.loads(doc)) for i, due, doc in
                self.db.fetchall("SELECT id, due, doc FROM lambda_async_queue ORDER BY due")]
