"""How API Gateway's configuration persists: one JSON document per REST API (its resources,
methods, models, deployments, stages, ... nested inside), and one per API key and usage plan.

Everything is also held in memory; the provider is the only writer. A whole API document is
rewritten on each change: APIs are small, and one row per API keeps every change atomic.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from overcast.services.apigateway.usage_meter import MIGRATION as USAGE_MIGRATION
from overcast.storage.interface import Database, Migration

MIGRATIONS = [
    Migration(1, [
        "CREATE TABLE apigateway_docs (account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, "
        "id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, region, kind, id))",
    ]),
    USAGE_MIGRATION,
]

KINDS = ("restapi", "apikey", "usageplan", "account", "domain", "clientcertificate", "vpclink")
_ALPHABET = string.ascii_lowercase + string.digits

Key = tuple[str, str, str]  # (account, region, id)


def new_id(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class ApiGatewayStore:
    def __init__(self, db: Database):
        self.db = db
        self.docs: dict[str, dict[Key, dict[str, Any]]] = {kind: {} for kind in KINDS}
        # Invoke URLs name an API by id alone: id -> (account, region).
        self.api_index: dict[str, tuple[str, str]] = {}

    def load(self) -> None:
        self.db.migrate("apigateway", MIGRATIONS)
        for account, region, kind, doc_id, doc in self.db.fetchall(
                "SELECT account, region, kind, id, doc FROM apigateway_docs"):
            self.docs.setdefault(kind, {})[(account, region, doc_id)] = json.loads(doc)
            if kind == "restapi":
                self.api_index[doc_id] = (account, region)

    def get(self, kind: str, account: str, region: str, doc_id: str) -> dict[str, Any] | None:
        return self.docs[kind].get((account, region, doc_id))

    def list(self, kind: str, account: str, region: str) -> list[dict[str, Any]]:
        return [doc for (a, r, _), doc in self.docs[kind].items() if a == account and r == region]

    async def put(self, kind: str, account: str, region: str, doc_id: str, doc: dict[str, Any]) -> None:
        text = json.dumps(doc)
        await self.db.write(lambda tx: tx.execute(
            "INSERT INTO apigateway_docs (account, region, kind, id, doc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, kind, id) DO UPDATE SET doc = excluded.doc",
            (account, region, kind, doc_id, text)))
        self.docs[kind][(account, region, doc_id)] = doc
        if kind == "restapi":
            self.api_index[doc_id] = (account, region)

    async def delete(self, kind: str, account: str, region: str, doc_id: str) -> None:
        await self.db.write(lambda tx: tx.execute(
            "DELETE FROM apigateway_docs WHERE account = ? AND region = ? AND kind = ? AND id = ?",
            (account, region, kind, doc_id)))
        self.docs[kind].pop((account, region, doc_id), None)
        if kind == "restapi":
            self.api_index.pop(doc_id, None)

    def find_domain(self, host: str) -> dict[str, Any] | None:
        """A custom domain name by the Host it is called with (any account)."""
        for (_, _, name), domain in self.docs["domain"].items():
            if name == host:
                return domain
        return None

    def find_api(self, api_id: str) -> tuple[str, str, dict[str, Any]] | None:
        """(account, region, doc) of an API by id alone, as invoke URLs name it."""
        where = self.api_index.get(api_id)
        if where is None:
            return None
        doc = self.docs["restapi"].get((where[0], where[1], api_id))
        return None if doc is None else (where[0], where[1], doc)
