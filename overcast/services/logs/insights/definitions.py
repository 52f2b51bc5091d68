"""PutQueryDefinition, DescribeQueryDefinitions and DeleteQueryDefinition: saved queries, kept in
`logs_query_definitions` (they outlive restarts, as AWS keeps them until deleted).

Putting a definition without an id creates one with a new id; with an id it replaces that
definition whole (its log groups too: "If you are updating an existing query definition ...
and you omit this parameter, then the updated definition will contain no log groups", the API
reference). The list is in name order, filtered by a name prefix."""

from __future__ import annotations

import json
import uuid
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.logs.errors import InvalidParameter, ResourceNotFound

# Our words: AWS's answer to an unknown definition id has not been recorded.
_NOT_FOUND = "The specified query definition does not exist."


class QueryDefinitionsMixin:
    async def put_query_definition(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        definition_id = params.get("queryDefinitionId") or str(uuid.uuid4())
        row = (ctx.account_id, ctx.region, definition_id, params["name"], params["queryString"],
               json.dumps(params.get("logGroupNames") or []), self._now_ms())  # type: ignore[attr-defined]

        def write(tx: Any) -> None:
            if params.get("queryDefinitionId") and not tx.fetchone(
                    "SELECT 1 FROM logs_query_definitions WHERE account = ? AND region = ? AND id = ?", row[:3]):
                raise ResourceNotFound(_NOT_FOUND)
            tx.execute("INSERT OR REPLACE INTO logs_query_definitions (account, region, id, name, query, groups, "
                       "modified) VALUES (?, ?, ?, ?, ?, ?, ?)", row)

        await self.db.write(write)  # type: ignore[attr-defined]
        return {"queryDefinitionId": definition_id}

    def describe_query_definitions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("queryDefinitionNamePrefix") or ""
        rows = [row for row in self.db.fetchall(  # type: ignore[attr-defined]
            "SELECT id, name, query, groups, modified FROM logs_query_definitions WHERE account = ? AND region = ? "
            "ORDER BY name, id", (ctx.account_id, ctx.region)) if row[1].startswith(prefix)]
        if params.get("nextToken"):
            try:
                after = tuple(json.loads(params["nextToken"]))
            except (ValueError, TypeError):
                raise InvalidParameter("The specified nextToken is invalid.") from None
            rows = [row for row in rows if (row[1], row[0]) > after]
        size = int(params.get("maxResults") or 1000)
        page = rows[:size]
        definitions = []
        for definition_id, name, query, groups, modified in page:
            item: dict[str, Any] = {"queryLanguage": "CWLI", "queryDefinitionId": definition_id, "name": name,
                                    "queryString": query, "lastModified": modified}
            if json.loads(groups):
                item["logGroupNames"] = json.loads(groups)
            definitions.append(item)
        out: dict[str, Any] = {"queryDefinitions": definitions}
        if len(rows) > size:
            out["nextToken"] = json.dumps([page[-1][1], page[-1][0]])
        return out

    async def delete_query_definition(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = (ctx.account_id, ctx.region, params["queryDefinitionId"])

        def write(tx: Any) -> None:
            cursor = tx.execute("DELETE FROM logs_query_definitions WHERE account = ? AND region = ? AND id = ?", key)
            if cursor.rowcount == 0:
                raise ResourceNotFound(_NOT_FOUND)

        await self.db.write(write)  # type: ignore[attr-defined]
        return {"success": True}
