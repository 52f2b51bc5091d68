"""API keys, usage plan throttling and quotas, and per-method stage throttling."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from overcast.services.apigateway.invoke.errors import GatewayError, forbidden

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.gateway import Gateway
    from overcast.services.apigateway.invoke.pipeline import Invocation


class TokenBucket:
    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = max(burst, 1) if rate > 0 else burst
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def throttled() -> GatewayError:
    return GatewayError("THROTTLED", 429, "Too Many Requests", error_type="TooManyRequestsException")


def quota_exceeded() -> GatewayError:
    return GatewayError("QUOTA_EXCEEDED", 429, "Limit Exceeded", error_type="LimitExceededException")


def period_start(period: str, today: dt.date) -> dt.date:
    if period == "WEEK":
        return today - dt.timedelta(days=today.weekday())
    if period == "MONTH":
        return today.replace(day=1)
    return today


def check_api_key(gateway: Gateway, inv: Invocation, key_value: str | None) -> None:
    """403 Forbidden unless the key exists, is enabled and a usage plan ties it to this stage;
    then the plan's throttle and quota."""
    if not key_value:
        raise forbidden()
    store = gateway.provider.store
    key = next((k for k in store.list("apikey", inv.account, inv.region) if k.get("value") == key_value), None)
    if key is None or not key.get("enabled"):
        raise forbidden()
    plan = None
    for candidate in store.list("usageplan", inv.account, inv.region):
        if key["id"] in (candidate.get("_keys") or {}) and any(
                s.get("apiId") == inv.api_id and s.get("stage") == inv.stage_name
                for s in candidate.get("apiStages") or []):
            plan = candidate
            break
    if plan is None:
        raise forbidden()
    inv.api_key = key
    api_stage = next(s for s in plan.get("apiStages") or []
                     if s.get("apiId") == inv.api_id and s.get("stage") == inv.stage_name)
    # A per-method throttle of the plan's API stage ("/pets/GET") applies on top of the plan's own.
    method_path = f"{inv.resource.get('path', '/').rstrip('/')}/{inv.verb}"
    method_throttle = (api_stage.get("throttle") or {}).get(method_path)
    for scope, throttle in (("plan", plan.get("throttle")), (method_path, method_throttle)):
        if not throttle or (throttle.get("rateLimit") is None and throttle.get("burstLimit") is None):
            continue
        bucket_key = ("plan", plan["id"], key["id"], scope)
        bucket = gateway.buckets.get(bucket_key)
        if bucket is None:
            bucket = gateway.buckets[bucket_key] = TokenBucket(
                float(throttle.get("rateLimit") or 0), int(throttle.get("burstLimit") or 0))
        if not bucket.take():
            raise throttled()
    today = dt.datetime.fromtimestamp(gateway.provider.clock.time(), dt.UTC).date()
    meter = gateway.provider.usage
    quota = plan.get("quota") or {}
    if quota.get("limit") is not None:
        start = period_start(quota.get("period") or "DAY", today)
        days = (start + dt.timedelta(days=n) for n in range((today - start).days + 1))
        if meter.used((inv.account, inv.region, plan["id"], key["id"], day.isoformat()) for day in days) \
                >= int(quota["limit"]):
            raise quota_exceeded()
    # Written behind the response: see usage_meter for what a crash can lose, and why.
    meter.record((inv.account, inv.region, plan["id"], key["id"], today.isoformat()))


def method_setting(stage: dict[str, Any] | None, inv: Invocation) -> dict[str, Any]:
    """The stage's settings for this method: its own entry over the */* entry."""
    if not stage:
        return {}
    settings = stage.get("methodSettings") or {}
    if not settings:
        return {}
    own = f"{inv.resource.get('path', '/').lstrip('/')}/{inv.verb}".lstrip("/")
    merged = dict(settings.get("*/*") or {})
    merged.update(settings.get(own) or {})
    return merged


def check_stage_throttle(gateway: Gateway, inv: Invocation, setting: dict[str, Any]) -> None:
    rate = setting.get("throttlingRateLimit")
    burst = setting.get("throttlingBurstLimit")
    if rate is None or (rate >= 10000 and (burst or 5000) >= 5000):
        return
    key = ("stage", inv.api_id, inv.stage_name, inv.resource.get("path"), inv.verb)
    bucket = gateway.buckets.get(key)
    if bucket is None or bucket.rate != rate or bucket.burst != (burst or 0):
        bucket = gateway.buckets[key] = TokenBucket(float(rate), int(burst or 0))
    if not bucket.take():
        raise throttled()
