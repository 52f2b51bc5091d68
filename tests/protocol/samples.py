"""Deterministic sample values for any shape of a service model, for protocol round-trip tests.

`sample_input(op, seed)` / `sample_output(op, seed)` build a dict keyed by member names that a
botocore client would accept and that every protocol can carry losslessly:

- enums pick one of their values; strings, blobs, lists and maps honour min/max lengths;
  integers/longs/floats honour min/max (floats are halves so that text forms round-trip exactly);
- timestamps are whole seconds in UTC (aware datetimes); blobs are bytes; documents are small
  JSON values; unions get exactly one member; `jsonvalue` strings get a small dict;
- recursion stops at `max_depth` (optional members are dropped, lists/maps shrink to their
  minimum), so recursive shapes (DynamoDB AttributeValue) stay small;
- the seed decides which optional members appear, lengths and values, so cases vary.

Event-stream members are left out (generate their events with `SampleGenerator.value` on the
event shapes). Options let callers avoid what a wire format cannot distinguish: `min_collection`
keeps lists non-empty (XML cannot tell an empty flattened list from a missing one), `min_map`
and `nonempty_structures` do the same for maps and structures (the query protocol sends nothing
for them), `exotic_strings` mixes in non-ASCII and XML-special characters.

The second half bridges to botocore: `to_our_request` (botocore's serialized request dict ->
our Request), `from_prepared` (a request botocore prepared -> our Request), `botocore_request`
(sample params -> our Request), `botocore_reads` (our Response -> what botocore parses),
`modeled_errors` (a model's error shapes), `to_botocore_response` (our Response -> what botocore's parsers read),
`in_process_client` (a boto3 client answered in-process by our protocol layer), `run` (drives a
parser coroutine that never really waits), `make_context`, `without_metadata`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from overcast.protocol.model import OperationModel, Shape

_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_EXOTIC = ["é", "ü", "&", "<", ">", "'", '"', " ", "ß", "漢", "-", "_", "/", ":", "+", "="]
_EPOCH_BASE = datetime(2019, 1, 1, tzinfo=UTC)


class SampleGenerator:
    def __init__(
        self,
        seed: int = 0,
        *,
        include_optional: float = 0.7,
        max_depth: int = 5,
        min_collection: int = 1,
        max_collection: int = 3,
        min_map: int | None = None,
        nonempty_structures: bool = False,
        exotic_strings: bool = False,
        skip_members: frozenset[str] = frozenset(),
    ):
        self.rng = random.Random(seed)
        self.include_optional = include_optional
        self.max_depth = max_depth
        self.min_collection = min_collection
        self.max_collection = max_collection
        # Maps may need their own floor: the query protocol sends nothing for an empty map.
        self.min_map = min_collection if min_map is None else min_map
        # The query protocol sends nothing for a structure without members set.
        self.nonempty_structures = nonempty_structures
        self.exotic_strings = exotic_strings
        # Member names never generated (e.g. location=header members a test wants to avoid).
        self.skip_members = skip_members

    # -- entry points -------------------------------------------------------------------------

    def value(self, shape: Shape, depth: int = 0) -> Any:
        kind = shape.type_name
        method = getattr(self, "_" + kind)
        return method(shape, depth)

    def structure_members(
        self, shape: Shape, depth: int = 0, *, all_optional: bool = False
    ) -> dict[str, Any]:
        return self._structure(shape, depth, force_all=all_optional)

    # -- scalars ------------------------------------------------------------------------------

    def _string(self, shape: Shape, depth: int) -> Any:
        if shape.trait("jsonvalue"):
            return {"k": self._word(4), "n": self.rng.randint(0, 9), "list": [True, "x"]}
        if shape.enum:
            return self.rng.choice(shape.enum)
        lo = int(shape.raw.get("min", 1)) or 1
        hi = int(shape.raw.get("max", 12))
        length = self.rng.randint(lo, max(lo, min(hi, lo + 11)))
        return self._word(length)

    def _word(self, length: int) -> str:
        chars = [self.rng.choice(_SAFE) for _ in range(length)]
        # One exotic character somewhere (never first, so strings stay recognisable).
        if self.exotic_strings and length > 1 and self.rng.random() < 0.5:
            chars[self.rng.randrange(1, length)] = self.rng.choice(_EXOTIC)
        return "".join(chars)

    def _integer(self, shape: Shape, depth: int) -> int:
        lo = int(shape.raw.get("min", 0))
        hi = int(shape.raw.get("max", lo + 1000))
        return self.rng.randint(lo, max(lo, min(hi, lo + 1000)))

    def _long(self, shape: Shape, depth: int) -> int:
        lo = int(shape.raw.get("min", 0))
        hi = int(shape.raw.get("max", 2**40))
        # Now and then a value past 32 bits, so that longs are really exercised.
        if hi > 2**33 and self.rng.random() < 0.5:
            return self.rng.randint(max(lo, 2**32), min(hi, 2**40))
        return self.rng.randint(lo, max(lo, min(hi, lo + 100000)))

    def _float(self, shape: Shape, depth: int) -> float:
        lo = float(shape.raw.get("min", 0))
        hi = float(shape.raw.get("max", lo + 1000))
        halves = int((hi - lo) * 2)
        return lo + self.rng.randint(0, max(0, min(halves, 2000))) / 2

    _double = _float

    def _boolean(self, shape: Shape, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _timestamp(self, shape: Shape, depth: int) -> datetime:
        return _EPOCH_BASE + timedelta(seconds=self.rng.randint(0, 6 * 365 * 86400))

    def _blob(self, shape: Shape, depth: int) -> bytes:
        lo = int(shape.raw.get("min", 1)) or 1
        hi = int(shape.raw.get("max", 24))
        length = self.rng.randint(lo, max(lo, min(hi, lo + 23)))
        return bytes(self.rng.randrange(256) for _ in range(length))

    # -- aggregates ---------------------------------------------------------------------------

    def _collection_length(self, shape: Shape, depth: int, floor: int) -> int:
        lo = int(shape.raw.get("min", 0))
        if depth >= self.max_depth:
            return lo
        hi = int(shape.raw.get("max", self.max_collection))
        hi = min(hi, max(lo, self.max_collection))
        return self.rng.randint(max(lo, min(floor, hi)), max(lo, hi))

    def _list(self, shape: Shape, depth: int) -> list[Any]:
        n = self._collection_length(shape, depth, self.min_collection)
        return [self.value(shape.member, depth + 1) for _ in range(n)]

    def _map(self, shape: Shape, depth: int) -> dict[str, Any]:
        n = self._collection_length(shape, depth, self.min_map)
        out: dict[str, Any] = {}
        attempts = 0
        while len(out) < n and attempts < n * 5:
            attempts += 1
            out[self.value(shape.key, depth + 1)] = self.value(shape.value, depth + 1)
        return out

    def _document(self, depth: int) -> Any:
        return {
            "name": self._word(5),
            "count": self.rng.randint(0, 100),
            "flag": self.rng.random() < 0.5,
            "tags": [self._word(3), self.rng.randint(0, 9)],
            "nested": {"inner": self._word(2)},
        }

    def _structure(self, shape: Shape, depth: int, force_all: bool = False) -> Any:
        if shape.raw.get("document"):
            return self._document(depth)
        members = self._plain_members(shape)
        if shape.raw.get("union"):
            name = self.rng.choice(sorted(members)) if members else None
            return {name: self.value(members[name], depth + 1)} if name else {}
        required = set(shape.required_members)
        out: dict[str, Any] = {}
        for name, member in members.items():
            if name in required:
                out[name] = self.value(member, depth + 1)
            elif force_all or (depth < self.max_depth and self.rng.random() < self.include_optional):
                out[name] = self.value(member, depth + 1)
        if not out and members and self.nonempty_structures and depth > 0:
            name = self.rng.choice(sorted(members))
            out[name] = self.value(members[name], depth + 1)
        return out

    def _plain_members(self, shape: Shape) -> dict[str, Shape]:
        out = {}
        for name, member in shape.members.items():
            if name in self.skip_members:
                continue
            if member.type_name == "structure" and member.raw.get("eventstream"):
                continue
            out[name] = member
        return out


def has_event_stream(shape: Shape | None) -> bool:
    if shape is None:
        return False
    return any(m.type_name == "structure" and m.raw.get("eventstream") for m in shape.members.values())


def sample_input(op: OperationModel, seed: int = 0, **options: Any) -> dict[str, Any]:
    """Input params for `op`, as a botocore client call would take them."""
    if op.input_shape is None:
        return {}
    return SampleGenerator(seed, **options).value(op.input_shape)


def sample_output(op: OperationModel, seed: int = 0, **options: Any) -> dict[str, Any]:
    """An output dict for `op`, as a provider would return it."""
    if op.output_shape is None:
        return {}
    return SampleGenerator(seed, **options).value(op.output_shape)


def sample_value(shape: Shape, seed: int = 0, **options: Any) -> Any:
    return SampleGenerator(seed, **options).value(shape)


# -- bridging to botocore, for round-trip tests ---------------------------------------------------
#
# botocore's client serializer produces a request dict; these helpers turn it into our Request
# the way a real client would send it (through botocore's own request preparation), and turn our
# Response into what botocore's client parser reads.

_BOTOCORE_MODELS: dict[str, Any] = {}


def botocore_model(service: str) -> Any:
    """botocore's own ServiceModel for a service (tests only: botocore is slow to import)."""
    model = _BOTOCORE_MODELS.get(service)
    if model is None:
        import botocore.session

        loader = botocore.session.get_session().get_component("data_loader")
        from botocore.model import ServiceModel as BotocoreServiceModel

        model = BotocoreServiceModel(loader.load_service_model(service, "service-2"), service_name=service)
        _BOTOCORE_MODELS[service] = model
    return model


