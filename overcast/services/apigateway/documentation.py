"""Documentation parts (content attached to one API entity by its location) and documentation
versions (named snapshots of the parts, which a stage can publish).

Both live inside the API's document, so deleting the API deletes them. The location rules follow
the developer guide's "Representation of API documentation in API Gateway": each entity type
accepts some of path/method/statusCode/name, and a field the type accepts but the caller left out
takes its default (path "/", method and statusCode "*"), so two locations that differ only by an
omitted default are the same location.
"""

from __future__ import annotations

import json
import re
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, now, page
from overcast.services.apigateway.patch import check_ops, check_replace_only
from overcast.services.apigateway.store import new_id

# Which location fields each entity type takes, in the developer guide's table.
LOCATION_FIELDS: dict[str, tuple[str, ...]] = {
    "API": (),
    "AUTHORIZER": ("name",),
    "MODEL": ("name",),
    "RESOURCE": ("path",),
    "METHOD": ("path", "method"),
    "PATH_PARAMETER": ("path", "method", "name"),
    "QUERY_PARAMETER": ("path", "method", "name"),
    "REQUEST_HEADER": ("path", "method", "name"),
    "REQUEST_BODY": ("path", "method", "name"),
    "RESPONSE": ("path", "method", "statusCode"),
    "RESPONSE_HEADER": ("path", "method", "statusCode", "name"),
    "RESPONSE_BODY": ("path", "method", "statusCode"),
}
# The API reference: name is "required for ... AUTHORIZER, MODEL, PATH_PARAMETER, QUERY_PARAMETER,
# REQUEST_HEADER ... and RESPONSE_HEADER"; the guide's own REQUEST_BODY example has none.
NAME_REQUIRED = ("AUTHORIZER", "MODEL", "PATH_PARAMETER", "QUERY_PARAMETER", "REQUEST_HEADER", "RESPONSE_HEADER")
DEFAULTS = {"path": "/", "method": "*", "statusCode": "*"}
# AWS lists the enum in this order (LocalStack's AWS-validated snapshot
# test_invalid_create_documentation_part_operations, recorded 2024).
TYPE_ENUM = ("RESPONSE_BODY, RESPONSE, METHOD, MODEL, AUTHORIZER, RESPONSE_HEADER, RESOURCE, PATH_PARAMETER, "
             "REQUEST_BODY, QUERY_PARAMETER, API, REQUEST_HEADER")
STATUS_CODE_PATTERN = r"^([1-5]\d\d|\*|\s*)$"  # the model's DocumentationPartLocationStatusCode
MAX_PAGE = 500  # GetDocumentationParts answers at most 500 parts whatever the limit asked


def part_not_found() -> errors.NotFound:
    return errors.NotFound("Invalid Documentation part identifier specified")


def version_not_found() -> errors.NotFound:
    # The Serverless Framework's documentation plugin matches this exact message from AWS to
    # tell "not yet published" from a failure.
    return errors.NotFound("Invalid Documentation version specified")


def location_problem(location: dict[str, Any], where: str) -> str | None:
    """The request-shape problem with a location (an unknown type, a malformed status code),
    worded as AWS's ValidationException words it; None when there is none."""
    kind = location.get("type")
    if kind not in LOCATION_FIELDS:
        return errors.enum_problem(kind, f"{where}.type", TYPE_ENUM)
    code = location.get("statusCode")
    if code is not None and not re.fullmatch(STATUS_CODE_PATTERN, code):
        return (f"Value '{code}' at '{where}.statusCode' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {STATUS_CODE_PATTERN}")
    return None


def canonical_location(location: dict[str, Any]) -> dict[str, Any]:
    """The location as stored and answered: the type's fields only, omitted ones at their
    defaults. A field the type does not take, or a missing required name, is a BadRequest."""
    kind = location["type"]
    allowed = LOCATION_FIELDS[kind]
    for field in ("path", "method", "statusCode", "name"):
        if location.get(field) not in (None, "") and field not in allowed:
            raise errors.BadRequest(f"Invalid location: the field '{field}' is not valid for entity type {kind}")
    if kind in NAME_REQUIRED and not location.get("name"):
        raise errors.BadRequest(f"Invalid location: entity type {kind} requires the field 'name'")
    path = location.get("path")
    if path not in (None, "") and not str(path).startswith("/"):
        raise errors.BadRequest(f"Invalid location: path '{path}' must start with '/'")
    out: dict[str, Any] = {"type": kind}
    for field in ("path", "method", "statusCode", "name"):
        if field not in allowed:
            continue
        value = location.get(field)
        if value is None or str(value).strip() == "":
            value = DEFAULTS.get(field)
        if value is not None:
            out[field] = value.upper() if field == "method" else value
    return out


