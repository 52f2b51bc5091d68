"""Hand-made awsJson requests for the JSON protocol tests, and our parser reading them."""

from __future__ import annotations

from typing import Any

from overcast.protocol.model import OperationModel, load_service_model
from overcast.protocol.parsers.awsjson import JsonParser
from overcast.server.http import Request, RequestBody
from tests.protocol.samples import run


def raw_json_request(target: str, body: bytes) -> Request:
    return Request(
        method="POST",
        path="/",
        query_string="",
        headers={"x-amz-target": target, "content-type": "application/x-amz-json-1.0"},
        body=RequestBody.from_bytes(body),
    )


def parse_json(service: str, request: Request) -> tuple[OperationModel, dict[str, Any]]:
    return run(JsonParser(load_service_model(service)).parse(request))
