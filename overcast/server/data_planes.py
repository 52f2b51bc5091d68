"""The data planes that answer before the AWS API chain: website hosts, execute-api hosts,
function URL hosts, S3's browser-facing endpoints (CORS preflight, form uploads), and Lambda's
code links.

Every request passes these matchers, and start-up must stay fast, so each matcher is a cheap
test (a method, a header, a Host suffix) and the module behind it is imported only when a
request first matches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from overcast.server.http import Request, Response

if TYPE_CHECKING:
    from overcast.server.app import Overcast

Handler = Callable[[Request], Awaitable[Response]]


class DataPlanes:
    def __init__(self, app: Overcast):
        self.app = app
        app.internal_routes.register("s3-website", self._website_path_form)
        app.internal_routes.register("lambda", self._lambda_code_download)
        app.internal_routes.register("lambda-url", self._lambda_url_path_form)

    def match(self, request: Request) -> Handler | None:
        host = request.headers.get("host", "")
        if ".s3-website" in host:
            return self.website.matcher(request)
        if ".lambda-url." in host:
            return self.lambda_url.matcher(request)
        handler = self.execute_api.match(request)  # invoke URLs and custom domain names
        if handler is not None:
            return handler
        method = request.method
        if method == "OPTIONS":
            return self.s3_cors.matcher(request)
        if method == "POST" and request.headers.get("content-type", "").startswith("multipart/form-data"):
            return self.s3_post_object.matcher(request)
        return None

    @cached_property
    def website(self) -> Any:
        from overcast.services.s3.website import WebsiteEndpoint

        return WebsiteEndpoint(self.app.internal)

    @cached_property
    def execute_api(self) -> Any:
        from overcast.services.apigateway.invoke.endpoint import ExecuteApiEndpoint

        return ExecuteApiEndpoint(self.app.registry)

    @cached_property
    def lambda_url(self) -> Any:
        from overcast.services.lambda_.url_endpoint import FunctionUrlEndpoint

        return FunctionUrlEndpoint(self.app.registry)

    @cached_property
    def s3_cors(self) -> Any:
        from overcast.services.s3.cors import CorsEndpoint

        return CorsEndpoint(self.app.internal)

    @cached_property
    def s3_post_object(self) -> Any:
        from overcast.services.s3.post_object import PostObjectEndpoint

        return PostObjectEndpoint(self.app.internal, self.app.config.credential_map, self.app.clock)

    async def _website_path_form(self, request: Request) -> Response:
        return await self.website.serve_path_form(request)

    async def _lambda_url_path_form(self, request: Request) -> Response:
        """/_overcast/lambda-url/<url-id>/<path>: a function URL for clients that cannot set Host."""
        return await self.lambda_url.serve_path_form(request)

    async def _lambda_code_download(self, request: Request) -> Response:
        """GetFunction's Code.Location: served by Lambda, loaded on demand (after a restart the
        link may be followed before any Lambda API call)."""
        self.app.registry.get("lambda")
        from overcast.services.lambda_.code_download import handle_code_download

        return await handle_code_download(request)
