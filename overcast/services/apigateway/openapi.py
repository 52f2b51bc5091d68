"""OpenAPI 3 and Swagger 2 with the x-amazon-apigateway-* extensions: ImportRestApi,
PutRestApi (overwrite or merge) and GetExport."""

from __future__ import annotations

import json
import time
from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway import errors
from overcast.services.apigateway.common import ApiOps
from overcast.services.apigateway.documentation import DocumentationImport
from overcast.services.apigateway.documentation_export import add_published_documentation
from overcast.services.apigateway.integrations import null_empty_templates
from overcast.services.apigateway.restapis import new_api_doc
from overcast.services.apigateway.store import new_id

VERBS = ("get", "put", "post", "delete", "patch", "head", "options")
ANY_VERB = "x-amazon-apigateway-any-method"
AUTHORIZER_TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}


def parse_document(body: Any) -> dict[str, Any]:
    try:
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else str(body or "")
    except UnicodeDecodeError:  # a definition is JSON or YAML text, which is UTF-8 (it was a 500)
        raise errors.BadRequest("Invalid OpenAPI input: the document is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except ValueError:
        try:
            import yaml  # PyYAML comes with the AWS CLI; YAML definitions need it
        except ImportError:
            raise errors.BadRequest("Invalid OpenAPI input: only JSON is supported without PyYAML") from None
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise errors.BadRequest(f"Invalid OpenAPI input: {exc}") from None
    if not isinstance(document, dict) or not ("openapi" in document or "swagger" in document):
        raise errors.BadRequest("Invalid OpenAPI input: the document names neither 'openapi' nor 'swagger'")
    return document


def _ref_name(ref: str | None) -> str | None:
    return ref.rsplit("/", 1)[-1] if ref else None


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class Importer:
    """Builds an API document (as the store keeps it) from an OpenAPI/Swagger definition."""

    def __init__(self, document: dict[str, Any], doc: dict[str, Any]):
        self.document = document
        self.doc = doc
        self.swagger = "swagger" in document
        self.validators_by_name: dict[str, str] = {}
        self.authorizers_by_name: dict[str, str] = {}
        self.security_kinds: dict[str, str] = {}

    def run(self) -> dict[str, Any]:
        document, doc = self.document, self.doc
        info = document.get("info") or {}
        api = doc["api"]
        api["name"] = info.get("title") or api.get("name") or "imported"
        if info.get("description"):
            api["description"] = info["description"]
        if info.get("version"):
            api["version"] = str(info["version"])
        if document.get("x-amazon-apigateway-binary-media-types"):
            api["binaryMediaTypes"] = list(document["x-amazon-apigateway-binary-media-types"])
        if document.get("x-amazon-apigateway-api-key-source"):
            api["apiKeySource"] = document["x-amazon-apigateway-api-key-source"]
        schemas = document.get("definitions") if self.swagger else (document.get("components") or {}).get("schemas")
        for name, schema in (schemas or {}).items():
            doc["models"][name] = {"id": new_id(6), "name": name, "contentType": "application/json",
                                   "schema": json.dumps(schema)}
        for name, validator in (document.get("x-amazon-apigateway-request-validators") or {}).items():
            vid = new_id(6)
            doc["validators"][vid] = {"id": vid, "name": name,
                                      "validateRequestBody": bool(validator.get("validateRequestBody")),
                                      "validateRequestParameters": bool(validator.get("validateRequestParameters"))}
            self.validators_by_name[name] = vid
        self._security_schemes()
        for kind, response in (document.get("x-amazon-apigateway-gateway-responses") or {}).items():
            doc["gatewayResponses"][kind] = {"responseType": kind, "statusCode": str(response.get("statusCode") or ""),
                                             "responseParameters": response.get("responseParameters") or {},
                                             "responseTemplates": response.get("responseTemplates") or {},
                                             "defaultResponse": False}
        default_validator = document.get("x-amazon-apigateway-request-validator")
        for path, item in (document.get("paths") or {}).items():
            resource = self._resource_for(path)
            for key, operation in (item or {}).items():
                verb = "ANY" if key == ANY_VERB else key.upper() if key in VERBS else None
                if verb is None or not isinstance(operation, dict):
                    continue
                shared = item.get("parameters") or []
                resource.setdefault("resourceMethods", {})[verb] = self._method(verb, operation, shared,
                                                                                 default_validator)
        return doc

    def _security_schemes(self) -> None:
        document = self.document
        schemes = document.get("securityDefinitions") if self.swagger else \
            (document.get("components") or {}).get("securitySchemes")
        for name, scheme in (schemes or {}).items():
            authorizer = scheme.get("x-amazon-apigateway-authorizer")
            if authorizer:
                aid = new_id(6)
                kind = AUTHORIZER_TYPES.get(str(authorizer.get("type", "token")).lower(), "TOKEN")
                identity = authorizer.get("identitySource")
                if not identity and scheme.get("in") == "header":
                    identity = f"method.request.header.{scheme.get('name')}"
                record = {"id": aid, "name": name, "type": kind,
                          "authorizerUri": authorizer.get("authorizerUri"),
                          "authorizerCredentials": authorizer.get("authorizerCredentials"),
                          "identitySource": identity,
                          "identityValidationExpression": authorizer.get("identityValidationExpression"),
                          "authorizerResultTtlInSeconds": authorizer.get("authorizerResultTtlInSeconds", 300),
                          "providerARNs": authorizer.get("providerARNs"),
                          "authType": scheme.get("x-amazon-apigateway-authtype")}
                self.doc["authorizers"][aid] = {k: v for k, v in record.items() if v is not None}
                self.authorizers_by_name[name] = aid
                self.security_kinds[name] = "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM"
            elif scheme.get("type") == "apiKey" and scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                self.security_kinds[name] = "AWS_IAM"
            elif scheme.get("type") == "apiKey":
                self.security_kinds[name] = "API_KEY"

    def _resource_for(self, path: str) -> dict[str, Any]:
        resources = self.doc["resources"]
        current = resources[self.doc["api"]["rootResourceId"]]
        for part in [p for p in path.split("/") if p]:
            child = next((r for r in resources.values()
                          if r.get("parentId") == current["id"] and r.get("pathPart") == part), None)
            if child is None:
                child = {"id": new_id(6), "parentId": current["id"], "pathPart": part,
                         "path": current["path"].rstrip("/") + "/" + part, "resourceMethods": {}}
                resources[child["id"]] = child
            current = child
        return current

    def _method(self, verb: str, operation: dict[str, Any], shared: list[dict[str, Any]],
                default_validator: str | None) -> dict[str, Any]:
        method: dict[str, Any] = {"httpMethod": verb, "authorizationType": "NONE", "apiKeyRequired": False}
        if operation.get("operationId"):
            method["operationName"] = operation["operationId"]
        params: dict[str, bool] = {}
        models: dict[str, str] = {}
        locations = {"path": "path", "query": "querystring", "header": "header"}
        for parameter in [*shared, *(operation.get("parameters") or [])]:
            where = locations.get(parameter.get("in"))
            if where:
                params[f"method.request.{where}.{parameter['name']}"] = bool(parameter.get("required"))
            elif parameter.get("in") == "body":
                name = _ref_name((parameter.get("schema") or {}).get("$ref"))
                if name:
                    models["application/json"] = name
        for content_type, media in ((operation.get("requestBody") or {}).get("content") or {}).items():
            name = _ref_name((media.get("schema") or {}).get("$ref"))
            if name:
                models[content_type] = name
        if params:
            method["requestParameters"] = params
        if models:
            method["requestModels"] = models
        validator = operation.get("x-amazon-apigateway-request-validator", default_validator)
        if validator in self.validators_by_name:
            method["requestValidatorId"] = self.validators_by_name[validator]
        for requirement in operation.get("security") or self.document.get("security") or []:
            for name in requirement:
                kind = self.security_kinds.get(name)
                if kind == "API_KEY":
                    method["apiKeyRequired"] = True
                elif kind in ("CUSTOM", "COGNITO_USER_POOLS"):
                    method["authorizationType"] = kind
                    method["authorizerId"] = self.authorizers_by_name[name]
                    if requirement[name]:
                        method["authorizationScopes"] = list(requirement[name])
                elif kind == "AWS_IAM":
                    method["authorizationType"] = "AWS_IAM"
        responses: dict[str, Any] = {}
        for code, response in (operation.get("responses") or {}).items():
            if not str(code).isdigit():
                continue
            entry: dict[str, Any] = {"statusCode": str(code)}
            headers = (response or {}).get("headers") or {}
            if headers:
                entry["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
            content = (response or {}).get("content") or {}
            response_models = {ct: _ref_name((m.get("schema") or {}).get("$ref")) for ct, m in content.items()}
            if self.swagger and (response or {}).get("schema", {}).get("$ref"):
                response_models = {"application/json": _ref_name(response["schema"]["$ref"])}
            response_models = {k: v for k, v in response_models.items() if v}
            if response_models:
                entry["responseModels"] = response_models
            responses[str(code)] = entry
        if responses:
            method["methodResponses"] = responses
        integration = operation.get("x-amazon-apigateway-integration")
        if integration:
            method["methodIntegration"] = self._integration(integration)
        return method

    def _integration(self, spec: dict[str, Any]) -> dict[str, Any]:
        integration: dict[str, Any] = {
            "type": _upper(spec.get("type") or "MOCK"),
            "passthroughBehavior": _upper(spec.get("passthroughBehavior") or "WHEN_NO_MATCH"),
            "timeoutInMillis": int(spec.get("timeoutInMillis") or 29000),
            "cacheKeyParameters": list(spec.get("cacheKeyParameters") or []),
        }
        for key in ("uri", "credentials", "requestParameters", "requestTemplates", "contentHandling",
                    "cacheNamespace", "connectionType", "connectionId"):
            if spec.get(key) is not None:
                integration[key] = spec[key]
        if spec.get("httpMethod"):
            integration["httpMethod"] = spec["httpMethod"].upper()
        responses = {}
        for pattern, response in (spec.get("responses") or {}).items():
            code = str(response.get("statusCode") or "200")
            entry: dict[str, Any] = {"statusCode": code}
            if pattern != "default":
                entry["selectionPattern"] = pattern
            for key in ("responseParameters", "responseTemplates", "contentHandling"):
                if response.get(key):
                    entry[key] = response[key]
            if entry.get("responseTemplates"):
                entry["responseTemplates"] = null_empty_templates(entry["responseTemplates"])
            responses[code] = entry
        if responses:
            integration["integrationResponses"] = responses
        return integration


def export_document(doc: dict[str, Any], snapshot: dict[str, Any], stage: dict[str, Any], swagger: bool,
                    with_integrations: bool, host: str) -> dict[str, Any]:
    api = snapshot["api"]
    # Without a version of its own, the export is versioned by its deployment's time, written as
    # AWS writes it ("2016-10-21T17:26:28Z" in the developer guide's exported APIs).
    deployed = (doc["deployments"].get(stage.get("deploymentId") or "") or {}).get("createdDate")
    deployed = deployed if deployed is not None else stage.get("createdDate", 0)
    out: dict[str, Any] = {"info": {"title": api.get("name"), "version": api.get("version") or
                                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(deployed)))}}
    if api.get("description"):
        out["info"]["description"] = api["description"]
    if swagger:
        out = {"swagger": "2.0", **out, "host": host, "basePath": f"/{stage['stageName']}", "schemes": ["https"]}
    else:
        out = {"openapi": "3.0.1", **out,
               "servers": [{"url": f"https://{host}/{{basePath}}",
                            "variables": {"basePath": {"default": stage["stageName"]}}}]}
    paths: dict[str, Any] = {}
    for resource in sorted(snapshot["resources"].values(), key=lambda r: r["path"]):
        methods = resource.get("resourceMethods") or {}
        if not methods:
            continue
        item: dict[str, Any] = {}
        for verb, method in methods.items():
            item[ANY_VERB if verb == "ANY" else verb.lower()] = _export_method(method, snapshot, swagger,
                                                                                with_integrations)
        paths[resource["path"]] = item
    out["paths"] = paths
    schemas = {name: json.loads(model["schema"]) for name, model in snapshot["models"].items() if model.get("schema")}
    if swagger:
        out["definitions"] = schemas
    else:
        out["components"] = {"schemas": schemas}
    if with_integrations:
        if api.get("binaryMediaTypes"):
            out["x-amazon-apigateway-binary-media-types"] = api["binaryMediaTypes"]
        if snapshot.get("validators"):
            out["x-amazon-apigateway-request-validators"] = {
                v["name"]: {"validateRequestBody": v["validateRequestBody"],
                            "validateRequestParameters": v["validateRequestParameters"]}
                for v in snapshot["validators"].values()}
        if snapshot.get("gatewayResponses"):
            out["x-amazon-apigateway-gateway-responses"] = {
                kind: {k: v for k, v in r.items() if k in ("statusCode", "responseParameters", "responseTemplates")}
                for kind, r in snapshot["gatewayResponses"].items()}
    return out


