"""Models (JSON Schema draft 4 documents) and RequestValidators."""

from __future__ import annotations

import json
import re
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps, compact, page
from overcast.services.apigateway.patch import apply_patch, check_ops, check_replace_only
from overcast.services.apigateway.store import new_id

_MODEL_NAME = re.compile(r"^[A-Za-z0-9]+$")


def model_not_found(name: str) -> errors.NotFound:
    return errors.NotFound(f"Invalid model name specified: {name}")


def check_schema(schema: str | None) -> None:
    # AWS refuses a model without a schema, or with an empty one.
    if not schema:
        raise errors.BadRequest("Model schema must have at least 1 property or array items defined")
    try:
        parsed = json.loads(schema)
    except ValueError:
        raise errors.BadRequest("Invalid model specified: Validation Result: warnings : [], errors : "
                                "[Invalid model schema specified]") from None
    if not isinstance(parsed, dict):
        raise errors.BadRequest("Invalid model specified: Validation Result: warnings : [], errors : "
                                "[Invalid model schema specified]")


class ModelOps(ApiOps):
    async def create_model(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        name = params.get("name") or ""
        if not name:
            raise errors.BadRequest("Model name must be non-empty")
        if not _MODEL_NAME.match(name):
            raise errors.BadRequest("Model name must be non-empty and alphanumeric")
        if name in doc["models"]:
            raise errors.Conflict("Model name already exists for this REST API")
        if not params.get("contentType"):
            raise errors.BadRequest("Content type must be non-empty.")
        check_schema(params.get("schema"))
        model = compact({"id": new_id(6), "name": name, "description": params.get("description") or None,
                         "schema": params.get("schema"), "contentType": params["contentType"]})
        doc["models"][name] = model
        await self.save(ctx, doc)
        return model

    def _model(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
        return errors.require(doc["models"].get(name), lambda: model_not_found(name))

    def get_model(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._model(self.api(ctx, params["restApiId"]), params["modelName"])

    def get_models(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        return page(sorted(doc["models"].values(), key=lambda m: m["name"]), params)

    def get_model_template(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        from overcast.services.apigateway.model_template import template_for_schema

        model = self._model(self.api(ctx, params["restApiId"]), params["modelName"])
        return {"value": template_for_schema(json.loads(model.get("schema") or "{}"))}

    async def update_model(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        model = self._model(doc, params["modelName"])
        changed = dict(model)
        check_ops(params.get("patchOperations"), "updateModelInput")
        check_replace_only(params.get("patchOperations"), ["/description", "/schema"])
        apply_patch(changed, params.get("patchOperations"), {"schema": "str", "description": "str"})
        check_schema(changed.get("schema"))
        if not changed.get("description"):
            changed.pop("description", None)  # an emptied description is left out, as AWS answers
        doc["models"][model["name"]] = changed
        await self.save(ctx, doc)
        return changed

    async def delete_model(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        model = self._model(doc, params["modelName"])
        for resource in doc["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if model["name"] in (method.get("requestModels") or {}).values():
                    raise errors.Conflict(f"Cannot delete model '{model['name']}', is referenced in method "
                                          f"request: {resource['path']}/{method['httpMethod']}")
        del doc["models"][model["name"]]
        await self.save(ctx, doc)
        return {}

    # -- request validators --------------------------------------------------------------------

    async def create_request_validator(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # AWS answers an unknown API here with 400, unlike the other validator operations.
        doc = errors.require(self.store.get("restapi", ctx.account_id, ctx.region, params["restApiId"]),
                             lambda: errors.BadRequest("Invalid REST API identifier specified"))
        validator = {"id": new_id(6), "name": params.get("name") or "",
                     "validateRequestBody": bool(params.get("validateRequestBody", False)),
                     "validateRequestParameters": bool(params.get("validateRequestParameters", False))}
        doc["validators"][validator["id"]] = validator
        await self.save(ctx, doc)
        return validator

    def _validator(self, doc: dict[str, Any], validator_id: str) -> dict[str, Any]:
        return errors.require(doc["validators"].get(validator_id),
                              "Invalid Request Validator identifier specified")

    def _validator_api(self, ctx: RequestContext, api_id: str) -> dict[str, Any]:
        """Get, update and delete of a validator answer an unknown API as an unknown validator."""
        return errors.require(self.store.get("restapi", ctx.account_id, ctx.region, api_id),
                              "Invalid Request Validator identifier specified")

    def get_request_validator(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._validator(self._validator_api(ctx, params["restApiId"]), params["requestValidatorId"])

    def get_request_validators(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        return page(list(doc["validators"].values()), params)

    async def update_request_validator(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self._validator_api(ctx, params["restApiId"])
        validator = self._validator(doc, params["requestValidatorId"])
        operations = params.get("patchOperations")
        check_ops(operations, "updateRequestValidatorInput")
        check_replace_only(operations, ["/name", "/validateRequestParameters", "/validateRequestBody"])
        if any(o.get("path") == "/name" and not o.get("value") for o in operations or []):
            raise errors.BadRequest("Request Validator name cannot be blank")
        apply_patch(validator, operations,
                    {"name": "str", "validateRequestBody": "bool", "validateRequestParameters": "bool"})
        await self.save(ctx, doc)
        return validator

    async def delete_request_validator(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self._validator_api(ctx, params["restApiId"])
        self._validator(doc, params["requestValidatorId"])
        del doc["validators"][params["requestValidatorId"]]
        await self.save(ctx, doc)
        return {}
