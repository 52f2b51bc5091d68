"""Shared by the compiled readers, writers and checks: each shape is compiled once, and a shape
that contains itself (a tree node holding a list of nodes) must not compile forever."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

Compiled = TypeVar("Compiled", bound=Callable[..., Any] | None)


def compile_once(cache: dict[Any, Compiled], key: Hashable, build: Callable[[], Compiled]) -> Compiled:
    """`build()` for a key the cache does not hold yet; the caller has looked it up.

    While `build` runs, the cache holds a forwarder to the function being built, so that members
    reaching the same shape again capture the forwarder instead of recursing. A build may return
    None (nothing to do for this shape); the forwarder then does nothing.
    """
    cell: list[Compiled] = []

    def forward(*args: Any) -> Any:
        target = cell[0]
        return target(*args) if target is not None else None

    cache[key] = cast(Compiled, forward)
    built = build()
    cell.append(built)
    cache[key] = built
    return built