def _export_method(method: dict[str, Any], snapshot: dict[str, Any], swagger: bool,
                   with_integrations: bool) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if method.get("operationName"):
        operation["operationId"] = method["operationName"]
    locations = {"path": "path", "querystring": "query", "header": "header"}
    parameters = []
    for name, required in (method.get("requestParameters") or {}).items():
        where, _, key = name[len("method.request."):].partition(".")
        if where in locations:
            param = {"name": key, "in": locations[where], "required": bool(required) or where == "path"}
            param.update({"type": "string"} if swagger else {"schema": {"type": "string"}})
            parameters.append(param)
    if parameters:
        operation["parameters"] = parameters
    responses = {}
    produces: list[str] = []
    for code, response in (method.get("methodResponses") or {}).items():
        entry: dict[str, Any] = {"description": f"{code} response"}
        headers = {k[len("method.response.header."):]: {"type": "string"} if swagger else {"schema": {"type": "string"}}
                   for k in (response.get("responseParameters") or {})}
        if headers:
            entry["headers"] = headers
        # Response models become schema references: OpenAPI 3 per content type, Swagger 2 one
        # schema with the content types listed in the operation's "produces".
        models = response.get("responseModels") or {}
        if models and swagger:
            entry["schema"] = {"$ref": f"#/definitions/{next(iter(models.values()))}"}
            produces.extend(ct for ct in models if ct not in produces)
        elif models:
            entry["content"] = {ct: {"schema": {"$ref": f"#/components/schemas/{name}"}} for ct, name in models.items()}
        responses[code] = entry
    if produces:
        operation = {"produces": produces, **operation}
    operation["responses"] = responses
    if method.get("apiKeyRequired"):
        operation["security"] = [{"api_key": []}]
    if with_integrations and method.get("methodIntegration"):
        integration = dict(method["methodIntegration"])
        responses_spec = {}
        for response in (integration.pop("integrationResponses", None) or {}).values():
            key = response.get("selectionPattern") or "default"
            responses_spec[key] = {k: v for k, v in response.items() if k != "selectionPattern"}
        if responses_spec:
            integration["responses"] = responses_spec
        integration["type"] = integration["type"].lower()
        integration["passthroughBehavior"] = integration.get("passthroughBehavior", "WHEN_NO_MATCH").lower()
        operation["x-amazon-apigateway-integration"] = integration
    return operation