def describe(location: dict[str, Any]) -> str:
    """A location as the 409 names it: "type 'API'" (the developer guide's quoted message);
    further fields follow in the same form."""
    fields = [f"type '{location['type']}'"]
    fields += [f"{field} '{location[field]}'" for field in ("path", "method", "statusCode", "name") if field in location]
    return ", ".join(fields)


def check_properties(properties: Any) -> str:
    """properties is a JSON text; the developer guide: 'API Gateway accepts any valid JSON string'."""
    try:
        json.loads(properties)
    except (TypeError, ValueError):
        raise errors.BadRequest("Invalid documentation part properties: the value must be a JSON string") from None
    return str(properties)


def is_documented(part: dict[str, Any]) -> bool:
    """A part has content unless its properties are empty ({} or null)."""
    try:
        return bool(json.loads(part.get("properties") or "null"))
    except ValueError:
        return True


class DocumentationImport:
    """Parts from an OpenAPI definition's x-amazon-apigateway-documentation into an API document.

    merge: a part at a location already documented has its properties merged key by key (the
    imported attribute wins), others are added; overwrite: the collection is replaced. A part that
    cannot be read is skipped with a warning.
    """

    def __init__(self, doc: dict[str, Any], mode: str):
        self.doc = doc
        self.mode = mode
        self.ids: list[str] = []
        self.warnings: list[str] = []

    def run(self, document: dict[str, Any]) -> None:
        extension = document.get("x-amazon-apigateway-documentation")
        if extension is None:
            return
        entries = extension.get("documentationParts") if isinstance(extension, dict) else None
        if not isinstance(entries, list):
            self.warnings.append("x-amazon-apigateway-documentation has no documentationParts list")
            return
        parts = self.doc.setdefault("documentationParts", {})
        if self.mode == "overwrite":
            parts.clear()
        by_location = {json.dumps(p["location"], sort_keys=True): p for p in parts.values()}
        for index, entry in enumerate(entries):
            try:
                location, properties = self._read(entry)
            except ServiceError as problem:
                self.warnings.append(f"documentationParts[{index}]: {problem.message}")
                continue
            key = json.dumps(location, sort_keys=True)
            existing = by_location.get(key)
            if existing is not None:
                merged = json.loads(existing["properties"] or "{}")
                if isinstance(merged, dict) and isinstance(properties, dict):
                    merged.update(properties)
                else:
                    merged = properties
                existing["properties"] = json.dumps(merged, separators=(",", ":"))
                self.ids.append(existing["id"])
                continue
            part: dict[str, Any] = {"id": new_id(6), "location": location,
                    "properties": json.dumps(properties, separators=(",", ":"))}
            parts[part["id"]] = by_location[key] = part
            self.ids.append(part["id"])

    @staticmethod
    def _read(entry: Any) -> tuple[dict[str, Any], Any]:
        if not isinstance(entry, dict) or not isinstance(entry.get("location"), dict):
            raise errors.BadRequest("a documentation part needs a location object")
        location = dict(entry["location"])
        for field in ("type", "path", "method", "statusCode", "name"):
            value = location.get(field)
            if isinstance(value, bool):
                location[field] = "true" if value else "false"
            elif isinstance(value, (int, float)):
                # A YAML definition's `statusCode: 200` is a number; AWS reads a location's
                # fields as text, as the model types them.
                location[field] = str(value)
            elif value is not None and not isinstance(value, str):
                raise errors.BadRequest(f"Invalid location: the field '{field}' must be a string")
        entry = {**entry, "location": location}
        problem = location_problem(entry["location"], "location")
        if problem:
            raise errors.BadRequest(problem)
        properties = entry.get("properties")
        if isinstance(properties, str):  # a JSON text, as CreateDocumentationPart takes it
            properties = json.loads(check_properties(properties))
        return canonical_location(entry["location"]), properties if properties is not None else {}


