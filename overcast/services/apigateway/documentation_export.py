"""A stage's published documentation version in GetExport: the parts themselves under
x-amazon-apigateway-documentation, and their OpenAPI attributes written into the entities they
document (the developer guide's "Publish API documentation using the API Gateway REST API":
OpenAPI-compliant attributes and x- extensions are injected, others such as `foo` are not).
"""

from __future__ import annotations

import json
import time
from typing import Any

from overcast.services.apigateway.documentation import DEFAULTS

VERBS = ("get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method")
# The attributes each entity takes from its part, besides x- extensions. The guide's example: the
# API part's `description` and `foo` stay out of the document, its info's description and x-bar
# go into info (its info version does not replace the export's version), the METHOD part's
# description and x-example go into the operation, the RESOURCE part gives the path item x-bar.
INFO_KEYS = ("title", "description", "termsOfService", "contact", "license")
OPERATION_KEYS = ("summary", "description", "tags", "externalDocs", "deprecated")
RESPONSE_KEYS = ("description",)


def _properties(part: dict[str, Any]) -> Any:
    try:
        return json.loads(part["properties"])
    except ValueError:
        return part["properties"]


def export_part(part: dict[str, Any]) -> dict[str, Any]:
    """A part inside an exported x-amazon-apigateway-documentation object: properties as JSON,
    and the location without fields left at their defaults, as AWS's exports show them."""
    location = {k: v for k, v in part["location"].items() if DEFAULTS.get(k) != v}
    return {"location": location, "properties": _properties(part)}


def _pick(properties: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(properties, dict):
        return {}
    return {k: v for k, v in properties.items() if k in keys or k.startswith("x-")}


def _matches(location: dict[str, Any], path: str, verb: str, status: str | None = None) -> bool:
    """Whether a part's location names this entity: its path exactly, its method or '*', its
    status code or '*'."""
    return (location.get("path") == path and location.get("method") in ("*", verb.upper())
            and (status is None or location.get("statusCode") in ("*", status)))


def inject_documentation(document: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    """Write the parts' OpenAPI attributes into the exported entities they document; a part for
    one method wins over one for any method ('*')."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        by_type.setdefault(part["location"]["type"], []).append(part)
    for part in by_type.get("API", []):
        properties = _properties(part)
        if isinstance(properties, dict):
            document.update({k: v for k, v in properties.items() if k.startswith("x-")})
            document.setdefault("info", {}).update(_pick(properties.get("info"), INFO_KEYS))
    for path, item in (document.get("paths") or {}).items():
        for part in by_type.get("RESOURCE", []):
            if part["location"].get("path") == path:
                item.update(_pick(_properties(part), ()))
        for verb, operation in item.items():
            if verb not in VERBS or not isinstance(operation, dict):
                continue
            method = "ANY" if verb == "x-amazon-apigateway-any-method" else verb
            for part in sorted(by_type.get("METHOD", []), key=lambda p: p["location"].get("method") != "*"):
                if _matches(part["location"], path, method):
                    operation.update(_pick(_properties(part), OPERATION_KEYS))
            for code, response in (operation.get("responses") or {}).items():
                for part in sorted(by_type.get("RESPONSE", []), key=lambda p: p["location"].get("method") != "*"):
                    if _matches(part["location"], path, method, str(code)):
                        response.update(_pick(_properties(part), RESPONSE_KEYS))


def published_documentation(doc: dict[str, Any], version_name: str | None) -> dict[str, Any] | None:
    """The x-amazon-apigateway-documentation object of a stage's published version, and the
    parts it holds, if the stage has one."""
    version = (doc.get("documentationVersions") or {}).get(version_name or "")
    if version is None:
        return None
    return {"version": version["version"],
            "createdDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(version["createdDate"]))),
            "documentationParts": [export_part(p) for p in version["_parts"]]}


def add_published_documentation(document: dict[str, Any], doc: dict[str, Any], version_name: str | None) -> None:
    published = published_documentation(doc, version_name)
    if published is None:
        return
    version = doc["documentationVersions"][published["version"]]
    inject_documentation(document, version["_parts"])
    document["x-amazon-apigateway-documentation"] = published
