"""Picks the one parser and one serializer for a service model's protocol (cached per model)."""

from __future__ import annotations

import importlib
from typing import Any

from overcast.protocol.base import RequestParser, ResponseSerializer
from overcast.protocol.model import ServiceModel
from overcast.server.http import Request

# protocol -> (module, class) under overcast.protocol.parsers / .serializers
_PARSERS = {
    "rest-xml": ("rest_xml", "RestXmlParser"),
    "rest-json": ("rest_json", "RestJsonParser"),
    "json": ("awsjson", "JsonParser"),
    "query": ("query", "QueryParser"),
    "smithy-rpc-v2-cbor": ("rpcv2cbor", "RpcV2CborParser"),
}
_SERIALIZERS = {
    "rest-xml": ("rest_xml", "RestXmlSerializer"),
    "rest-json": ("rest_json", "RestJsonSerializer"),
    "json": ("awsjson", "JsonSerializer"),
    "query": ("query", "QuerySerializer"),
    "smithy-rpc-v2-cbor": ("rpcv2cbor", "RpcV2CborSerializer"),
}
# Services whose quirks live in a small subclass.
_SERVICE_OVERRIDES = {
    "s3": ("s3", "S3Parser", "S3Serializer"),
}

_parser_cache: dict[tuple[str, str], RequestParser] = {}
_serializer_cache: dict[tuple[str, str], ResponseSerializer] = {}


def _load(package: str, module: str, cls: str) -> Any:
    return getattr(importlib.import_module(f"overcast.protocol.{package}.{module}"), cls)


def parser_for(model: ServiceModel, protocol: str | None = None) -> RequestParser:
    protocol = protocol or model.protocol
    key = (model.service, protocol)
    parser = _parser_cache.get(key)
    if parser is None:
        if model.service in _SERVICE_OVERRIDES:
            module, cls, _ = _SERVICE_OVERRIDES[model.service]
        else:
            module, cls = _PARSERS[protocol]
        parser = _load("parsers", module, cls)(model)
        _parser_cache[key] = parser
    return parser


def serializer_for(model: ServiceModel, protocol: str | None = None) -> ResponseSerializer:
    protocol = protocol or model.protocol
    key = (model.service, protocol)
    serializer = _serializer_cache.get(key)
    if serializer is None:
        if model.service in _SERVICE_OVERRIDES:
            module, _, cls = _SERVICE_OVERRIDES[model.service]
        else:
            module, cls = _SERIALIZERS[protocol]
        serializer = _load("serializers", module, cls)(model)
        _serializer_cache[key] = serializer
    return serializer


def protocol_for_request(model: ServiceModel, request: Request) -> str:
    """Which of the model's protocols a request speaks.

    Only services whose model lists several protocols need to look: CloudWatch accepts
    smithy-rpc-v2-cbor (most SDKs), awsJson 1.0 (botocore ranks json first, so boto3 and the
    AWS CLI use it) and query (older SDKs).
    """
    protocols = model.protocols
    if len(protocols) < 2:
        return model.protocol
    headers = request.headers
    if "smithy-rpc-v2-cbor" in protocols and (
        "smithy-protocol" in headers or request.path.startswith("/service/")
    ):
        return "smithy-rpc-v2-cbor"
    if "json" in protocols and "x-amz-target" in headers:
        return "json"
    if "query" in protocols:
        return "query"
    return model.protocol
