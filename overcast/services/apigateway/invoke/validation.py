"""Method request validation: required parameters, and the body against its model
(JSON Schema draft 4)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast.services.apigateway.invoke.errors import GatewayError

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.pipeline import Invocation


def validate(inv: Invocation, validator: dict[str, Any]) -> None:
    if validator.get("validateRequestParameters"):
        missing = []
        for name, required in (inv.method.get("requestParameters") or {}).items():
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
        error = body_error(model["schema"], inv.body_text)
        if error is not None:
            raise GatewayError("BAD_REQUEST_BODY", 400, "Invalid request body", error_type="BadRequestException")


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
    for error in validator.iter_errors(document):
        return error.message
    return None
