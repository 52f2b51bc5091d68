"""ARNs as the services read them when calling each other."""

from __future__ import annotations

from typing import TypeVar

Default = TypeVar("Default", str, None)


def arn_home(arn: str, account: Default, region: Default) -> tuple[str | Default, str | Default]:
    """The account and Region to call a resource in: those its ARN names (a notification, an
    integration or a destination may name another Region), else the given ones."""
    parts = arn.split(":")
    if not arn.startswith("arn:") or len(parts) < 5:
        return account, region
    return parts[4] or account, parts[3] or region
