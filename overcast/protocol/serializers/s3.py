"""S3's quirks on top of rest-xml: its root element names, GetBucketLocation, its error body."""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import AsyncIterator
from functools import cached_property
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel
from overcast.protocol.serializers.rest_common import OutputPlan
from overcast.protocol.serializers.rest_xml import RestXmlSerializer
from overcast.protocol.serializers.rest_xml_body import XML_DECLARATION, escape_text
from overcast.server.context import RequestContext
from overcast.server.http import Response

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

# The root elements S3 writes; botocore's model no longer names them on the output shapes.
_ROOT_NAMES = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
    "CreateSession": "CreateSessionResult",
}


async def _no_body() -> AsyncIterator[bytes]:
    return
    yield b""  # makes this an async generator that yields nothing


def host_id(request_id: str) -> str:
    """A stable x-amz-id-2 for a request id (S3 sends an opaque base64 token there)."""
    return binascii.b2a_base64(hashlib.sha256(request_id.encode()).digest(), newline=False).decode()


class S3Serializer(RestXmlSerializer):
    @cached_property
    def service_namespace(self) -> str:
        return S3_NAMESPACE

    def root_name(self, op: OperationModel, plan: OutputPlan) -> str:
        return _ROOT_NAMES.get(op.name) or super().root_name(op, plan)

    def request_id_headers(self, ctx: RequestContext) -> list[tuple[str, str]]:
        return [("x-amz-request-id", ctx.request_id), ("x-amz-id-2", host_id(ctx.request_id))]

    def serialize(self, ctx: RequestContext, operation: OperationModel, output: dict[str, Any]) -> Response:
        response = super().serialize(ctx, operation, output)
        if operation.name in ("GetObject", "HeadObject") and output and output.get("ContentRange"):
            # The model has no status member for it, but a ranged read is 206 Partial Content.
            response.status = 206
        return response

    def encode_body(self, op: OperationModel, plan: OutputPlan, output: dict[str, Any]) -> bytes | None:
        if op.name == "GetBucketLocation":
            # A bare text element, not a structure; us-east-1 is written as no constraint at all.
            region = output.get("LocationConstraint") or ""
            if region == "us-east-1":
                region = ""
            return (
                f'{XML_DECLARATION}<LocationConstraint xmlns="{S3_NAMESPACE}">{escape_text(region)}'
                "</LocationConstraint>"
            ).encode()
        return super().encode_body(op, plan, output)

    def serialize_error(
        self, ctx: RequestContext, operation: OperationModel | None, error: ServiceError
    ) -> Response:
        headers, fields = self.error_headers(ctx, error)
        if error.status == 304:
            # Not Modified describes the representation the client already has: S3 sends
            # neither a Content-Type nor a Content-Length (a bytes body would get "0").
            return Response(status=304, headers=headers, body=_no_body())
        if not self.error_has_body(ctx, error):
            return Response(status=error.status, headers=headers, body=b"")
        body = (
            f"{XML_DECLARATION}\n<Error><Code>{escape_text(error.code)}</Code>"
            f"<Message>{escape_text(error.message or '')}</Message>{self.error_fields_xml(error, fields)}"
            f"<RequestId>{escape_text(ctx.request_id)}</RequestId><HostId>{host_id(ctx.request_id)}</HostId></Error>"
        )
        headers.append(("Content-Type", self.content_type))
        return Response(status=error.status, headers=headers, body=body.encode("utf-8"))
