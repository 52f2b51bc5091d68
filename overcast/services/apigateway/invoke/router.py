"""Route matching for a deployed API: the most specific resource wins (a literal path part over
`{param}` over `{proxy+}`), and a method that the resource lacks falls back to ANY."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote


class _Node:
    __slots__ = ("resource", "literal", "variable", "greedy")

    def __init__(self, resource: dict[str, Any]):
        self.resource = resource
        self.literal: dict[str, _Node] = {}
        self.variable: tuple[str, _Node] | None = None
        self.greedy: tuple[str, _Node] | None = None


class Route:
    __slots__ = ("resource", "method", "path_params")

    def __init__(self, resource: dict[str, Any], method: dict[str, Any] | None, path_params: dict[str, str]):
        self.resource = resource
        self.method = method
        self.path_params = path_params


_MAX_CACHED_ROUTES = 1024


class Router:
    def __init__(self, resources: dict[str, dict[str, Any]]):
        # (verb, path) -> Route: a deployment never changes, and most APIs see few distinct paths.
        self._routes: dict[tuple[str, str], Route | None] = {}
        nodes = {rid: _Node(r) for rid, r in resources.items()}
        self.root: _Node | None = None
        for node in nodes.values():
            parent_id = node.resource.get("parentId")
            if parent_id is None:
                self.root = node
                continue
            parent = nodes.get(parent_id)
            if parent is None:
                continue
            part = node.resource["pathPart"]
            if part.startswith("{") and part.endswith("+}"):
                parent.greedy = (part[1:-2], node)
            elif part.startswith("{") and part.endswith("}"):
                parent.variable = (part[1:-1], node)
            else:
                parent.literal[part] = node

    def match(self, path: str, verb: str) -> Route | None:
        """The route for a request path (still percent-encoded) and HTTP method, or None. The
        Route is shared by every request for that path: callers read it, never change it."""
        key = (verb, path)
        try:
            return self._routes[key]
        except KeyError:
            pass
        route = self._match_route(path, verb)
        if len(self._routes) >= _MAX_CACHED_ROUTES:
            self._routes.clear()
        self._routes[key] = route
        return route

    def _match_route(self, path: str, verb: str) -> Route | None:
        if self.root is None:
            return None
        segments = [s for s in path.split("/") if s]
        params: dict[str, str] = {}
        node = self._match(self.root, segments, 0, verb, params)
        if node is None:
            return None
        if node.resource.get("pathPart", "").endswith("+}") and "//" in path:
            # A greedy parameter keeps the empty segments inside what it covers, as AWS passes
            # /a//b on ({proxy: "a//b"}); routing itself ignores them.
            name = node.resource["pathPart"][1:-2]
            params[name] = _greedy_rest(path, len(segments) - params[name].count("/") - 1)
        methods = node.resource.get("resourceMethods") or {}
        method = methods.get(verb) or methods.get("ANY")
        # As the request sent them, not URL-decoded (LocalStack's AWS-validated
        # test_lambda_aws_proxy_integration: {proxy+} of .../test%2Balias@gmail.com keeps its %2B).
        return Route(node.resource, method, dict(params))

    def _match(self, node: _Node, segments: list[str], i: int, verb: str, params: dict[str, str]) -> _Node | None:
        if i == len(segments):
            return node if _has_method(node, verb) else None
        segment = segments[i]
        child = node.literal.get(unquote(segment))
        if child is not None:
            found = self._match(child, segments, i + 1, verb, params)
            if found is not None:
                return found
        if node.variable is not None:
            name, child = node.variable
            params[name] = segment
            found = self._match(child, segments, i + 1, verb, params)
            if found is not None:
                return found
            del params[name]
        if node.greedy is not None:
            name, child = node.greedy
            if _has_method(child, verb):
                params[name] = "/".join(segments[i:])
                return child
        return None


def _greedy_rest(path: str, skip: int) -> str:
    """The path after its first `skip` non-empty segments, with empty segments inside kept and
    the trailing slash dropped."""
    parts = path.split("/")
    seen = 0
    for index, part in enumerate(parts):
        if part:
            if seen == skip:
                return "/".join(parts[index:]).rstrip("/")
            seen += 1
    return ""


def _has_method(node: _Node, verb: str) -> bool:
    methods = node.resource.get("resourceMethods") or {}
    return verb in methods or "ANY" in methods


def path_params_for(resource_path: str, request_path: str) -> dict[str, str]:
    """Path parameters of a request path known to address `resource_path` (TestInvokeMethod)."""
    params: dict[str, str] = {}
    parts = [p for p in resource_path.split("/") if p]
    segments = [s for s in request_path.split("/") if s]
    for i, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            params[part[1:-2]] = unquote("/".join(segments[i:]))
            break
        if part.startswith("{") and part.endswith("}") and i < len(segments):
            params[part[1:-1]] = unquote(segments[i])
    return params
