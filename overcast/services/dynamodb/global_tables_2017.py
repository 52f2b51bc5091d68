"""The 2017.11.29 (Legacy) global table operations, answered as DynamoDB answers them today.

AWS no longer creates legacy global tables anywhere: CreateGlobalTable, and UpdateGlobalTable
adding a replica, are refused with "version 2017.11.29 is not supported", so no legacy group can
exist and the operations that read or change one answer that there is none. They do not see
2019.11.21 global tables either (replicas.py): DescribeGlobalTable names none of them,
ListGlobalTables lists nothing. As recorded against DynamoDB in 2026 by ack-api-quirks
(DDB-GLOBALTABLE-001, DDB-GLOBALTABLE-002, DDB-GLOBALTABLESETTINGS-001).
"""

from __future__ import annotations

from overcast.server.context import RequestContext
from overcast.services.dynamodb.errors import GlobalTableNotFoundException, invalid

_NOT_SUPPORTED = ("DynamoDB global tables version 2017.11.29 is not supported. We recommend using DynamoDB global "
                  "tables version 2019.11.21, instead of version 2017.11.29 (Legacy).")


def _not_found(name: str | None) -> GlobalTableNotFoundException:
    return GlobalTableNotFoundException(f"Global table with name: '{name}' does not exist.")


class GlobalTables2017Mixin:
    def create_global_table(self, ctx: RequestContext, params: dict) -> dict:
        raise invalid(_NOT_SUPPORTED)

    def update_global_table(self, ctx: RequestContext, params: dict) -> dict:
        # Adding a replica meets the version check first, whatever the name (DDB-GLOBALTABLE-002).
        if any(update.get("Create") is not None for update in params.get("ReplicaUpdates") or ()):
            raise invalid(_NOT_SUPPORTED)
        raise _not_found(params.get("GlobalTableName"))

    def describe_global_table(self, ctx: RequestContext, params: dict) -> dict:
        raise _not_found(params.get("GlobalTableName"))

    def describe_global_table_settings(self, ctx: RequestContext, params: dict) -> dict:
        raise _not_found(params.get("GlobalTableName"))

    def update_global_table_settings(self, ctx: RequestContext, params: dict) -> dict:
        raise _not_found(params.get("GlobalTableName"))

    def list_global_tables(self, ctx: RequestContext, params: dict) -> dict:
        return {"GlobalTables": []}
