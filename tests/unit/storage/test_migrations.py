"""Forward-only schema migrations per namespace."""

from __future__ import annotations

import sqlite3

import pytest

from overcast.storage import Migration, SchemaTooNewError, SqliteDatabase

V1 = Migration(1, ["CREATE TABLE buckets (name TEXT PRIMARY KEY)"])
V2 = Migration(2, [
    "ALTER TABLE buckets ADD COLUMN region TEXT NOT NULL DEFAULT 'us-east-1'",
    "CREATE INDEX buckets_region ON buckets (region)",
])
V3 = Migration(3, ["CREATE TABLE objects (bucket TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (bucket, key))"])


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "m.db")


def open_db(path: str) -> SqliteDatabase:
    return SqliteDatabase(path, fsync=False)


def tables(db: SqliteDatabase) -> set[str]:
    return {row[0] for row in db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_fresh_database_gets_every_version(db_path):
    db = open_db(db_path)
    try:
        db.migrate("s3", [V3, V1, V2])  # order of the list does not matter
        assert {"buckets", "objects", "schema_versions"} <= tables(db)
        assert db.schema_version("s3") == 3
        db.write_blocking(lambda tx: tx.execute("INSERT INTO buckets (name) VALUES ('b')"))
        assert db.fetchone("SELECT region FROM buckets") == ("us-east-1",)
    finally:
        db.close()


def test_incremental_upgrade_applies_only_missing_versions_and_keeps_data(db_path):
    db = open_db(db_path)
    db.migrate("s3", [V1])
    db.write_blocking(lambda tx: tx.execute("INSERT INTO buckets (name) VALUES ('kept')"))
    db.close()

    db = open_db(db_path)
    try:
        db.migrate("s3", [V1, V2, V3])  # V1 again would fail (table exists) if it were re-run
        assert db.schema_version("s3") == 3
        assert db.fetchall("SELECT name, region FROM buckets") == [("kept", "us-east-1")]
        db.migrate("s3", [V1, V2, V3])  # idempotent
        assert db.schema_version("s3") == 3
    finally:
        db.close()


def test_namespaces_are_independent(db_path):
    db = open_db(db_path)
    try:
        db.migrate("s3", [V1, V2])
        db.migrate("sqs", [Migration(1, ["CREATE TABLE queues (url TEXT PRIMARY KEY)"])])
        assert db.schema_version("s3") == 2
        assert db.schema_version("sqs") == 1
        assert db.schema_version("never") == 0
    finally:
        db.close()


def test_database_newer_than_the_code_is_refused(db_path):
    db = open_db(db_path)
    db.migrate("s3", [V1, V2, V3])
    db.close()

    db = open_db(db_path)
    try:
        with pytest.raises(SchemaTooNewError, match=r"schema version 3 for 's3'.*only up to version 2"):
            db.migrate("s3", [V1, V2])
        assert db.schema_version("s3") == 3
    finally:
        db.close()


def test_failing_migration_is_atomic_and_earlier_versions_stay(db_path):
    broken = Migration(2, [
        "CREATE TABLE half_done (x INTEGER)",
        "THIS IS NOT SQL",
    ])
    db = open_db(db_path)
    try:
        with pytest.raises(sqlite3.OperationalError):
            db.migrate("s3", [V1, broken])
        assert db.schema_version("s3") == 1
        assert "half_done" not in tables(db)
        assert "buckets" in tables(db)
        db.migrate("s3", [V1, V2])  # a fixed release can still move forward
        assert db.schema_version("s3") == 2
    finally:
        db.close()


def test_duplicate_versions_are_rejected(db_path):
    db = open_db(db_path)
    try:
        with pytest.raises(ValueError):
            db.migrate("s3", [V1, Migration(1, ["CREATE TABLE other (x)"])])
    finally:
        db.close()