def to_our_request(serialized: dict[str, Any], host: str = "localhost:4566") -> Any:
    """botocore's serialized request dict -> overcast.server.http.Request."""
    from botocore.awsrequest import create_request_object, prepare_request_dict

    serialized = dict(serialized)
    serialized["headers"] = dict(serialized.get("headers", {}))
    prepare_request_dict(serialized, endpoint_url=f"http://{host}")
    return from_prepared(create_request_object(serialized).prepare())


def from_prepared(prepared: Any, host: str | None = None) -> Any:
    """A request botocore prepared (or the one a before-send handler sees) as our server receives
    it. The Host header is `host` when given, else the URL's (botocore leaves it to urllib3)."""
    from urllib.parse import urlsplit

    from overcast.server.http import Request, RequestBody

    url = urlsplit(prepared.url)
    headers: dict[str, str] = {}
    for name, value in prepared.headers.items():
        headers[name.lower()] = value.decode("latin-1") if isinstance(value, bytes) else value
    if host is not None:
        headers["host"] = host
    else:
        headers.setdefault("host", url.netloc)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, (bytes, bytearray)):
        body = body.read()
    return Request(
        method=prepared.method,
        path=url.path or "/",
        query_string=url.query,
        headers=headers,
        body=RequestBody.from_bytes(bytes(body)),
    )


