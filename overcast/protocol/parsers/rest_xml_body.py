"""XML request bodies read into Python values by shape (the rest-xml body codec).

Readers are compiled once per shape into closures over plain dicts, and documents are parsed
with xml.etree after refusing any DTD: no entity tricks (billion laughs, external entities) can
reach the parser.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLParser

from overcast.protocol.compiling import compile_once
from overcast.protocol.model import Shape
from overcast.protocol.values import parse_bool_text, parse_timestamp

Reader = Callable[[Element], Any]

_PLAIN, _FLAT_LIST, _FLAT_MAP = 0, 1, 2


class XmlBodyError(Exception):
    """The body is not well-formed XML, or does not fit the shape."""


class MissingMember(XmlBodyError):
    def __init__(self, shape: str, member: str):
        super().__init__(f"{shape}.{member} is required")
        self.member = member


def parse_xml(body: bytes) -> Element:
    """The document's root element; refuses DTDs, which well-behaved AWS clients never send."""
    if b"<!" in body:
        upper = body.upper()
        if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
            raise XmlBodyError("DTDs are not allowed")
    parser = XMLParser()
    try:
        parser.feed(body)
        return parser.close()
    except ParseError as exc:
        raise XmlBodyError(str(exc)) from None


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def _text(elem: Element) -> str:
    return elem.text or ""


def _scalar(convert: Callable[[str], Any]) -> Reader:
    def read(elem: Element) -> Any:
        try:
            return convert((elem.text or "").strip())
        except (ValueError, TypeError, OverflowError, binascii.Error, IndexError) as exc:
            raise XmlBodyError(str(exc)) from None

    return read


def _blob(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


class XmlReaders:
    """Compiled readers for one service model."""

    def __init__(self) -> None:
        # By shape name: how a member is named and flattened is the parent structure's business.
        self._cache: dict[str, Reader] = {}

    def reader(self, shape: Shape) -> Reader:
        key = shape.name
        found = self._cache.get(key)
        if found is not None:
            return found
        return compile_once(self._cache, key, lambda: self._compile(shape))

    def _compile(self, shape: Shape) -> Reader:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        if kind == "string":
            return _text
        if kind in ("integer", "long", "short", "byte"):
            return _scalar(int)
        if kind in ("float", "double"):
            return _scalar(float)
        if kind == "boolean":
            return _scalar(parse_bool_text)
        if kind == "timestamp":
            return _scalar(parse_timestamp)
        if kind == "blob":
            return _scalar(_blob)
        return _text

    def _structure(self, shape: Shape) -> Reader:
        by_tag: dict[str, tuple[str, Reader, int]] = {}
        attributes: list[tuple[str, str]] = []
        for name, member in shape.members.items():
            if member.location:
                continue
            if member.trait("xmlAttribute"):
                attributes.append(((member.location_name or name).rpartition(":")[2], name))
                continue
            tag = member.location_name or name
            mode = _PLAIN
            if member.trait("flattened") and member.type_name == "list":
                mode = _FLAT_LIST
                tag = member.member.location_name or tag
                item_reader = self.reader(member.member)
            elif member.trait("flattened") and member.type_name == "map":
                mode = _FLAT_MAP
                item_reader = self._map_entries(member)
            else:
                item_reader = self.reader(member)
            by_tag[tag] = (name, item_reader, mode)
        required = tuple(n for n in shape.required_members if not shape.members[n].location)
        shape_name = shape.name

        def read(elem: Element) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for child in elem:
                tag = child.tag
                if tag[:1] == "{":
                    tag = tag.rpartition("}")[2]
                spec = by_tag.get(tag)
                if spec is None:
                    continue
                name, item_reader, mode = spec
                if mode == _PLAIN:
                    out[name] = item_reader(child)
                elif mode == _FLAT_LIST:
                    out.setdefault(name, []).append(item_reader(child))
                else:
                    pair = item_reader(child)
                    out.setdefault(name, {})[pair.key] = pair.value
            if attributes and elem.attrib:
                for key, value in elem.attrib.items():
                    key = key.rpartition("}")[2] if key[:1] == "{" else key.rpartition(":")[2]
                    for attr, name in attributes:
                        if attr == key:
                            out[name] = value
            for name in required:
                if name not in out:
                    raise MissingMember(shape_name, name)
            return out

        return read

    def _list(self, shape: Shape) -> Reader:
        item = self.reader(shape.member)

        def read(elem: Element) -> list[Any]:
            return [item(child) for child in elem]

        return read

    def _map(self, shape: Shape) -> Reader:
        entry = self._map_entries(shape)

        def read(elem: Element) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for child in elem:
                pair = entry(child)
                out[pair.key] = pair.value
            return out

        return read

    def _map_entries(self, shape: Shape) -> Callable[[Element], _MapEntry]:
        key_tag = shape.key.location_name or "key"
        value_tag = shape.value.location_name or "value"
        key_reader = self.reader(shape.key)
        value_reader = self.reader(shape.value)

        def read(elem: Element) -> _MapEntry:
            key: Any = None
            value: Any = None
            for child in elem:
                tag = local_name(child.tag)
                if tag == key_tag:
                    key = key_reader(child)
                elif tag == value_tag:
                    value = value_reader(child)
            if key is None:
                raise XmlBodyError("map entry without a key")
            return _MapEntry(key, value)

        return read


class _MapEntry:
    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any):
        self.key = key
        self.value = value
