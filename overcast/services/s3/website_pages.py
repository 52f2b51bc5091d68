"""The responses of the S3 website endpoint that are not objects: AWS's HTML error pages and
redirects. The layout follows the pages AWS serves (title, <h1>, a list of Code/Message/fields,
RequestId and HostId), so that tools and people who read them find what they expect.
"""

from __future__ import annotations

import base64
import html
import itertools
import random

from overcast.server.http import Response

_TITLES = {
    304: "304 Not Modified", 400: "400 Bad Request", 403: "403 Forbidden", 404: "404 Not Found",
    405: "405 Method Not Allowed", 412: "412 Precondition Failed", 416: "416 Requested Range Not Satisfiable",
    500: "500 Internal Server Error",
}
HTML_TYPE = "text/html; charset=utf-8"


# A random per-process start and a counter: unique ids without reading the OS's random source
# on every request (as the API's request ids in server/chain.py).
_ID_COUNTER = itertools.count(random.getrandbits(63))
_HOST_ID_PREFIX = random.randbytes(40)


def new_request_ids() -> tuple[str, str]:
    """(request id, host id) in the shapes AWS uses: 16 upper-case hex digits, and 48 bytes in
    base64."""
    number = next(_ID_COUNTER) & 0xFFFFFFFFFFFFFFFF
    return f"{number:016X}", base64.b64encode(_HOST_ID_PREFIX + number.to_bytes(8, "big")).decode()


def _items(code: str, message: str, fields: dict[str, str]) -> list[str]:
    # Text inside elements: <, > and & are escaped; quotes need not be ("object's" reads as is).
    items = [f"<li>Code: {html.escape(code, quote=False)}</li>", f"<li>Message: {html.escape(message, quote=False)}</li>"]
    items += [f"<li>{html.escape(name, quote=False)}: {html.escape(str(value), quote=False)}</li>"
              for name, value in fields.items()]
    return items


def error_page(status: int, code: str, message: str, request_id: str, host_id: str, **fields: str) -> Response:
    """AWS's HTML error page of the website endpoint."""
    title = _TITLES.get(status, f"{status} Error")
    items = _items(code, message, fields) + [f"<li>RequestId: {request_id}</li>", f"<li>HostId: {host_id}</li>"]
    body = (f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
            + "\n".join(items) + "\n</ul>\n<hr/>\n</body>\n</html>\n")
    return Response(status=status, headers=[("Content-Type", HTML_TYPE), *error_headers(code, message)],
                    body=body.encode())


def error_headers(code: str, message: str) -> list[tuple[str, str]]:
    """The headers that name the error, also sent with a custom error document."""
    return [("x-amz-error-code", code), ("x-amz-error-message", message)]


def with_error_document_failure(page: Response, code: str, message: str, **fields: str) -> Response:
    """AWS adds what went wrong fetching the custom error document below the original error."""
    extra = ("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n"
             + "\n".join(_items(code, message, fields)) + "\n</ul>\n<hr/>\n")
    body = page.body if isinstance(page.body, bytes) else b""
    page.body = body.replace(b"<hr/>\n</body>", b"<hr/>\n" + extra.encode() + b"</body>", 1)
    return page


def redirect(status: int, location: str) -> Response:
    return Response(status=status, headers=[("Location", location), ("Content-Length", "0")], body=b"")
