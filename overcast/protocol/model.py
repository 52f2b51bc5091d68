"""Service models, read from botocore's data files without importing botocore.

botocore's own model classes pull in most of botocore (about 150 ms of imports), which would put
start-up over budget; the JSON is all we need. A model is loaded on its service's first request
and cached for the life of the process. Shapes are resolved lazily and memoised, so a request
never walks the raw JSON twice.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any


def _botocore_data_dir() -> str:
    # Locate botocore's data directory from its installed location without importing it.
    import importlib.util

    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed; Overcast reads its service models")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


@cache
def _latest_api_dir(service: str) -> str:
    base = os.path.join(_botocore_data_dir(), service)
    versions = sorted(v for v in os.listdir(base) if os.path.isdir(os.path.join(base, v)))
    return os.path.join(base, versions[-1])


def _read_json(path_without_gz: str) -> dict[str, Any]:
    if os.path.exists(path_without_gz):
        with open(path_without_gz, "rb") as fh:
            return json.loads(fh.read())
    with gzip.open(path_without_gz + ".gz", "rb") as fh:
        return json.loads(fh.read())


class Shape:
    """One shape of a service model, with the traits of the member reference that led to it.

    `name` is the shape's own name; `member_traits` holds the traits set on the reference
    (location, locationName, xmlNamespace, hostLabel, ...) which override the shape's own.
    """

    __slots__ = ("model", "name", "raw", "member_traits", "__dict__")

    def __init__(self, model: ServiceModel, name: str, member_traits: dict[str, Any] | None = None):
        self.model = model
        self.name = name
        self.raw: dict[str, Any] = model.raw_shapes[name]
        self.member_traits: dict[str, Any] = member_traits or {}

    def __repr__(self) -> str:
        return f"<Shape {self.name} {self.type_name}>"

    def trait(self, key: str, default: Any = None) -> Any:
        if key in self.member_traits:
            return self.member_traits[key]
        return self.raw.get(key, default)

    @property
    def type_name(self) -> str:
        return self.raw["type"]

    @property
    def location(self) -> str | None:
        return self.member_traits.get("location")

    @property
    def location_name(self) -> str | None:
        return self.member_traits.get("locationName") or self.raw.get("locationName")

    @cached_property
    def members(self) -> dict[str, Shape]:
        """Structure members in model order (empty for non-structures)."""
        out: dict[str, Shape] = {}
        for member_name, ref in self.raw.get("members", {}).items():
            traits = {k: v for k, v in ref.items() if k != "shape"}
            out[member_name] = self.model.shape(ref["shape"], traits)
        return out

    @cached_property
    def required_members(self) -> list[str]:
        return list(self.raw.get("required", []))

    @cached_property
    def member(self) -> Shape:
        """Element shape of a list."""
        ref = self.raw["member"]
        return self.model.shape(ref["shape"], {k: v for k, v in ref.items() if k != "shape"})

    @cached_property
    def key(self) -> Shape:
        ref = self.raw["key"]
        return self.model.shape(ref["shape"], {k: v for k, v in ref.items() if k != "shape"})

    @cached_property
    def value(self) -> Shape:
        ref = self.raw["value"]
        return self.model.shape(ref["shape"], {k: v for k, v in ref.items() if k != "shape"})

    @property
    def is_streaming(self) -> bool:
        return bool(self.raw.get("streaming") or self.raw.get("eventstream"))

    @property
    def payload_member(self) -> str | None:
        return self.raw.get("payload")

    @property
    def enum(self) -> list[str]:
        return self.raw.get("enum", [])

    @property
    def is_error(self) -> bool:
        return bool(self.raw.get("exception"))

    @property
    def error_info(self) -> dict[str, Any]:
        return self.raw.get("error", {})


@dataclass
class HttpBinding:
    method: str
    request_uri: str
    response_code: int


@dataclass
class OperationModel:
    model: ServiceModel
    name: str
    raw: dict[str, Any]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def http(self) -> HttpBinding:
        http = self.raw.get("http", {})
        return HttpBinding(
            method=http.get("method", "POST"),
            request_uri=http.get("requestUri", "/"),
            response_code=int(http.get("responseCode", 200)),
        )

    @cached_property
    def input_shape(self) -> Shape | None:
        ref = self.raw.get("input")
        if not ref:
            return None
        return self.model.shape(ref["shape"], {k: v for k, v in ref.items() if k != "shape"})

    @cached_property
    def output_shape(self) -> Shape | None:
        ref = self.raw.get("output")
        if not ref:
            return None
        return self.model.shape(ref["shape"], {k: v for k, v in ref.items() if k != "shape"})

    @cached_property
    def error_shapes(self) -> list[Shape]:
        return [self.model.shape(ref["shape"]) for ref in self.raw.get("errors", [])]

    @property
    def cache(self) -> dict[str, Any]:
        """Per-operation scratch space where parsers and serializers keep compiled forms."""
        return self._cache


class ServiceModel:
    """A service's API model: metadata, operations and shapes."""

    def __init__(self, service: str, raw: dict[str, Any]):
        self.service = service
        self.raw = raw
        self.metadata: dict[str, Any] = raw["metadata"]
        self.raw_shapes: dict[str, dict[str, Any]] = raw["shapes"]
        self._shapes: dict[tuple[str, tuple], Shape] = {}
        self._operations: dict[str, OperationModel] = {}

    @property
    def protocol(self) -> str:
        return self.metadata["protocol"]

    @property
    def protocols(self) -> list[str]:
        return self.metadata.get("protocols") or [self.metadata["protocol"]]

    @property
    def operation_names(self) -> list[str]:
        return list(self.raw["operations"].keys())

    def operation(self, name: str) -> OperationModel:
        op = self._operations.get(name)
        if op is None:
            op = OperationModel(self, name, self.raw["operations"][name])
            self._operations[name] = op
        return op

    def has_operation(self, name: str) -> bool:
        return name in self.raw["operations"]

    def shape(self, name: str, member_traits: dict[str, Any] | None = None) -> Shape:
        key = (
            name,
            tuple(sorted((member_traits or {}).items(), key=lambda kv: kv[0])) if member_traits else (),
        )
        try:
            return self._shapes[key]
        except (KeyError, TypeError):
            pass
        shape = Shape(self, name, member_traits)
        try:
            self._shapes[key] = shape
        except TypeError:  # unhashable trait values (rare): do not memoise
            pass
        return shape

    @cached_property
    def error_shapes_by_code(self) -> dict[str, Shape]:
        out: dict[str, Shape] = {}
        for name, raw in self.raw_shapes.items():
            if raw.get("exception"):
                code = raw.get("error", {}).get("code", name)
                out[code] = self.shape(name)
                out.setdefault(name, self.shape(name))
        return out


_MODELS: dict[str, ServiceModel] = {}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def load_service_model(service: str) -> ServiceModel:
    """The service's model from botocore's data, loaded once per process.

    `service` is botocore's data directory name (s3, lambda, dynamodb, cloudwatch, ...).
    """
    model = _MODELS.get(service)
    if model is None:
        api_dir = _latest_api_dir(service)
        raw = _read_json(os.path.join(api_dir, "service-2.json"))
        extras = os.path.join(api_dir, "service-2.sdk-extras.json")
        if os.path.exists(extras) or os.path.exists(extras + ".gz"):
            # botocore's clients merge these (S3's Expires becomes a timestamp); so must we.
            _merge(raw, _read_json(extras).get("merge", {}))
        model = ServiceModel(service, raw)
        _MODELS[service] = model
    return model
