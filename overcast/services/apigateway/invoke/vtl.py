"""Velocity mapping templates with API Gateway's semantics, on top of airspeed.

airspeed parses and evaluates VTL; this module adds what API Gateway's engine has and airspeed
lacks: `#break`, Java's string/map/list methods, Java-style rendering of values (`{a=1}`,
`[1, 2]`, `true`), undefined references rendering as nothing, and the `$input` and `$util`
objects. Compiled templates are cached by their text, so a deployed API parses each template
once.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed

from overcast.services.apigateway.invoke.jsonpath import evaluate_path

# -- Java-style rendering ----------------------------------------------------------------------


def java_str(value: Any) -> str:
    """A value as Java's toString renders it, which is what API Gateway writes into templates."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)) or type(value).__name__ in ("dict_keys", "dict_values"):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    return str(value)


def _java_double(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    if value == int(value) and abs(value) < 1e7:
        return f"{int(value)}.0"
    return repr(value)


# -- #break and a #foreach that honours it -----------------------------------------------------


class _BreakLoop(airspeed.TemplateExecutionError):
    """Raised by #break; a TemplateExecutionError so that airspeed passes it up unwrapped."""

    def __init__(self) -> None:  # no element: this is a signal, not an error
        pass


class BreakDirective(airspeed._Element):
    START = re.compile(r"#break\b(?:\s*\(\s*\$[a-z_][a-z0-9_.]*\s*\))?", re.S | re.I)

    def parse(self) -> None:
        self.identity_match(self.START)

    def evaluate_raw(self, stream, namespace, loader) -> None:
        raise _BreakLoop()


def _foreach_evaluate(self, stream, namespace, loader) -> None:
    iterable = self.value.calculate(namespace, loader)
    if iterable is None:
        return
    if hasattr(iterable, "keys"):
        iterable = list(iterable.keys())
    items = list(iterable)
    length = len(items)
    for counter, item in enumerate(items, 1):
        local = airspeed.LocalNamespace(namespace)
        local["velocityCount"] = counter
        local["velocityHasNext"] = counter < length
        local["foreach"] = {"count": counter, "index": counter - 1, "hasNext": counter < length,
                            "first": counter == 1, "last": counter == length}
        local[self.loop_var_name] = item
        try:
            self.block.evaluate(stream, local, loader)
        except _BreakLoop:
            return


def _reference_evaluate(self, stream, namespace, loader) -> None:
    value = None
    if self.expression is not None:
        value = self.expression.calculate(namespace, loader)
    if value is None:
        if self.alternate is not None:
            value = self.alternate.calculate(namespace, loader)
        if value is None:
            # API Gateway renders an undefined reference as nothing rather than its own text.
            return
    stream.write(java_str(value))


# airspeed has no hook for these, so its classes are extended in place; Overcast is the only user
# of airspeed in this process and every user wants API Gateway's behaviour.
airspeed.ForeachDirective.evaluate_raw = _foreach_evaluate
airspeed.FormalReference.evaluate_raw = _reference_evaluate
# Velocity 1.x identifiers may hold '-': #set($context.responseOverride.header.X-Request-Id = ...).
airspeed.SetDirective.PLACE = re.compile(r"\s*\$([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_-]*)*)", re.S | re.I)
# "#$ref" is a literal '#' followed by a reference in Velocity; airspeed took "#$" as text.
airspeed.Text.PLAIN = re.compile(
    r"((?:[^\\\$#]+|\\[\$#])+|\$[^!\{a-z0-9_]|\$$|#$|#[^\{\}a-zA-Z0-9#\*\$]+|\\.)", re.S | re.I)
if BreakDirective not in airspeed.UserDefinedDirective.DIRECTIVES:
    airspeed.UserDefinedDirective.DIRECTIVES.append(BreakDirective)


# -- Java methods on strings, maps and lists ---------------------------------------------------


def _index_of(s: str, sub: str, start: int = 0) -> int:
    return s.find(sub, start)


def _split(s: str, pattern: str, limit: int = 0) -> list[str]:
    parts = re.split(pattern, s, maxsplit=max(limit - 1, 0)) if limit > 0 else re.split(pattern, s)
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def _map_remove(m: dict, key: Any) -> Any:
    return m.pop(key, None)


def _list_remove(items: list, what: Any) -> Any:
    if isinstance(what, int) and not isinstance(what, bool):
        return items.pop(what)
    if what in items:
        items.remove(what)
        return True
    return False


_STRING_METHODS = {
    "length": len,
    "isEmpty": lambda s: len(s) == 0,
    "toUpperCase": str.upper,
    "toLowerCase": str.lower,
    "trim": str.strip,
    "contains": lambda s, x: str(x) in s,
    "startsWith": lambda s, x: s.startswith(x),
    "endsWith": lambda s, x: s.endswith(x),
    "equals": lambda s, x: s == x,
    "equalsIgnoreCase": lambda s, x: isinstance(x, str) and s.lower() == x.lower(),
    "indexOf": _index_of,
    "lastIndexOf": lambda s, x: s.rfind(x),
    "substring": lambda s, a, b=None: s[a:b] if b is not None else s[a:],
    "charAt": lambda s, i: s[i],
    "replace": lambda s, a, b: s.replace(str(a), str(b)),
    "replaceAll": lambda s, pattern, repl: re.sub(pattern, _java_replacement(repl), s),
    "replaceFirst": lambda s, pattern, repl: re.sub(pattern, _java_replacement(repl), s, count=1),
    "matches": lambda s, pattern: re.fullmatch(pattern, s, re.S) is not None,
    "split": _split,
    "concat": lambda s, x: s + x,
    "toString": lambda s: s,
    "hashCode": lambda s: _java_hash(s),
}


def _java_replacement(repl: str) -> str:
    # Java writes group references as $1; Python's re wants \1.
    return re.sub(r"\$(\d+)", r"\\\1", repl.replace("\\", "\\\\"))


def _java_hash(s: str) -> int:
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


_MAP_METHODS = {
    "size": len,
    "isEmpty": lambda m: not m,
    "containsKey": lambda m, k: k in m,
    "containsValue": lambda m, v: v in m.values(),
    "get": lambda m, k: m.get(k),
    "put": lambda m, k, v: m.__setitem__(k, v),
    "putAll": lambda m, other: m.update(other),
    "remove": _map_remove,
    "keySet": lambda m: list(m.keys()),
    "values": lambda m: list(m.values()),
    "entrySet": lambda m: [{"key": k, "value": v} for k, v in m.items()],
    "toString": java_str,
}

_LIST_METHODS = {
    "size": len,
    "isEmpty": lambda items: not items,
    "get": lambda items, i: items[i],
    "contains": lambda items, x: x in items,
    "add": lambda items, x: items.append(x) or True,
    "remove": _list_remove,
    "indexOf": lambda items, x: items.index(x) if x in items else -1,
    "set": lambda items, i, x: items.__setitem__(i, x),
    "toString": java_str,
}

_JAVA_METHODS: dict[type, dict[str, Any]] = {str: _STRING_METHODS, dict: _MAP_METHODS, list: _LIST_METHODS}
_original_name_or_call = airspeed.NameOrCall.calculate


def _name_or_call(self, current_object, loader, top_namespace):
    # Java's methods win over Python's same-named ones ($list.remove(0) removes by index,
    # $s.split(regex) splits on a pattern); a map key of that name still wins on a map.
    methods = _JAVA_METHODS.get(current_object.__class__)
    if (methods is not None and self.parameters is not None and self.name in methods
            and not (isinstance(current_object, dict) and self.name in current_object)):
        return methods[self.name](current_object, *self.parameters.calculate(top_namespace, loader))
    return _original_name_or_call(self, current_object, loader, top_namespace)


airspeed.NameOrCall.calculate = _name_or_call


# -- $input and $util ---------------------------------------------------------------------------


class InputVariable:
    """`$input`: the payload (request or integration response) and the method request's parameters."""

    def __init__(self, body: str, params: dict[str, dict[str, str]]):
        self.body = body
        self._params = params
        self._parsed: Any = _UNPARSED

    def _document(self) -> Any:
        if self._parsed is _UNPARSED:
            try:
                self._parsed = json.loads(self.body) if self.body else {}
            except ValueError:
                self._parsed = self.body
        return self._parsed

    def json(self, path: str = "$") -> str:
        found, value = evaluate_path(self._document(), path)
        if not found:
            return ""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def path(self, path: str = "$") -> Any:
        found, value = evaluate_path(self._document(), path)
        return value if found else None

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for location in ("path", "querystring", "header"):
            values = self._params.get(location, {})
            if name in values:
                return values[name]
        # Headers are matched without regard to case, as HTTP has them.
        lowered = name.lower()
        for key, value in self._params.get("header", {}).items():
            if key.lower() == lowered:
                return value
        return ""


_UNPARSED = object()


_JS_ESCAPES = {"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/",
               "\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r"}


def escape_javascript(value: Any) -> str:
    """Java's StringEscapeUtils.escapeJavaScript (commons-lang 2), which API Gateway uses."""
    if value is None:
        return ""
    text = java_str(value)
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        escaped = _JS_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif code < 32:
            out.append(f"\\u{code:04X}")
        elif code > 0x7F:
            if code > 0xFFFF:  # Java strings are UTF-16: two escapes for one code point
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
            else:
                out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    return "".join(out)


class UtilVariable:
    """`$util`."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:  # noqa: N802 - the name templates use
        return escape_javascript(value)

    @staticmethod
    def parseJson(value: Any) -> Any:  # noqa: N802
        return json.loads(value)

    @staticmethod
    def urlEncode(value: Any) -> str:  # noqa: N802
        # java.net.URLEncoder: space as '+', and '*' left alone while '~' is encoded.
        return quote_plus(java_str(value), safe="*").replace("~", "%7E")

    @staticmethod
    def urlDecode(value: Any) -> str:  # noqa: N802
        return unquote_plus(java_str(value))

    @staticmethod
    def base64Encode(value: Any) -> str:  # noqa: N802
        return base64.b64encode(java_str(value).encode("utf-8")).decode("ascii")

    @staticmethod
    def base64Decode(value: Any) -> str:  # noqa: N802
        # Java's decoder takes the text without its "=" padding too.
        text = java_str(value)
        return base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8", errors="replace")


UTIL = UtilVariable()


# -- rendering ----------------------------------------------------------------------------------


class TemplateError(Exception):
    """A template that cannot be parsed or evaluated (API Gateway answers 500)."""


@lru_cache(maxsize=4096)
def compile_template(text: str) -> airspeed.Template:
    template = airspeed.Template(text)
    try:
        template.ensure_compiled()
    except airspeed.TemplateSyntaxError as exc:
        raise TemplateError(str(exc)) from exc
    return template


def render(text: str, variables: dict[str, Any]) -> str:
    """Render a mapping template with `variables` ($input, $context, $stageVariables, ...)."""
    template = compile_template(text)
    namespace = {"util": UTIL, **variables}
    try:
        return template.merge(namespace)
    except airspeed.TemplateError as exc:
        raise TemplateError(str(exc)) from exc


# -- the fast path: templates that are only text and plain references --------------------------

_SIMPLE_REFERENCE = re.compile(r"\$(context|stageVariables)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_AFTER_REFERENCE = re.compile(r"[.(\[\-A-Za-z0-9_]")


class SimpleTemplate:
    """A template with no directives and no escapes whose references are all `$context.a.b` or
    `$stageVariables.x`: most response templates, and every constant one (a MOCK request
    template). It renders by joining strings, as airspeed would render it; anything it cannot
    decide the same way (a missing key, a null, a non-map along the path) returns None, and the
    caller renders the template in full."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[str | tuple[str, tuple[str, ...]]]):
        self.parts = parts

    def render(self, context: Any, stage_variables: dict[str, str]) -> str | None:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            root, names = part
            value: Any = context() if root == "context" else stage_variables
            for name in names:
                if not isinstance(value, dict):
                    return None
                value = value.get(name)
                if value is None:
                    return None
            out.append(java_str(value))
        return "".join(out)


@lru_cache(maxsize=4096)
def simple_template(text: str) -> SimpleTemplate | None:
    if "#" in text or "\\" in text:
        return None
    parts: list[str | tuple[str, tuple[str, ...]]] = []
    position = 0
    for match in _SIMPLE_REFERENCE.finditer(text):
        if "$" in text[position:match.start()] or _AFTER_REFERENCE.match(text, match.end()):
            return None
        if match.start() > position:
            parts.append(text[position:match.start()])
        parts.append((match.group(1), tuple(match.group(2)[1:].split("."))))
        position = match.end()
    if "$" in text[position:]:
        return None
    if position < len(text):
        parts.append(text[position:])
    return SimpleTemplate(parts)
