"""Method request validation: required parameters, and the body against its model
(JSON Schema draft 4)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast.services.apigateway.invoke.errors import GatewayError

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.pipeline import Invocation


def validate(inv: Invocation, validator: dict[str, Any]) -> None:
    if validator.get("validateRequestParameters"):
        missing = []
        # AWS lists them in the order of their full names (method.request.header.* before path.*
        # before querystring.*), not as they were added (LocalStack's AWS-validated
        # test_api_gateway_request_validator: "[x-header-param, issuer, qs1]", recorded 2024).
        for name, required in sorted((inv.method.get("requestParameters") or {}).items()):
            if not required:
                continue
            location, _, key = name[len("method.request."):].partition(".")
            if location == "querystring" and not any(k == key for k, _ in inv.query):
                missing.append(key)
            elif location == "header" and key.lower() not in inv.headers:
                missing.append(key)
            elif location == "path" and not inv.path_params.get(key):
                missing.append(key)
        if missing:
            raise GatewayError("BAD_REQUEST_PARAMETERS", 400,
                               f"Missing required request parameters: [{', '.join(missing)}]",
                               error_type="BadRequestException")
    if validator.get("validateRequestBody"):
        models = inv.method.get("requestModels") or {}
        content_type = (inv.content_type or "application/json").split(";")[0].strip().lower()
        model_name = models.get(content_type) or models.get("$default")
        if model_name is None:
            return
        model = inv.snapshot.get("models", {}).get(model_name)
        if model is None or not model.get("schema"):
            return
        schemas = {name: m.get("schema") for name, m in inv.snapshot.get("models", {}).items() if m.get("schema")}
        error = body_error(with_models_inlined(model["schema"], schemas), inv.body_text)
        if error is not None:
            raise GatewayError("BAD_REQUEST_BODY", 400, "Invalid request body", error_type="BadRequestException")


_MODEL_REF = re.compile(r"^https://apigateway\.amazonaws\.com/restapis/[^/]+/models/([^/]+)$")
_MAX_REF_DEPTH = 16  # a model that refers to itself is expanded this deep, then taken as any value


def with_models_inlined(schema_text: str, models: dict[str, str]) -> str:
    """The schema with each reference to another model of the API
    (https://apigateway.amazonaws.com/restapis/<id>/models/<name>) replaced by that model's
    schema, so that draft 4 validation can follow it (LocalStack's AWS-validated
    test_api_gateway_request_validator_with_ref_models); other references are left alone."""
    if "apigateway.amazonaws.com" not in schema_text:
        return schema_text

    def inline(node: Any, depth: int) -> Any:
        if isinstance(node, dict):
            match = _MODEL_REF.match(node["$ref"]) if isinstance(node.get("$ref"), str) else None
            if match is not None:
                target = models.get(match.group(1))
                if target is None or depth >= _MAX_REF_DEPTH:
                    return {}
                try:
                    return inline(json.loads(target), depth + 1)
                except ValueError:
                    return {}
            return {key: inline(value, depth) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value, depth) for value in node]
        return node

    try:
        return json.dumps(inline(json.loads(schema_text), 0))
    except ValueError:
        return schema_text


@lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    import jsonschema

    schema = json.loads(schema_text)
    return jsonschema.Draft4Validator(schema)


def body_error(schema_text: str, body: str) -> str | None:
    """The first validation error of `body` against the schema, or None when it conforms."""
    try:
        document = json.loads(body) if body.strip() else None
    except ValueError:
        return "Invalid JSON"
    try:
        validator = _validator(schema_text)
    except ValueError:
        return None
    try:
        for error in validator.iter_errors(document):
            return error.message
    except Exception:  # noqa: BLE001 - a reference jsonschema cannot follow (no model of that name): not judged
        return None
    return None