class DocumentationOps(ApiOps):
    # -- parts -----------------------------------------------------------------------------------

    async def create_documentation_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        location = params.get("location") or {}
        problem = location_problem(location, "createDocumentationPartInput.location")
        if problem:
            raise errors.validation_failed(problem)
        doc = self.api(ctx, params["restApiId"])
        canonical = canonical_location(location)
        properties = check_properties(params.get("properties"))
        parts = doc.setdefault("documentationParts", {})
        if any(p["location"] == canonical for p in parts.values()):
            raise errors.Conflict(f"Documentation part already exists for the specified location: {describe(canonical)}.")
        part = {"id": new_id(6), "location": canonical, "properties": properties}
        parts[part["id"]] = part
        await self.save(ctx, doc)
        return part

    def _part(self, ctx: RequestContext, api_id: str, part_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(API document, part). An unknown API answers as an unknown part for Get and Update
        (LocalStack's AWS-validated snapshots test_invalid_get/update_documentation_part)."""
        doc = errors.require(self.store.get("restapi", ctx.account_id, ctx.region, api_id), part_not_found)
        part = errors.require((doc.get("documentationParts") or {}).get(part_id), part_not_found)
        return doc, part

    def get_documentation_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._part(ctx, params["restApiId"], params["documentationPartId"])[1]

    def get_documentation_parts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        problems = []
        kind, status = params.get("type"), params.get("locationStatus")
        if kind is not None and kind not in LOCATION_FIELDS:
            problems.append(errors.enum_problem(kind, "type", TYPE_ENUM))
        if status is not None and status not in ("DOCUMENTED", "UNDOCUMENTED"):
            problems.append(errors.enum_problem(status, "locationStatus", "DOCUMENTED, UNDOCUMENTED"))
        if problems:
            raise errors.validation_failed(*problems)
        doc = self.api(ctx, params["restApiId"])
        parts = list((doc.get("documentationParts") or {}).values())
        if kind:
            parts = [p for p in parts if p["location"]["type"] == kind]
        if params.get("path"):
            parts = [p for p in parts if p["location"].get("path") == params["path"]]
        if params.get("nameQuery"):
            parts = [p for p in parts if (p["location"].get("name") or "").startswith(params["nameQuery"])]
        if status:
            parts = [p for p in parts if is_documented(p) == (status == "DOCUMENTED")]
        limit = min(params.get("limit") or 25, MAX_PAGE)
        return page(parts, {**params, "limit": limit})

    async def update_documentation_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc, part = self._part(ctx, params["restApiId"], params["documentationPartId"])
        operations = params.get("patchOperations") or []
        check_ops(operations, "updateDocumentationPartInput")
        # The location is the part's identity; only its content changes (AWS-validated
        # snapshot test_invalid_update_documentation_part has both messages).
        check_replace_only(operations, ["/properties"])
        properties = part["properties"]
        for operation in operations:
            properties = check_properties(operation.get("value"))
        part["properties"] = properties
        await self.save(ctx, doc)
        return part

    async def delete_documentation_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        parts = doc.get("documentationParts") or {}
        errors.require(parts.get(params["documentationPartId"]), part_not_found)
        del parts[params["documentationPartId"]]
        await self.save(ctx, doc)
        return {}

    async def import_documentation_parts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        from overcast.services.apigateway.openapi import parse_document

        mode = params.get("mode") or "merge"
        if mode not in ("merge", "overwrite"):
            raise errors.validation_failed(errors.enum_problem(mode, "mode", "merge, overwrite"))
        doc = self.api(ctx, params["restApiId"])
        document = parse_document(params.get("body"))
        work = {"documentationParts": json.loads(json.dumps(doc.get("documentationParts") or {}))}
        importer = DocumentationImport(work, mode)
        importer.run(document)
        if importer.warnings and params.get("failOnWarnings"):
            raise errors.BadRequest("Warnings found during import:\n\t" + "\n\t".join(importer.warnings))
        doc["documentationParts"] = work["documentationParts"]
        await self.save(ctx, doc)
        out: dict[str, Any] = {"ids": importer.ids}
        if importer.warnings:
            out["warnings"] = importer.warnings
        return out

    # -- versions --------------------------------------------------------------------------------

    async def create_documentation_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        name = params.get("documentationVersion") or ""
        versions = doc.setdefault("documentationVersions", {})
        if name in versions:
            raise errors.Conflict(f"Documentation version {name} already exists")
        stage = None
        if params.get("stageName"):
            stage = errors.require(doc["stages"].get(params["stageName"]), errors.stage_not_found)
        version = {"version": name, "createdDate": now(), "description": params.get("description"),
                   "_parts": json.loads(json.dumps(list((doc.get("documentationParts") or {}).values())))}
        versions[name] = {k: v for k, v in version.items() if v is not None}
        if stage is not None:
            stage["documentationVersion"] = name  # publishing it on the stage
            stage["lastUpdatedDate"] = now()
        await self.save(ctx, doc)
        return version_view(versions[name])

    def _version(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
        return errors.require((doc.get("documentationVersions") or {}).get(name), version_not_found)

    def get_documentation_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        return version_view(self._version(doc, params["documentationVersion"]))

    def get_documentation_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        versions = sorted((doc.get("documentationVersions") or {}).values(), key=lambda v: v["createdDate"])
        return page([version_view(v) for v in versions], params)

    async def update_documentation_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        version = self._version(doc, params["documentationVersion"])
        operations = params.get("patchOperations") or []
        check_ops(operations, "updateDocumentationVersionInput")
        # "You can only update a documentation snapshot by modifying the description" (guide).
        check_replace_only(operations, ["/description"])
        for operation in operations:
            if operation.get("value"):
                version["description"] = operation["value"]
            else:
                version.pop("description", None)
        await self.save(ctx, doc)
        return version_view(version)

    async def delete_documentation_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        self._version(doc, params["documentationVersion"])
        del doc["documentationVersions"][params["documentationVersion"]]
        await self.save(ctx, doc)
        return {}


def version_view(version: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in version.items() if not k.startswith("_")}
