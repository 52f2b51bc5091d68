"""XML bodies written from Python values by shape (the rest-xml body codec).

Writers are compiled once per shape into closures that append strings to a list, joined once
at the end: no DOM, and escaping only where a value needs it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from overcast.protocol.compiling import compile_once
from overcast.protocol.model import Shape
from overcast.protocol.serializers.rest_common import format_float, format_iso8601, timestamp_formatter

Writer = Callable[[Any, str, list], None]

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        # A bare CR would come back as LF after XML end-of-line handling.
        text = text.replace("\r", "&#xD;")
    return text


def escape_attribute(text: str) -> str:
    text = escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\n" in text or "\t" in text:
        text = text.replace("\n", "&#xA;").replace("\t", "&#x9;")
    return text


def namespace_attribute(namespace: Any) -> str:
    """The xmlns attribute text for a model's xmlNamespace trait ('' when there is none)."""
    if not namespace:
        return ""
    if isinstance(namespace, str):
        return f' xmlns="{escape_attribute(namespace)}"'
    uri = namespace.get("uri", "")
    prefix = namespace.get("prefix")
    return f' xmlns:{prefix}="{escape_attribute(uri)}"' if prefix else f' xmlns="{escape_attribute(uri)}"'


def _text_writer(convert: Callable[[Any], str]) -> Writer:
    def write(value: Any, name: str, out: list) -> None:
        out.append(f"<{name}>{convert(value)}</{name}>")

    return write


def _string(value: Any) -> str:
    return escape_text(value if isinstance(value, str) else str(value))


def _boolean(value: Any) -> str:
    return "true" if value else "false"


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def _float(value: Any) -> str:
    return str(format_float(value))


def _write_string(value: Any, name: str, out: list) -> None:
    if type(value) is not str:
        value = str(value)
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        value = escape_text(value)
    out.append(f"<{name}>{value}</{name}>")


def _write_number(value: Any, name: str, out: list) -> None:
    out.append(f"<{name}>{value}</{name}>")


def _write_boolean(value: Any, name: str, out: list) -> None:
    out.append(f"<{name}>true</{name}>" if value else f"<{name}>false</{name}>")


def _write_iso8601(value: Any, name: str, out: list) -> None:
    out.append(f"<{name}>{format_iso8601(value)}</{name}>")


# The common scalars without a namespace: one call, one append.
_FAST_WRITERS: dict[str, Writer] = {
    "string": _write_string,
    "integer": _write_number,
    "long": _write_number,
    "boolean": _write_boolean,
    "timestamp": _write_iso8601,
}


class XmlWriters:
    """Compiled writers for one service model."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Writer] = {}

    def writer(self, shape: Shape) -> Writer:
        ns = namespace_attribute(shape.trait("xmlNamespace"))
        key = (shape.name, ns)
        found = self._cache.get(key)
        if found is not None:
            return found
        return compile_once(self._cache, key, lambda: self._compile(shape, ns))

    def _compile(self, shape: Shape, ns: str) -> Writer:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, ns)
        if kind == "list":
            return self._list(shape, ns)
        if kind == "map":
            return self._map(shape, ns)
        if not ns:
            fast = _FAST_WRITERS.get(kind)
            if kind == "timestamp" and (shape.trait("timestampFormat") or "iso8601").lower() != "iso8601":
                fast = None
            if fast is not None:
                return fast
        if kind == "boolean":
            convert: Callable[[Any], str] = _boolean
        elif kind in ("float", "double"):
            convert = _float
        elif kind == "timestamp":
            fmt = timestamp_formatter(shape.trait("timestampFormat") or "iso8601")
            convert = lambda v: str(fmt(v))  # noqa: E731
        elif kind == "blob":
            convert = _blob
        elif kind == "string":
            convert = _string
        else:
            convert = str
        if ns:

            def write_ns(value: Any, name: str, out: list) -> None:
                out.append(f"<{name}{ns}>{convert(value)}</{name}>")

            return write_ns
        return _text_writer(convert)

    def _structure(self, shape: Shape, ns: str) -> Writer:
        plain, flat_list, flat_map, attribute = 0, 1, 2, 3
        spec: list[tuple[str, str, Any, int]] = []
        for name, member in shape.members.items():
            if member.location:
                continue
            tag = member.location_name or name
            if member.trait("xmlAttribute"):
                spec.append((name, tag, None, attribute))
            elif member.type_name == "list" and member.trait("flattened"):
                spec.append((name, member.member.location_name or tag, self.writer(member.member), flat_list))
            elif member.type_name == "map" and member.trait("flattened"):
                spec.append((name, tag, self._entry_writer(member), flat_map))
            else:
                spec.append((name, tag, self.writer(member), plain))
        # Members are written in the order the provider's dict holds them: SDKs read XML by
        # element name, and walking only the keys present beats walking the whole shape.
        by_name = {
            member_name: (tag, writer, mode) for member_name, tag, writer, mode in spec if mode != attribute
        }
        attr_spec = [(n, t) for n, t, _, mode in spec if mode == attribute]

        def write(value: dict[str, Any], name: str, out: list) -> None:
            attrs = ns
            if attr_spec:
                for member_name, tag in attr_spec:
                    v = value.get(member_name)
                    if v is not None:
                        attrs += f' {tag}="{escape_attribute(str(v))}"'
            out.append(f"<{name}{attrs}>")
            for member_name, v in value.items():
                if v is None:
                    continue
                found = by_name.get(member_name)
                if found is None:
                    continue
                tag, member_writer, mode = found
                if mode == plain:
                    member_writer(v, tag, out)
                elif mode == flat_list:
                    for item in v:
                        member_writer(item, tag, out)
                else:
                    for k, item in v.items():
                        member_writer(k, item, tag, out)
            out.append(f"</{name}>")

        return write

    def _list(self, shape: Shape, ns: str) -> Writer:
        item_writer = self.writer(shape.member)
        item_tag = shape.member.location_name or "member"

        def write(value: list[Any], name: str, out: list) -> None:
            out.append(f"<{name}{ns}>")
            for item in value:
                item_writer(item, item_tag, out)
            out.append(f"</{name}>")

        return write

    def _entry_writer(self, shape: Shape) -> Callable[[Any, Any, str, list], None]:
        key_writer = self.writer(shape.key)
        value_writer = self.writer(shape.value)
        key_tag = shape.key.location_name or "key"
        value_tag = shape.value.location_name or "value"

        def write(key: Any, value: Any, name: str, out: list) -> None:
            out.append(f"<{name}>")
            key_writer(key, key_tag, out)
            value_writer(value, value_tag, out)
            out.append(f"</{name}>")

        return write

    def _map(self, shape: Shape, ns: str) -> Writer:
        entry = self._entry_writer(shape)

        def write(value: dict[Any, Any], name: str, out: list) -> None:
            out.append(f"<{name}{ns}>")
            for k, v in value.items():
                entry(k, v, "entry", out)
            out.append(f"</{name}>")

        return write