class OpenApiOps(ApiOps):
    async def import_rest_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        from overcast.services.apigateway.common import now

        document = parse_document(params.get("body"))
        endpoint_type = _endpoint_type(params)
        doc = new_api_doc({"id": new_id(10), "name": "imported", "createdDate": now(), "apiKeySource": "HEADER",
                           "endpointConfiguration": {"types": [endpoint_type], "ipAddressType":
                                                     "dualstack" if endpoint_type == "PRIVATE" else "ipv4"},
                           "disableExecuteApiEndpoint": False})
        Importer(document, doc).run()
        _import_documentation(document, doc, params, "overwrite")
        await self.save(ctx, doc)
        return doc["api"]

    async def put_rest_api(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        existing = self.api(ctx, params["restApiId"])
        document = parse_document(params.get("body"))
        mode = params.get("mode") or "merge"
        if mode == "overwrite":
            doc = new_api_doc(dict(existing["api"]))
            doc["api"]["rootResourceId"] = existing["api"]["rootResourceId"]
            root = existing["api"]["rootResourceId"]
            doc["resources"] = {root: {"id": root, "path": "/", "resourceMethods": {}}}
            doc["deployments"], doc["stages"] = existing["deployments"], existing["stages"]
            # Published documentation versions belong to the stages, not to the definition.
            doc["documentationVersions"] = existing.get("documentationVersions") or {}
        else:
            doc = existing
        Importer(document, doc).run()
        _import_documentation(document, doc, params, mode)
        await self.save(ctx, doc)
        return doc["api"]

    def get_export(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = self.api(ctx, params["restApiId"])
        stage = errors.require(doc["stages"].get(params["stageName"]), errors.stage_not_found)
        kind = params.get("exportType")
        if kind not in ("oas30", "swagger"):
            raise errors.BadRequest(f"No export type found for: {kind}")
        extensions = (params.get("parameters") or {}).get("extensions", "")
        with_integrations = any(e in extensions for e in ("integrations", "apigateway"))
        snapshot = doc["deployments"][stage["deploymentId"]]["snapshot"]
        host = f"{doc['api']['id']}.execute-api.{ctx.region}.amazonaws.com"
        document = export_document(doc, snapshot, stage, kind == "swagger", with_integrations, host)
        # "By default, documentation parts are included" (the developer guide's publishing page):
        # the stage's published version, unless extensions names others without documentation.
        if not extensions or "documentation" in extensions:
            add_published_documentation(document, doc, stage.get("documentationVersion"))
        if "yaml" in (params.get("accepts") or ""):
            import yaml

            return {"contentType": "application/yaml", "body": yaml.safe_dump(document, sort_keys=False).encode(),
                    "contentDisposition": f'attachment; filename="{kind}_{stage["stageName"]}.yaml"'}
        return {"contentType": "application/json", "body": json.dumps(document, indent=2).encode(),
                "contentDisposition": f'attachment; filename="{kind}_{stage["stageName"]}.json"'}


def _import_documentation(document: dict[str, Any], doc: dict[str, Any], params: dict[str, Any], mode: str) -> None:
    """The definition's x-amazon-apigateway-documentation parts, unless the import asks
    ignore=documentation (the developer guide's "Import API documentation" page)."""
    if (params.get("parameters") or {}).get("ignore") == "documentation":
        return
    DocumentationImport(doc, mode).run(document)


def _endpoint_type(params: dict[str, Any]) -> str:
    value = (params.get("parameters") or {}).get("endpointConfigurationTypes") or "EDGE"
    return value.upper()
