"""TagResource, UntagResource and ListTagsOfResource, and the checks tags get on CreateTable too."""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.dynamodb import store
from overcast.services.dynamodb.errors import ResourceNotFoundException, ValidationException, invalid
from overcast.services.dynamodb.models import Table

_MAX_TAGS = 50


def check_tags(tags: list[dict], existing: dict[str, str] | None = None) -> dict[str, str]:
    """The table's tags after adding `tags`, with DynamoDB's checks on keys and count."""
    result = dict(existing or {})
    seen: set[str] = set()
    for tag in tags:
        key = tag["Key"]
        if key in seen:
            raise ValidationException(f"Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}")
        seen.add(key)
        if key.lower().startswith("aws:"):
            raise ValidationException(f"Tag Key cannot be prefixed with aws:, Key: {key}")
        result[key] = tag["Value"]
    if len(result) > _MAX_TAGS:
        raise ValidationException("Number of Tags exceed the current limit for the provided ResourceArn")
    return result


def _check_arn(arn: Any) -> None:
    if isinstance(arn, str) and not arn.startswith("arn:"):
        raise invalid(f"ARNs must start with 'arn:': {arn}")


class TagsMixin:
    def _table_by_arn(self, ctx: RequestContext, arn: str | None) -> Table:
        _check_arn(arn)
        for table in self._tables.values():
            if table.arn == arn:
                return table
        # "ResourcArn" is DynamoDB's own spelling in this message.
        raise ResourceNotFoundException(f"Requested resource not found: ResourcArn: {arn} not found")

    async def _save_tags(self, table: Table, tags: dict[str, str]) -> None:
        table.tags = tags
        await self.db.write(lambda tx: store.save_table(tx, table))

    async def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        # The tags are checked before the table is looked up, as DynamoDB does.
        _check_arn(params.get("ResourceArn"))
        if not params.get("Tags"):
            raise ValidationException("Atleast one Tag needs to be provided as Input.")
        check_tags(params["Tags"])
        table = self._table_by_arn(ctx, params.get("ResourceArn"))
        await self._save_tags(table, check_tags(params["Tags"], table.tags))
        return {}

    async def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        _check_arn(params.get("ResourceArn"))
        if not params.get("TagKeys"):
            raise ValidationException("Atleast one Tag Key needs to be provided as Input.")
        table = self._table_by_arn(ctx, params.get("ResourceArn"))
        await self._save_tags(table, {k: v for k, v in table.tags.items() if k not in params["TagKeys"]})
        return {}

    def list_tags_of_resource(self, ctx: RequestContext, params: dict) -> dict:
        table = self._table_by_arn(ctx, params.get("ResourceArn"))
        return {"Tags": [{"Key": k, "Value": v} for k, v in table.tags.items()]}
