"""The 24-hour trim of stream records keeps each stream's highest trimmed number, with SQLite's
DELETE ... RETURNING and, for SQLite before 3.35, without it."""

from __future__ import annotations

import sqlite3

import pytest

from overcast.services.dynamodb import streams
from tests.unit.dynamodb.conftest import make_engine

DAY = 24 * 3600


@pytest.mark.parametrize("version", [sqlite3.sqlite_version_info, (3, 34, 1)])
def test_trim_keeps_the_highest_number_trimmed(tmp_path, monkeypatch, version):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", version)
    engine, close = make_engine(tmp_path)
    db = engine.provider.db
    try:
        def fill(tx):
            for arn, numbers in (("arn:a", (1, 2, 3)), ("arn:b", (1, 2))):
                tx.execute("INSERT INTO dynamodb_streams (stream_arn, table_id, account, region, table_name, created, "
                           "disabled, meta) VALUES (?, 1, '000000000000', 'us-east-1', 't', 0, NULL, '{}')", (arn,))
                for seq in numbers:
                    created = 0.0 if (arn, seq) != ("arn:b", 2) else 2 * DAY  # b's last record is recent
                    tx.execute("INSERT INTO dynamodb_stream_records (stream_arn, seq, created, record) "
                               "VALUES (?, ?, ?, '{}')", (arn, seq, created))
            tx.execute("INSERT INTO dynamodb_stream_trims (stream_arn, seq) VALUES ('arn:a', 1)")

        db.write_blocking(fill)
        db.write_blocking(lambda tx: streams.trim(tx, 2 * DAY))
        assert db.fetchall("SELECT stream_arn, seq FROM dynamodb_stream_records") == [("arn:b", 2)]
        assert sorted(db.fetchall("SELECT stream_arn, seq FROM dynamodb_stream_trims")) == [("arn:a", 3), ("arn:b", 1)]
        assert streams.last_sequence(db, "arn:a") == 3  # none left: the highest trimmed
        assert streams.last_sequence(db, "arn:b") == 2  # the highest kept
    finally:
        close()
