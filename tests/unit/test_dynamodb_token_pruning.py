"""DynamoDB's idempotency tokens are pruned by age through an index (migration 4): the query
plan of the pruning DELETE is a range of that index, not a scan of every token."""

from __future__ import annotations

from overcast.services.dynamodb.store import MIGRATIONS
from overcast.storage import SqliteDatabase

PRUNE = "DELETE FROM dynamodb_tokens WHERE created < ?"  # as transactions.py prunes


def test_pruning_expired_tokens_reads_a_range_of_the_age_index(tmp_path):
    db = SqliteDatabase(str(tmp_path / "overcast.db"))
    try:
        db.migrate("dynamodb", MIGRATIONS)
        plan = " ".join(str(row[-1]) for row in db.fetchall(f"EXPLAIN QUERY PLAN {PRUNE}", (0.0,)))
        assert "SEARCH dynamodb_tokens USING INDEX dynamodb_tokens_created (created<?)" in plan, plan

        def tokens(tx):
            tx.executemany("INSERT INTO dynamodb_tokens (account, token, created, digest) VALUES (?, ?, ?, ?)",
                           [("000000000000", f"t{i}", float(i), "d") for i in range(10)])
            tx.execute(PRUNE, (4.0,))

        db.write_blocking(tokens)
        assert [row[0] for row in db.fetchall("SELECT token FROM dynamodb_tokens ORDER BY created")] == \
            [f"t{i}" for i in range(4, 10)]
    finally:
        db.close()
