"""The rest-xml request parser (CloudFront; S3 through its subclass in s3.py)."""

from __future__ import annotations

from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import OperationModel, ServiceModel
from overcast.protocol.parsers.rest_common import InputPlan, RestParser
from overcast.protocol.parsers.rest_xml_body import XmlBodyError, XmlReaders, parse_xml


class RestXmlParser(RestParser):
    def __init__(self, model: ServiceModel):
        super().__init__(model)
        self.readers = XmlReaders()
        codes = model.error_shapes_by_code
        # The model's own code for bad input, where it has one (CloudFront: InvalidArgument).
        self.invalid_input_code = next(
            (c for c in ("InvalidArgument", "InvalidInput", "ValidationException") if c in codes),
            "InvalidArgument",
        )

    def malformed_body(self, op: OperationModel, detail: str) -> ServiceError:
        return ServiceError(
            "The XML you provided was not well-formed or did not validate against our published schema",
            code="MalformedXML",
            status=400,
        )

    def bad_value(self, op: OperationModel, wire_name: str, text: str, shape_type: str) -> ServiceError:
        return ServiceError(
            f"Invalid value for {wire_name}: {text!r} is not a valid {shape_type}.",
            code=self.invalid_input_code,
            status=400,
        )

    def missing_member(self, op: OperationModel, member: str, plan: InputPlan) -> ServiceError:
        if member == plan.payload_member:
            return self.malformed_body(op, f"missing {member}")
        shape = plan.shape
        wire = shape.members[member].location_name or member if shape is not None else member
        return ServiceError(f"Missing required parameter: {wire}", code=self.invalid_input_code, status=400)

    async def decode_payload(self, op: OperationModel, plan: InputPlan, body: bytes) -> Any:
        try:
            root = parse_xml(body)
            return self.readers.reader(plan.payload()[1])(root)
        except (XmlBodyError, RecursionError) as exc:
            raise self.malformed_body(op, str(exc)) from None

    async def decode_body(
        self, op: OperationModel, plan: InputPlan, body: bytes, params: dict[str, Any]
    ) -> None:
        if not body.strip():
            return
        try:
            root = parse_xml(body)
            # Body members sit under the input's root element, with located members skipped.
            values = self.readers.reader(plan.bound_shape())(root)
        except (XmlBodyError, RecursionError) as exc:
            raise self.malformed_body(op, str(exc)) from None
        params.update(values)
