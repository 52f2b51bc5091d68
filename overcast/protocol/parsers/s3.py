"""S3's quirks on top of rest-xml: virtual-hosted buckets, S3's own error codes."""

from __future__ import annotations

import re
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel
from overcast.protocol.parsers.rest_common import InputPlan
from overcast.protocol.parsers.rest_xml import RestXmlParser
from overcast.server.http import Request

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
# `<bucket>.s3.amazonaws.com`, `<bucket>.s3.<region>.amazonaws.com`, `<bucket>.s3-<region>...`,
# dualstack and accelerate forms; never s3-website (static sites are served elsewhere).
_AWS_HOST = re.compile(
    r"^(?P<bucket>.+?)\.s3(?:-accelerate)?(?:\.dualstack)?(?:[.-]" + _REGION + r")?\.amazonaws\.com$"
)
_LOCAL_S3_HOST = re.compile(r"^(?P<bucket>.+?)\.s3(?:\." + _REGION + r")?\.localhost$")
_WEBSITE_HOST = re.compile(r"\.s3-website[.-]")
_HOST_CACHE_LIMIT = 1024


def bucket_from_host(host_name: str) -> str | None:
    """The bucket a virtual-hosted request names in its Host, or None for path style."""
    host = host_name.lower()
    if _WEBSITE_HOST.search(host):
        return None
    if host.endswith(".amazonaws.com"):
        m = _AWS_HOST.match(host)
        return m.group("bucket") if m else None
    if host.endswith(".localhost"):
        m = _LOCAL_S3_HOST.match(host)
        if m:
            return m.group("bucket")
        rest = host[: -len(".localhost")]
        if rest == "s3" or rest.startswith("s3."):
            return None
        return rest or None
    return None


# Listings whose non-integer count S3 reports with its own message (see bad_value).
_KEBAB_COUNT_ARGUMENTS = frozenset({("ListObjectVersions", "max-keys"), ("ListMultipartUploads", "max-uploads")})


class S3Parser(RestXmlParser):
    # GET / is ListBuckets; directory buckets only exist on S3 Express endpoints.
    preferred_operations = ("ListBuckets",)
    ignored_bad_headers = frozenset(
        {
            "if-modified-since",
            "if-unmodified-since",
            "x-amz-copy-source-if-modified-since",
            "x-amz-copy-source-if-unmodified-since",
        }
    )

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self._host_buckets: dict[str, str | None] = {}

    def routing_path(self, request: Request) -> str:
        # Keyed by the Host header as sent (request.host): its bucket is a function of it, and
        # the port need not be cut off on every request.
        host = request.headers.get("host", "")
        try:
            bucket = self._host_buckets[host]
        except KeyError:
            bucket = bucket_from_host(request.host_name)
            if len(self._host_buckets) < _HOST_CACHE_LIMIT:
                self._host_buckets[host] = bucket
        if bucket is None:
            return request.path
        path = request.path
        return "/" + bucket + (path if path.startswith("/") else "/" + path)

    def no_operation(self, request: Request) -> ServiceError:
        path = self.routing_path(request)
        if path == "/":
            resource = "SERVICE"
        elif path.rstrip("/").count("/") == 1:
            resource = "BUCKET"
        else:
            resource = "OBJECT"
        allowed = [
            method
            for method, routes in self.routes.by_method.items()
            if any(route.pattern.match(path) for route in routes)
        ]
        return ServiceError(
            "The specified method is not allowed against this resource.",
            code="MethodNotAllowed",
            status=405,
            headers={"Allow": ", ".join(allowed)} if allowed else None,
            Method=request.method.upper(),
            ResourceType=resource,
        )

    def bad_value(self, op: OperationModel, wire_name: str, text: str, shape_type: str) -> ServiceError:
        # S3 names the argument in camelCase (max-keys -> maxKeys) in both message and fields.
        head, *rest = wire_name.split("-")
        argument = head + "".join(part[:1].upper() + part[1:] for part in rest)
        if argument == "partNumber":
            message = "Part number must be an integer between 1 and 10000, inclusive"
        elif wire_name == "x-amz-object-lock-retain-until-date":
            # Object Lock names its date header as sent (S3's answer as versitygw#1733 reports it).
            return ServiceError("The retain until date must be provided in ISO 8601 format", code="InvalidArgument",
                                status=400, ArgumentName=wire_name, ArgumentValue=text)
        elif (op.name, wire_name) in _KEBAB_COUNT_ARGUMENTS:
            # These two listings word a non-integer count their own way, the argument kebab-cased
            # (responses recorded against s3.amazonaws.com; other S3 implementations' suites).
            return ServiceError(f"Provided {wire_name} not an integer or within integer range",
                                code="InvalidArgument", status=400, ArgumentName=wire_name, ArgumentValue=text)
        elif shape_type in ("integer", "long"):
            message = f"Argument {argument} must be an integer between 0 and 2147483647"
        else:
            message = f"Invalid Argument: {argument}"
        return ServiceError(
            message, code="InvalidArgument", status=400, ArgumentName=argument, ArgumentValue=text
        )

    def bad_uri(self) -> ServiceError:
        return ServiceError("Couldn't parse the specified URI.", code="InvalidURI", status=400)

    def missing_member(self, op: OperationModel, member: str, plan: InputPlan) -> ServiceError:
        if member == plan.payload_member:
            return self.malformed_body(op, f"missing {member}")
        if member == "Bucket":
            return ServiceError("Bucket name is required.", code="InvalidBucketName", status=400)
        shape = plan.shape
        wire = (shape.members[member].location_name or member) if shape is not None else member
        return ServiceError(
            f"Missing required header for this request: {wire}"
            if shape is not None and shape.members[member].location == "header"
            else f"Missing required parameter: {wire}",
            code="InvalidRequest",
            status=400,
        )

    async def parse(self, request: Request) -> tuple[OperationModel, dict[str, Any]]:
        op, params = await super().parse(request)
        if op.name == "ListBuckets" and "max-directory-buckets" in request.query:
            # The two share GET /; only directory-bucket listings carry this parameter.
            op = self.model.operation("ListDirectoryBuckets")
            return op, await self.read_input(op, request, ())
        decoded = request.headers.get("x-amz-decoded-content-length")
        if decoded is not None and "ContentLength" in params:
            # With aws-chunked bodies Content-Length counts the framing; the object is this long.
            try:
                params["ContentLength"] = int(decoded)
            except ValueError:
                raise self.bad_value(op, "x-amz-decoded-content-length", decoded, "integer") from None
        return op, params