async def _collect(body: Any) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return b"".join([chunk async for chunk in body])


def botocore_request(service: str, operation: str, protocol: str, params: dict[str, Any]) -> Any:
    """The request botocore's serializer for `protocol` writes for `params`, as our server gets it."""
    from botocore.serialize import create_serializer

    bc_op = botocore_model(service).operation_model(operation)
    return to_our_request(create_serializer(protocol).serialize_to_request(params, bc_op))


def botocore_reads(protocol: str, response: Any, service: str = "", operation: str = "") -> dict[str, Any]:
    """What botocore's `protocol` parser makes of our response: through the operation's output
    shape when one is named, else as an error response."""
    from botocore.parsers import create_parser

    shape = botocore_model(service).operation_model(operation).output_shape if operation else None
    return create_parser(protocol).parse(to_botocore_response(response), shape)


def modeled_errors(model: Any) -> list[tuple[str, dict[str, Any], int]]:
    """(shape name, `error` trait, HTTP status) of every exception shape the model declares."""
    found = [(name, raw.get("error", {})) for name, raw in model.raw_shapes.items() if raw.get("exception")]
    assert found, f"{model.service} declares no errors"
    return [(name, info, info.get("httpStatusCode", 400)) for name, info in found]


def to_botocore_response(response: Any) -> dict[str, Any]:
    """Our Response -> the dict that botocore's parsers take."""
    import asyncio

    body = response.body
    if not isinstance(body, (bytes, bytearray)):
        body = asyncio.run(_collect(body))
    return {
        "status_code": response.status,
        "headers": {k.lower(): v for k, v in response.headers},
        "body": bytes(body),
    }


