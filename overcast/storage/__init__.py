"""Durable state: one SQLite database and one blob directory under the data directory."""

from __future__ import annotations

import os

from overcast.storage.blobs import FileBlobStore
from overcast.storage.interface import BlobInfo, BlobStore, Database, Migration, Tx
from overcast.storage.sqlite import DatabaseClosedError, SchemaTooNewError, SqliteDatabase

__all__ = [
    "BlobInfo", "BlobStore", "Database", "DatabaseClosedError", "FileBlobStore", "Migration",
    "SchemaTooNewError", "SqliteDatabase", "Tx", "open_storage",
]

DATABASE_FILE = "overcast.db"
BLOB_DIR = "blobs"


def open_storage(data_dir: str, fsync: bool = True) -> tuple[Database, BlobStore]:
    """Open (creating if needed) the database at data_dir/overcast.db and blobs at data_dir/blobs.

    Orphan blobs are not swept here: only the services know which blobs their rows reference,
    so sweep once they have migrated, before serving."""
    os.makedirs(data_dir, exist_ok=True)
    database = SqliteDatabase(os.path.join(data_dir, DATABASE_FILE), fsync=fsync)
    blobs = FileBlobStore(os.path.join(data_dir, BLOB_DIR), fsync=fsync)
    return database, blobs
