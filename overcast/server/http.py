"""The HTTP request and response that travel through the handler chain.

Kept free of any framework: the HTTP server (server/http_server.py) builds a Request from what
it parsed and writes the Response back. Bodies stream: a Request's body is read from the
connection only when a handler asks for it, and a Response's body may be an async iterator of
chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, unquote

# Bodies up to this size are read whole; above it, handlers that can stream should.
SMALL_BODY = 1024 * 1024


class BodyTooLarge(Exception):
    pass


class ClientDisconnected(ConnectionError):
    """The client went away before sending the whole request body: nobody is left to answer."""


class BodySource(Protocol):
    """Where a body that is still arriving comes from (the HTTP connection)."""

    async def receive(self) -> tuple[bytes, bool]:
        """The next bytes, and whether more follow. Raises ConnectionError if the client left."""
        ...


class RequestBody:
    """The request body, read from its source only when a handler asks, once."""

    __slots__ = ("_source", "_buffer", "_done", "_consumed")

    def __init__(self, source: BodySource | None, initial: bytes = b""):
        # Without a source the body is `initial` alone, already complete.
        self._source = source
        self._buffer = initial
        self._done = source is None
        self._consumed = False

    @classmethod
    def from_bytes(cls, data: bytes) -> RequestBody:
        return cls(None, data)

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body (cached). Raises BodyTooLarge past `limit` bytes."""
        if self._done:
            return self._buffer
        assert self._source is not None
        parts = [self._buffer] if self._buffer else []
        size = len(self._buffer)
        while not self._done:
            try:
                chunk, more = await self._source.receive()
            except ConnectionError:
                self._done = True
                raise
            if chunk:
                parts.append(chunk)
                size += len(chunk)
                if limit is not None and size > limit:
                    raise BodyTooLarge(size)
            if not more:
                self._done = True
        self._buffer = b"".join(parts)
        return self._buffer

    async def stream(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk as it arrives, without holding it whole."""
        if self._consumed:
            raise RuntimeError("request body already streamed")
        self._consumed = True
        if self._buffer:
            yield self._buffer
        if self._done:
            return
        assert self._source is not None
        while True:
            chunk, more = await self._source.receive()
            if chunk:
                yield chunk
            if not more:
                self._done = True
                self._buffer = b""
                return

    @property
    def fully_read(self) -> bool:
        return self._done


@dataclass
class Request:
    method: str
    path: str  # as sent: still percent-encoded, without the query string
    query_string: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    body: RequestBody
    scheme: str = "http"
    client: tuple[str, int] | None = None
    # The headers as the client sent them (name case kept, in order): API Gateway passes these on.
    raw_headers: list[tuple[str, str]] | None = None
    http_version: str = "1.1"
    _query: list[tuple[str, str]] | None = field(default=None, repr=False)
    _query_first: dict[str, str] | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    @property
    def host_name(self) -> str:
        """Host without the port."""
        host = self.host
        if host.startswith("["):
            return host.split("]")[0] + "]"
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def query_list(self) -> list[tuple[str, str]]:
        if self._query is None:
            self._query = parse_qsl(self.query_string, keep_blank_values=True)
        return self._query

    @property
    def query(self) -> dict[str, str]:
        """First value of each query parameter (built once; read it, do not change it)."""
        out = self._query_first
        if out is None:
            out = {}
            for k, v in self.query_list:
                out.setdefault(k, v)
            self._query_first = out
        return out

    @property
    def decoded_path(self) -> str:
        return unquote(self.path)


ResponseBody = bytes | AsyncIterator[bytes]


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: ResponseBody = b""

    def set_header(self, name: str, value: str) -> None:
        lname = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lname]
        self.headers.append((name, value))

    def get_header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None
