"""Tables for log groups, streams, events, log groups' tags, metric and subscription filters, and the
outbox of subscription deliveries, and saved Logs Insights query definitions."""

from __future__ import annotations

from overcast.storage.interface import Migration

MIGRATIONS = [
    Migration(1, [
        "CREATE TABLE logs_groups (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
        "created INTEGER NOT NULL, retention INTEGER, PRIMARY KEY (account, region, name))",
        "CREATE TABLE logs_streams (account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, "
        "name TEXT NOT NULL, created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER, "
        "stored INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (account, region, grp, name))",
        "CREATE TABLE logs_events (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
        "grp TEXT NOT NULL, stream TEXT NOT NULL, ts INTEGER NOT NULL, ingest INTEGER NOT NULL, "
        "message TEXT NOT NULL)",
        "CREATE INDEX logs_events_by_stream ON logs_events (account, region, grp, stream, ts, seq)",
        "CREATE INDEX logs_events_by_group ON logs_events (account, region, grp, ts, seq)",
    ]),
    # Version 2: a group keeps the class it was created with; groups carry tags.
    Migration(2, [
        "ALTER TABLE logs_groups ADD COLUMN class TEXT NOT NULL DEFAULT 'STANDARD'",
        "CREATE TABLE logs_tags (account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, "
        "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (account, region, grp, key))",
    ]),
    # Version 3: metric filters (metric_filters.py), kept with their group.
    Migration(3, [
        "CREATE TABLE IF NOT EXISTS logs_metric_filters (account TEXT NOT NULL, region TEXT NOT NULL, "
        "grp TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL, pattern TEXT NOT NULL, "
        "transformations TEXT NOT NULL, transformed INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (account, region, grp, name))",
    ]),
    # Version 4: subscription filters (subscription_filters.py), kept with their group, and the
    # outbox of their deliveries: written in PutLogEvents' own transaction, so that events it
    # acknowledged reach the destination after a crash (subscription_delivery.py).
    Migration(4, [
        "CREATE TABLE IF NOT EXISTS logs_subscription_filters (account TEXT NOT NULL, region TEXT NOT NULL, "
        "grp TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL, pattern TEXT NOT NULL, "
        "destination TEXT NOT NULL, role TEXT, distribution TEXT NOT NULL, transformed INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (account, region, grp, name))",
        "CREATE TABLE IF NOT EXISTS logs_deliveries (id INTEGER PRIMARY KEY, account TEXT NOT NULL, "
        "region TEXT NOT NULL, destination TEXT NOT NULL, ordering_key TEXT NOT NULL, payload TEXT NOT NULL)",
    ]),
]
MIGRATIONS.append(
    # Version 5: saved Logs Insights query definitions (insights/definitions.py), kept by id.
    Migration(5, [
        "CREATE TABLE IF NOT EXISTS logs_query_definitions (account TEXT NOT NULL, region TEXT NOT NULL, "
        "id TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL, groups TEXT NOT NULL, modified INTEGER NOT NULL, "
        "PRIMARY KEY (account, region, id))",
    ]),
)
