"""The rest-xml response serializer (CloudFront; S3 through its subclass in s3.py)."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel
from overcast.protocol.serializers.rest_common import OutputPlan, RestSerializer, format_iso8601
from overcast.protocol.serializers.rest_xml_body import (
    XML_DECLARATION,
    XmlWriters,
    escape_text,
    namespace_attribute,
)
from overcast.server.context import RequestContext
from overcast.server.http import Response


class RestXmlSerializer(RestSerializer):
    content_type = "application/xml"

    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.writers = XmlWriters()

    @cached_property
    def service_namespace(self) -> str:
        """The namespace AWS puts on this service's documents, as the model's payloads declare it."""
        for name in self.model.operation_names:
            op = self.model.operation(name)
            for shape in (op.output_shape, op.input_shape):
                if shape is None:
                    continue
                ns = shape.trait("xmlNamespace")
                if not ns and shape.payload_member:
                    ns = shape.members[shape.payload_member].trait("xmlNamespace")
                if ns:
                    return ns if isinstance(ns, str) else ns.get("uri", "")
        return ""

    def root_name(self, op: OperationModel, plan: OutputPlan) -> str:
        shape = plan.shape
        return (shape.location_name if shape is not None else None) or f"{op.name}Result"

    def encode_payload(self, op: OperationModel, plan: OutputPlan, value: Any) -> bytes:
        member_name, member = plan.payload()
        out: list[str] = [XML_DECLARATION]
        self.writers.writer(member)(value, member.location_name or member_name, out)
        return self._with_root_namespace(out, member.trait("xmlNamespace"))

    def encode_body(self, op: OperationModel, plan: OutputPlan, output: dict[str, Any]) -> bytes | None:
        shape = plan.bound_shape()
        out: list[str] = [XML_DECLARATION]
        self.writers.writer(shape)(output, self.root_name(op, plan), out)
        return self._with_root_namespace(out, shape.trait("xmlNamespace"))

    def _with_root_namespace(self, out: list[str], declared: Any) -> bytes:
        if not declared and self.service_namespace:
            root = out[1]
            # The root's opening tag is the first piece written; close bracket stays last.
            if root.endswith("/>"):
                out[1] = root[:-2] + namespace_attribute(self.service_namespace) + "/>"
            else:
                head, sep, tail = root.partition(">")
                out[1] = head + namespace_attribute(self.service_namespace) + sep + tail
        return "".join(out).encode("utf-8")

    # -- errors -------------------------------------------------------------------------------

    def error_fields_xml(self, error: ServiceError, fields: dict[str, Any]) -> str:
        if not fields:
            return ""
        shape = self.error_shape(error)
        members = shape.members if shape is not None else {}
        out: list[str] = []
        for key, value in fields.items():
            if value is None:
                continue
            member = members.get(key)
            if member is not None:
                self.writers.writer(member)(value, member.location_name or key, out)
            elif isinstance(value, datetime):
                out.append(f"<{key}>{format_iso8601(value)}</{key}>")
            elif isinstance(value, bool):
                out.append(f"<{key}>{'true' if value else 'false'}</{key}>")
            else:
                out.append(f"<{key}>{escape_text(str(value))}</{key}>")
        return "".join(out)

    def serialize_error(
        self, ctx: RequestContext, operation: OperationModel | None, error: ServiceError
    ) -> Response:
        headers, fields = self.error_headers(ctx, error)
        if not self.error_has_body(ctx, error):
            return Response(status=error.status, headers=headers, body=b"")
        kind = "Sender" if error.sender_fault else "Receiver"
        body = (
            f"{XML_DECLARATION}<ErrorResponse{namespace_attribute(self.service_namespace)}><Error>"
            f"<Type>{kind}</Type><Code>{escape_text(error.code)}</Code>"
            f"<Message>{escape_text(error.message or '')}</Message>{self.error_fields_xml(error, fields)}</Error>"
            f"<RequestId>{escape_text(ctx.request_id)}</RequestId></ErrorResponse>"
        )
        headers.append(("Content-Type", self.content_type))
        return Response(status=error.status, headers=headers, body=body.encode("utf-8"))