def run(coro: Any) -> Any:
    """Drive a coroutine that never really waits (in-memory bodies) without an event loop."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("coroutine awaited real I/O; use asyncio.run")


def make_context(request: Any = None, request_id: str = "req-0123456789abcdef") -> Any:
    from overcast.server.context import RequestContext
    from overcast.server.http import Request, RequestBody

    if request is None:
        request = Request("POST", "/", "", {}, RequestBody.from_bytes(b""))
    return RequestContext(
        request=request, request_id=request_id, account_id="000000000000", region="us-east-1"
    )


def without_metadata(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k != "ResponseMetadata"}


class _RawBody:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def in_process_client(service: str, respond: Any, **client_options: Any) -> Any:
    """A boto3 client whose requests are answered in-process by our protocol layer.

    `respond(operation_name, params)` plays the provider: it returns an output dict or raises a
    ServiceError. The client picks its protocol as it would against AWS (CloudWatch: CBOR), or
    the one forced by `protocol=`. `calls` on the returned client lists (operation, params).
    """
    import boto3
    from botocore.awsrequest import AWSResponse

    from overcast.protocol.errors import ServiceError
    from overcast.protocol.model import load_service_model
    from overcast.protocol.registry import parser_for, protocol_for_request, serializer_for

    protocol = client_options.pop("protocol", None)
    # A forced protocol is patched onto the client's service model, which botocore shares
    # between the clients of one session: give such clients a session of their own.
    session = boto3.session.Session() if protocol is not None else boto3
    client = session.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://localhost:4566",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        **client_options,
    )
    if protocol is not None:
        from botocore.serialize import create_serializer

        # resolved_protocol is a cached property: seed the cache, and swap the serializer that
        # the client built for the protocol it would have chosen.
        client.meta.service_model.__dict__["resolved_protocol"] = protocol
        client._serializer = create_serializer(protocol)
    model = load_service_model(service)
    chosen = protocol or client.meta.service_model.resolved_protocol
    calls: list[tuple[str, dict[str, Any]]] = []

    def answer(request: Any, **_: Any) -> Any:
        ours = from_prepared(request)
        ctx = make_context(ours)
        # The server must tell the protocol from the request alone, as the handler chain does.
        assert protocol_for_request(model, ours) == chosen
        serializer = serializer_for(model, chosen)
        operation = None
        try:
            operation, params = run(parser_for(model, chosen).parse(ours))
            calls.append((operation.name, params))
            response = serializer.serialize(ctx, operation, respond(operation.name, params) or {})
        except ServiceError as error:
            response = serializer.serialize_error(ctx, operation, error)
        data = to_botocore_response(response)["body"]
        return AWSResponse(request.url, response.status, dict(response.headers), _RawBody(data))

    client.meta.events.register("before-send", answer)
    client.calls = calls
    return client
