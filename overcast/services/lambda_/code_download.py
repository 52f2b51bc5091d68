"""GET /_overcast/lambda/code/<blob>: the URL that GetFunction's Code.Location points at.

The server mounts `handle_code_download` (InternalRoutes.register("lambda", ...)); it serves a
code bundle that some function or version still references, and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from overcast.server.http import Request, Response

if TYPE_CHECKING:
    from overcast.services.lambda_.provider import Provider

PREFIX = "/_overcast/lambda/code/"
_provider: Provider | None = None


def register(provider: Provider | None) -> None:
    global _provider
    _provider = provider


async def handle_code_download(request: Request) -> Response:
    provider = _provider
    if request.method not in ("GET", "HEAD") or not request.path.startswith(PREFIX) or provider is None:
        return Response(404, [("Content-Type", "text/plain")], b"Not found")
    blob_id = unquote(request.path[len(PREFIX):])
    if not blob_id or not provider.store.blob_referenced(blob_id):
        return Response(404, [("Content-Type", "text/plain")], b"Not found")
    info_path = provider.blobs.path(blob_id)
    with open(info_path, "rb") as f:
        data = f.read()
    headers = [("Content-Type", "application/zip"), ("Content-Length", str(len(data)))]
    return Response(200, headers, b"" if request.method == "HEAD" else data)
