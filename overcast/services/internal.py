"""The in-process client that services use to call each other by AWS operation name.

S3 notifications reaching Lambda, API Gateway invoking a function, Lambda fetching its code
from S3: all go through here, with the same operation names and dicts as the wire API, never
by reaching into another service's modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import NotImplementedOperation
from overcast.protocol.model import load_service_model
from overcast.server.chain import dispatch, new_request_id
from overcast.server.context import RequestContext
from overcast.server.http import Request, RequestBody

if TYPE_CHECKING:
    from overcast.server.app import Overcast


class InternalClient:
    def __init__(self, app: Overcast):
        self._app = app

    def provider(self, service: str) -> Any:
        """The service's own provider (built on first use; None when there is none), for the
        service's own data planes, such as S3's website endpoint, that serve from its state
        without the cost of an API call per lookup."""
        return self._app.registry.get(service)

    async def call(
        self,
        service: str,
        operation: str,
        params: dict[str, Any] | None = None,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> dict[str, Any]:
        """Run `operation` of `service` as the given account; returns its output dict or raises
        the service's ServiceError."""
        app = self._app
        model = load_service_model(service)
        if not model.has_operation(operation):
            raise NotImplementedOperation(service, operation)
        ctx = RequestContext(
            request=Request("POST", "/", "", {"host": "internal"}, RequestBody.from_bytes(b"")),
            request_id=new_request_id(),
            account_id=account_id or app.config.account,
            region=region or app.config.region,
            service=service,
            service_model=model,
            operation=model.operation(operation),
        )
        ctx.extra["internal"] = True

        return await dispatch(app, ctx, dict(params or {}))


async def read_body(body: Any) -> bytes:
    """A Body member another service answered with (S3 GetObject's), whatever form it came in:
    bytes, an async iterator of chunks, or something with a (possibly async) read()."""
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "__aiter__"):
        return b"".join([chunk async for chunk in body])
    if hasattr(body, "read"):
        data = body.read()
        return bytes(await data if hasattr(data, "__await__") else data)
    return bytes(body)
