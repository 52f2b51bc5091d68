"""The Smithy RPC v2 CBOR request parser (CloudWatch).

`POST /service/<ServiceName>/operation/<Operation>` with `smithy-protocol: rpc-v2-cbor` and a
CBOR map keyed by member names. Blobs are CBOR byte strings and timestamps CBOR tag 1 (epoch
seconds), which cbor2 already decodes to bytes and aware datetimes; the JSON reader compiler
does the rest with readers for those two types.

Also here: the CBOR variant of the json protocol that the AWS Java SDKs send to Kinesis, which
JsonParser hands over when a request says application/x-amz-cbor-1.1.
"""

from __future__ import annotations

import struct
from typing import Any

import cbor2

from overcast.protocol.errors import SerializationError, UnknownOperation
from overcast.protocol.model import OperationModel, ServiceModel
from overcast.protocol.parsers.awsjson import ReaderCompiler, TreeParser, read_cbor_blob, read_cbor_timestamp
from overcast.protocol.values import ValueConversionError, from_epoch
from overcast.server.http import Request


class RpcV2CborParser(TreeParser):
    cache_key = "rpcv2cbor.reader"

    def __init__(self, model: ServiceModel):
        super().__init__(model, ReaderCompiler(blob=read_cbor_blob, timestamp=read_cbor_timestamp))
        self.service_name: str = model.metadata.get("targetPrefix", "")

    def find_operation(self, request: Request) -> OperationModel:
        # /service/<ServiceName>/operation/<Operation>, possibly under a path prefix.
        parts = request.path.rstrip("/").split("/")
        if len(parts) < 5 or parts[-2] != "operation" or parts[-4] != "service":
            raise UnknownOperation()
        service, name = parts[-3], parts[-1]
        if (self.service_name and service != self.service_name) or not self.model.has_operation(name):
            raise UnknownOperation()
        return self.model.operation(name)

    async def parse(self, request: Request) -> tuple[OperationModel, dict[str, Any]]:
        operation = self.find_operation(request)
        body = await request.body.read()
        if not body:
            data: Any = {}
        else:
            try:
                data = cbor2.loads(body)
            except Exception as exc:  # cbor2 raises several types for broken input
                raise SerializationError(f"Unable to parse the request body as CBOR: {exc}") from None
        if data is None:
            data = {}
        if type(data) is not dict:
            raise SerializationError("Unexpected CBOR value: expected the request map.")
        return operation, self.read_input(operation, data)


# -- the json protocol in CBOR (application/x-amz-cbor-1.1) --------------------------------------
#
# The AWS Java SDKs send Kinesis requests as CBOR by default: the same document as the JSON
# body, with blobs as byte strings and timestamps as tag 1 holding epoch MILLISECONDS (not the
# seconds that RFC 8949 and Smithy's rpcv2Cbor use), which is why cbor2 cannot read it.

AWS_CBOR_CONTENT_TYPE = "application/x-amz-cbor-1.1"
_BREAK = 0xFF
_FLOATS = {25: (">e", 2), 26: (">f", 4), 27: (">d", 8)}
_SIMPLE = {20: False, 21: True, 22: None, 23: None}


def _argument(data: bytes, pos: int, info: int) -> tuple[int, int]:
    if info < 24:
        return info, pos
    size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if size is None or pos + size > len(data):
        raise ValueConversionError("malformed CBOR length")
    return int.from_bytes(data[pos : pos + size], "big"), pos + size


def _cbor_item(data: bytes, pos: int) -> tuple[Any, int]:
    initial = data[pos]
    pos += 1
    major, info = initial >> 5, initial & 0x1F
    if major == 0:
        return _argument(data, pos, info)
    if major == 1:
        value, pos = _argument(data, pos, info)
        return -1 - value, pos
    if major in (2, 3):
        if info == 31:
            chunks = []
            while data[pos] != _BREAK:
                chunk, pos = _cbor_item(data, pos)
                chunks.append(chunk)
            return (b"" if major == 2 else "").join(chunks), pos + 1
        length, pos = _argument(data, pos, info)
        raw = data[pos : pos + length]
        if len(raw) != length:
            raise ValueConversionError("truncated CBOR string")
        return (raw if major == 2 else raw.decode("utf-8")), pos + length
    if major == 4:
        items = []
        if info == 31:
            while data[pos] != _BREAK:
                item, pos = _cbor_item(data, pos)
                items.append(item)
            return items, pos + 1
        count, pos = _argument(data, pos, info)
        for _ in range(count):
            item, pos = _cbor_item(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        mapping: dict[Any, Any] = {}
        if info == 31:
            while data[pos] != _BREAK:
                key, pos = _cbor_item(data, pos)
                mapping[key], pos = _cbor_item(data, pos)
            return mapping, pos + 1
        count, pos = _argument(data, pos, info)
        for _ in range(count):
            key, pos = _cbor_item(data, pos)
            mapping[key], pos = _cbor_item(data, pos)
        return mapping, pos
    if major == 6:
        tag, pos = _argument(data, pos, info)
        value, pos = _cbor_item(data, pos)
        if tag == 1:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueConversionError("tag 1 must hold a number")
            return from_epoch(value / 1000), pos
        return value, pos
    if info in _SIMPLE:
        return _SIMPLE[info], pos
    if info in _FLOATS:
        fmt, size = _FLOATS[info]
        if pos + size > len(data):
            raise ValueConversionError("truncated CBOR float")
        return struct.unpack(fmt, data[pos : pos + size])[0], pos + size
    raise ValueConversionError(f"unsupported CBOR item {initial:#x}")


def decode_aws_cbor(data: bytes) -> Any:
    """One CBOR data item, with tag 1 read as epoch milliseconds."""
    try:
        value, end = _cbor_item(data, 0)
    except (IndexError, UnicodeDecodeError, struct.error, TypeError) as exc:
        raise ValueConversionError(f"malformed CBOR: {exc}") from None
    if end != len(data):
        raise ValueConversionError("trailing bytes after the CBOR item")
    return value


class AwsCborReader(TreeParser):
    """Reads the CBOR variant of a json-protocol body (byte-string blobs, tagged timestamps)."""

    cache_key = "awsjson.cbor.reader"

    def __init__(self, model: ServiceModel):
        super().__init__(model, ReaderCompiler(blob=read_cbor_blob, timestamp=read_cbor_timestamp))
