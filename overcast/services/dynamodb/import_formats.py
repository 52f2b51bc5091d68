"""Reading ImportTable's source objects into items: decompression, DynamoDB JSON lines and CSV.

What counts as an error follows DynamoDB as ScyllaDB's test_import.py measured it on AWS: the
first line that cannot become an item of the table (not JSON, no Item member, a key missing or
of the wrong type, an empty attribute name, ...) is one error and abandons the rest of its
object; empty and blank lines are neither items nor errors; a zero-length object is no items.
"""

from __future__ import annotations

import base64
import csv
import functools
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.parsers.awsjson import ReaderCompiler, WrongValueType, wrong_type_error
from overcast.services.dynamodb.models import Table
from overcast.services.dynamodb.requests import validate_put_item

try:  # optional: ZSTD sources need the zstandard package
    import zstandard
except ImportError:  # pragma: no cover - depends on the environment
    zstandard = None


class SourceError(Exception):
    """A line, row or object that cannot become an item; its message is what the error log says."""


@dataclass
class ObjectOutcome:
    """What one source object gave: its items in order (duplicates kept), what was read."""
    key: str
    items: list[tuple[dict, int]] = field(default_factory=list)
    processed: int = 0  # items tried, the failing one included
    size: int = 0  # uncompressed bytes
    # (index of the item in the object, why it failed): one at most, as the object stops there
    failures: list[tuple[int, str]] = field(default_factory=list)


def zstd_available() -> bool:
    return zstandard is not None


def decompress(data: bytes, compression: str) -> bytes:
    try:
        if compression == "GZIP":
            return gzip.decompress(data) if data else b""
        if compression == "ZSTD":
            assert zstandard is not None, "refused at ImportTable when the package is missing"
            return zstandard.ZstdDecompressor().decompressobj().decompress(data) if data else b""
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise SourceError(f"Unable to decompress the object as {compression}: {exc}") from None
    except Exception as exc:  # zstandard.ZstdError and the like
        raise SourceError(f"Unable to decompress the object as {compression}: {exc}") from None
    return data


def read_source(key: str, table: Table, data: bytes, compression: str, input_format: str,
                options: dict | None) -> ObjectOutcome:
    """One source object as it came from S3: decompressed, then read."""
    try:
        data = decompress(data, compression)
    except SourceError as exc:
        return failed_object(key, str(exc))
    return read_object(key, table, data, input_format, options)


def failed_object(key: str, message: str) -> ObjectOutcome:
    """An object that could not be read at all: one error."""
    return ObjectOutcome(key, processed=1, failures=[(0, message)])


def read_object(key: str, table: Table, data: bytes, input_format: str, options: dict | None) -> ObjectOutcome:
    """Every item of one (decompressed) object, until its first bad one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return failed_object(key, "The object is not UTF-8 text")
    outcome = ObjectOutcome(key, size=len(data))
    raws = _json_lines(text) if input_format == "DYNAMODB_JSON" else _csv_rows(table, text, options or {})
    try:
        for raw in raws:
            outcome.processed += 1
            outcome.items.append(_item(table, raw))
    except (SourceError, csv.Error) as exc:  # csv.Error: quotes the reader cannot make sense of
        if outcome.processed == len(outcome.items):  # failed while reading it, before it was counted
            outcome.processed += 1
        outcome.failures.append((outcome.processed - 1, str(exc)))
    return outcome


def _item(table: Table, raw: Any) -> tuple[dict, int]:
    try:
        item, size = validate_put_item(table, raw)
    except ServiceError as exc:
        raise SourceError(exc.message) from None
    return item, size


@functools.cache
def _attribute_map_reader() -> Any:
    """PutItem's reader of an item as JSON carries it: each value's type checked as a request's
    would be (a BOOL that is a string, a B that is not base64, an M that is not an object), so a
    line's values reach validate_put_item in the shapes it expects."""
    shape = load_service_model("dynamodb").shape("PutItemInputAttributeMap")
    return ReaderCompiler().reader(shape)


def _json_lines(text: str) -> Iterator[Any]:
    # Lines end at "\n" alone: an export writes U+2028, U+0085 and the like raw inside strings.
    for line in text.split("\n"):
        if not line.strip():
            continue
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise SourceError("Unexpected token in the line: it is not JSON") from None
        if not isinstance(document, dict) or not isinstance(document.get("Item"), dict):
            raise SourceError("Expected 'Item' top level container")
        try:
            yield _attribute_map_reader()(document["Item"])
        except WrongValueType as exc:
            raise SourceError(wrong_type_error(exc).message) from None


def _csv_rows(table: Table, text: str, options: dict) -> Iterator[dict]:
    """Rows as items: "all columns other than the hash range and keys of your base table and
    secondary indexes are imported as DynamoDB strings" (developer guide, "Amazon S3 import
    formats for DynamoDB"); the key columns take the types their AttributeDefinitions give.
    The first line is the header unless HeaderList names the columns."""
    csv_options = options.get("Csv") or {}
    delimiter = csv_options.get("Delimiter") or ","
    # strict: an unterminated quote fails the object rather than swallowing the rows after it.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header = csv_options.get("HeaderList")
    types = table.attribute_types
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = row
            continue
        if len(row) != len(header):
            raise SourceError(f"The row has {len(row)} columns where the header names {len(header)}")
        item: dict[str, Any] = {}
        for name, value in zip(header, row, strict=True):
            kind = types.get(name, "S")
            if kind == "B":
                try:
                    item[name] = {"B": base64.b64decode(value, validate=True)}
                except ValueError:
                    raise SourceError(f"The value of {name} is not base64") from None
            else:
                item[name] = {kind: value}
        yield item
