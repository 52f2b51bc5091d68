"""What the handler chain learns about a request as it goes, handed to providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from overcast.server.http import Request

if TYPE_CHECKING:
    from overcast.protocol.model import OperationModel, ServiceModel


@dataclass
class RequestContext:
    request: Request
    request_id: str
    account_id: str
    region: str
    service: str | None = None  # catalog name: s3, lambda, dynamodb, ...
    service_model: ServiceModel | None = None
    operation: OperationModel | None = None
    access_key: str | None = None
    # SigV4 details when the request was signed (overcast.protocol.sigv4.SigV4Auth).
    auth: Any = None
    # Anonymous: no credentials at all (S3 policies decide what it may do).
    anonymous: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def operation_name(self) -> str | None:
        return self.operation.name if self.operation else None
