"""The handler chain: every AWS API request takes this path, in this order.

    internal routes   /_overcast/... (health, clock, data-plane helpers)
    detect service    X-Amz-Target, credential scope, path, Host
    account/region    from the access key and credential scope
    authenticate      SigV4 / presigned, when verification is configured
    decode body       aws-chunked framing and trailing checksums
    parse             protocol layer, from botocore's service model; then, when verifying,
                      refuse requests without credentials (unless the operation is unsigned)
    dispatch          services/<svc>/provider method
    serialize         protocol layer, or the error path

Each step is a small function; the order lives here and nowhere else.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import random
from types import CoroutineType
from typing import TYPE_CHECKING

from overcast.protocol import chunked, sigv4
from overcast.protocol.errors import InternalError, NotImplementedOperation, ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.registry import parser_for, protocol_for_request, serializer_for
from overcast.server.context import RequestContext
from overcast.server.http import BodyTooLarge, ClientDisconnected, Request, Response
from overcast.server.routing import detect_service, detect_unsigned_query_service, is_unsigned_query_candidate
from overcast.services.base import method_name

if TYPE_CHECKING:
    from overcast.server.app import Overcast

log = logging.getLogger("overcast.server")


_REQUEST_IDS = itertools.count(random.getrandbits(48))
_REQUEST_ID_PREFIX = f"{random.getrandbits(32):08x}-{random.getrandbits(16):04x}-4{random.getrandbits(12):03x}-{0x8000 | random.getrandbits(14):04x}-"


def new_request_id() -> str:
    """A unique id in UUID form, as AWS's request ids look. A random per-process prefix and a
    counter: unique without a system call per request (uuid4 reads the OS's random source)."""
    return f"{_REQUEST_ID_PREFIX}{next(_REQUEST_IDS) & 0xFFFFFFFFFFFF:012x}"


async def handle(app: Overcast, request: Request) -> tuple[Response, RequestContext | None]:
    """Run one request through the chain. Never raises: failures become error responses."""
    if request.path.startswith("/_overcast/"):
        return await app.internal_routes.handle(request), None
    data_plane = app.data_plane_for(request)
    if data_plane is not None:
        return await data_plane(request), None

    auth = sigv4.parse_auth(request)
    service = detect_service(request, auth.service if auth else None)
    if auth is None and service == "s3" and is_unsigned_query_candidate(request):
        try:
            service = await detect_unsigned_query_service(request) or service
        except (BodyTooLarge, ConnectionError):
            pass  # left to S3, which refuses it as it would any other
    model = load_service_model(service)
    # Positional, in field order: a dataclass call with keywords costs several times more, on
    # every request.
    if auth is not None:
        ctx = RequestContext(request, new_request_id(), sigv4.account_for_access_key(auth.access_key, app.config.account),
                             auth.region or app.config.region, service, model, None, auth.access_key, auth, False)
    else:
        ctx = RequestContext(request, new_request_id(), app.config.account, app.config.region, service, model,
                             None, None, None, True)
    protocol = protocol_for_request(model, request)  # CloudWatch speaks three
    serializer = serializer_for(model, protocol)
    try:
        secret = await app.authenticate(ctx) if auth is not None else None
        if chunked.is_aws_chunked(request):
            request.body = chunked.decode_if_chunked(request, auth=auth if secret else None, secret=secret)
        operation, params = await parser_for(model, protocol).parse(request)
        ctx.operation = operation
        if auth is None and app.config.verify_signatures:
            app.refuse_anonymous(ctx)  # after parse: whether unsigned is allowed is per operation
        output = await dispatch(app, ctx, params)
        response = serializer.serialize(ctx, operation, output)
        if service == "s3" and "origin" in request.headers:
            await app.data_planes.s3_cors.decorate(request, response)  # Access-Control-* from the bucket's rules
        return response, ctx
    except ServiceError as error:
        return serializer.serialize_error(ctx, ctx.operation, error), ctx
    except ClientDisconnected:
        # Not a fault of ours: the answer below goes nowhere, the connection is gone.
        log.info("%s %s: the client left before sending the whole body", service, ctx.operation_name or request.path)
        return serializer.serialize_error(ctx, ctx.operation, InternalError()), ctx
    except Exception:
        log.exception("%s %s failed", service, ctx.operation_name or request.path)
        return serializer.serialize_error(ctx, ctx.operation, InternalError()), ctx


async def dispatch(app: Overcast, ctx: RequestContext, params: dict) -> dict:
    """Call the provider's method for ctx.operation; NotImplemented when it has none."""
    assert ctx.service is not None and ctx.operation is not None
    provider = app.registry.get(ctx.service)
    method = getattr(provider, method_name(ctx.operation.name), None) if provider is not None else None
    if method is None or provider is None:
        raise NotImplementedOperation(ctx.service, ctx.operation.name)
    if provider.admit is not None:
        provider.admit(ctx, params)
    result = method(ctx, params)
    # Nearly every provider method is a coroutine function: test for that exactly before the
    # general (abstract-class) awaitable check.
    if type(result) is CoroutineType or inspect.isawaitable(result):
        result = await result
    return result or {}
