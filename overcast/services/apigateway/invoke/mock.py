"""MOCK integrations: the request template's `statusCode` picks the integration response."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from overcast.services.apigateway.invoke.pipeline import (
    IntegrationResult,
    Invocation,
    integration_request_payload,
)

_STATUS = re.compile(r'"statusCode"\s*:\s*"?(\d{3})')


def mock_integration(inv: Invocation, integration: dict[str, Any]) -> IntegrationResult:
    rendered = integration_request_payload(inv, integration)
    if isinstance(rendered, bytes):
        rendered = rendered.decode("utf-8", errors="replace")
    # Most request templates render the same short text every time: parse each such text once.
    status = _cached_status(rendered) if len(rendered) <= 256 else mock_status(rendered)
    return IntegrationResult(status=status, headers={}, body="", selector=str(status))


def mock_status(rendered: str) -> int:
    """The statusCode a rendered MOCK request template asks for (200 when it names none)."""
    status = 200
    if rendered.strip():
        try:
            document = json.loads(rendered)
            if isinstance(document, dict) and "statusCode" in document:
                status = int(document["statusCode"])
        except (ValueError, TypeError):
            # AWS reads statusCode even out of a template that does not render strict JSON.
            match = _STATUS.search(rendered)
            if match:
                status = int(match.group(1))
    return status


_cached_status = lru_cache(maxsize=1024)(mock_status)
