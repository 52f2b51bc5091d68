"""Finding a REST operation from method, path and query: each service's templates compiled once.

Templates are tried most specific first: more literal path segments, then more required query
keys (literal ones such as `?uploads`, and required querystring members such as `uploadId`),
then more required headers (S3's x-amz-copy-source tells CopyObject from PutObject).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from overcast.protocol.model import OperationModel, ServiceModel

_LABEL = re.compile(r"\{([^}]+)\}")


# -- routing ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Route:
    operation: OperationModel
    pattern: re.Pattern[str]
    labels: tuple[str, ...]  # the template's label names, in group order
    literal_query: tuple[tuple[str, str | None], ...]  # ("uploads", None), ("list-type", "2")
    member_query: tuple[str, ...]  # query keys of required querystring members
    member_headers: tuple[str, ...]  # lower-case names of required header members
    min_slashes: int
    max_slashes: int | None  # None: a greedy label takes any depth
    sort_key: tuple[int, ...] = field(default=())
    has_members: bool = True  # False: members_present is trivially true (most routes)

    def literal_query_matches(self, query: dict[str, str]) -> bool:
        for key, value in self.literal_query:
            got = query.get(key)
            if got is None or (value is not None and got != value):
                return False
        return True

    def members_present(self, query: dict[str, str], headers: dict[str, str]) -> bool:
        for key in self.member_query:
            if key not in query:
                return False
        for name in self.member_headers:
            if name not in headers:
                return False
        return True


def compile_template(
    request_uri: str,
) -> tuple[re.Pattern[str], tuple[str, ...], int, int | None, int, tuple]:
    path, _, query = request_uri.partition("?")
    labels: list[str] = []
    parts: list[str] = []
    literal_segments = 0
    greedy = False
    segments = path.split("/")[1:]
    for segment in segments:
        if not _LABEL.search(segment):
            parts.append(re.escape(segment))
            if segment:
                literal_segments += 1
            continue
        out = []
        pos = 0
        for m in _LABEL.finditer(segment):
            out.append(re.escape(segment[pos : m.start()]))
            name = m.group(1)
            if name.endswith("+"):
                greedy = True
                labels.append(name[:-1])
                out.append("(.+)")
            else:
                labels.append(name)
                out.append("([^/]+)")
            pos = m.end()
        out.append(re.escape(segment[pos:]))
        parts.append("".join(out))
    body = "/" + "/".join(parts)
    # A trailing slash is optional either way (`/bucket/` is the bucket; Lambda's
    # `/2015-03-31/functions/` is also reached without it), except on the root template.
    slashes = path.count("/")
    min_slashes = max_slashes = slashes
    if body == "/":
        pattern = "^/$"
    elif body.endswith("/"):
        pattern = "^" + body[:-1] + "/?$"
        min_slashes -= 1
    else:
        pattern = "^" + body + "/?$"
        max_slashes += 1
    literal_query: list[tuple[str, str | None]] = []
    for item in query.split("&") if query else []:
        key, eq, value = item.partition("=")
        literal_query.append((key, value if eq else None))
    return (
        re.compile(pattern, re.DOTALL),
        tuple(labels),
        min_slashes,
        None if greedy else max_slashes,
        literal_segments,
        tuple(literal_query),
    )


class RouteTable:
    """Every operation of a service by method, most specific template first."""

    def __init__(self, model: ServiceModel, preferred: tuple[str, ...] = ()):
        self.by_method: dict[str, list[Route]] = {}
        self.by_name: dict[str, Route] = {}
        for index, name in enumerate(model.operation_names):
            op = model.operation(name)
            pattern, labels, min_slashes, max_slashes, literal_segments, literal_query = compile_template(
                op.http.request_uri
            )
            member_query: list[str] = []
            member_headers: list[str] = []
            shape = op.input_shape
            if shape is not None:
                required = set(shape.required_members)
                for member_name, member in shape.members.items():
                    if member_name not in required:
                        continue
                    if member.location == "querystring" and member.type_name != "map":
                        member_query.append(member.location_name or member_name)
                    elif member.location == "header":
                        member_headers.append((member.location_name or member_name).lower())
            route = Route(
                operation=op,
                pattern=pattern,
                labels=labels,
                literal_query=literal_query,
                member_query=tuple(member_query),
                member_headers=tuple(member_headers),
                min_slashes=min_slashes,
                max_slashes=max_slashes,
            )
            route.has_members = bool(route.member_query or route.member_headers)
            route.sort_key = (
                -literal_segments,
                -(len(literal_query) + len(member_query)),
                -len(member_headers),
                0 if name in preferred else 1,
                1 if op.raw.get("deprecated") else 0,
                index,
            )
            self.by_method.setdefault(op.http.method.upper(), []).append(route)
            self.by_name[name] = route
        for routes in self.by_method.values():
            routes.sort(key=lambda r: r.sort_key)
        self._literal_keys: dict[str, frozenset[str]] = {
            method: frozenset(k for r in routes for k, _ in r.literal_query)
            for method, routes in self.by_method.items()
        }
        self._candidate_cache: dict[tuple[str, tuple[str, ...]], list[Route]] = {}
        # Requests without a query string (most object reads and writes), see _plain_routes.
        self._plain_member_headers: dict[str, frozenset[str]] = {
            method: frozenset(h for r in routes if not r.literal_query for h in r.member_headers)
            for method, routes in self.by_method.items()
        }
        # Past this depth every route's slash bounds give the same verdict.
        self._slash_cap = 1 + max(
            [r.min_slashes for rs in self.by_method.values() for r in rs]
            + [r.max_slashes for rs in self.by_method.values() for r in rs if r.max_slashes is not None],
            default=0,
        )
        self._plain_cache: dict[tuple[str, int, tuple[str, ...]], tuple[tuple[Route, ...], tuple[Route, ...]]] = {}
        # Operations that share one wire form; the later ones are tried when the first fails.
        self.twins: dict[str, tuple[OperationModel, ...]] = {}
        by_form: dict[tuple[str, str], list[Route]] = {}
        for routes in self.by_method.values():
            for route in routes:
                op = route.operation
                by_form.setdefault((op.http.method.upper(), op.http.request_uri), []).append(route)
        for group in by_form.values():
            if len(group) > 1 and all(not r.member_query and not r.member_headers for r in group):
                self.twins[group[0].operation.name] = tuple(r.operation for r in group[1:])

    def _candidates(self, method: str, query: dict[str, str]) -> list[Route]:
        """The method's routes whose literal query keys the request has, most specific first.

        Cached by the set of literal keys present, which well-formed requests keep to a handful.
        """
        literal_keys = self._literal_keys.get(method)
        if literal_keys is None:
            return []
        present = tuple(sorted(k for k in query if k in literal_keys)) if query else ()
        key = (method, present)
        found = self._candidate_cache.get(key)
        if found is None:
            have = set(present)
            found = [r for r in self.by_method[method] if all(k in have for k, _ in r.literal_query)]
            if len(self._candidate_cache) < 512:
                self._candidate_cache[key] = found
        return found

    def _plain_routes(self, method: str, slashes: int,
                      headers: dict[str, str]) -> tuple[tuple[Route, ...], tuple[Route, ...]]:
        """For a request without a query string: the routes its path depth allows, in order
        (loose), and those of them whose required members it carries (strict). Without a query
        no literal query can match and no querystring member is present, so these depend only
        on the depth and on which required headers are present: kept per such combination."""
        member_headers = self._plain_member_headers.get(method)
        present = () if not member_headers or member_headers.isdisjoint(headers) else tuple(
            sorted(h for h in member_headers if h in headers))
        key = (method, slashes, present)
        found = self._plain_cache.get(key)
        if found is None:
            loose = tuple(r for r in self._candidates(method, {}) if not (
                slashes < r.min_slashes or (r.max_slashes is not None and slashes > r.max_slashes)))
            have = set(present)
            strict = tuple(r for r in loose if not r.member_query and all(h in have for h in r.member_headers))
            found = (strict, loose)
            if len(self._plain_cache) < 512:
                self._plain_cache[key] = found
        return found

    def match(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[OperationModel, tuple[str, ...]] | None:
        """The operation and its raw (still percent-encoded) URI label values."""
        if not query:
            # What the loop below decides, from the routes _plain_routes leaves: the first whose
            # template fits among those whose members are present, else among all.
            strict, loose = self._plain_routes(method, min(path.count("/"), self._slash_cap), headers)
            tried: re.Pattern[str] | None = None
            m: re.Match[str] | None = None
            for group in (strict, loose):
                for plain in group:
                    if plain.pattern is not tried:
                        tried = plain.pattern
                        m = tried.match(path)
                    if m is not None:
                        return plain.operation, m.groups()
            return None
        hinted = query.get("x-id")
        if hinted is not None:
            # Newer SDKs name the operation in `x-id`; trust it when its template fits.
            named = self.by_name.get(hinted)
            if named is not None and named.operation.http.method.upper() == method:
                hinted_match = named.pattern.match(path)
                if hinted_match is not None:
                    return named.operation, hinted_match.groups()
        routes = self._candidates(method, query)
        if not routes:
            return None
        slashes = path.count("/")
        fallback: tuple[OperationModel, tuple[str, ...]] | None = None
        # Templates repeat (S3's /{Bucket}/{Key+} serves a dozen operations, and re.compile
        # hands out one object per pattern): a pattern just tried is not matched again.
        tried = None
        m = None
        for route in routes:
            if slashes < route.min_slashes or (route.max_slashes is not None and slashes > route.max_slashes):
                continue
            if route.literal_query and not route.literal_query_matches(query):
                continue  # a literal's value differs (list-type=2)
            if route.pattern is not tried:
                tried = route.pattern
                m = tried.match(path)
            if m is None:
                continue
            if route.has_members is False or route.members_present(query, headers):
                return route.operation, m.groups()
            if fallback is None:
                # Nothing more specific fits; validation will name what is missing.
                fallback = (route.operation, m.groups())
        return fallback
