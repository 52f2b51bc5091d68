"""Whether a Lambda function's resource policy lets API Gateway invoke it.

On AWS, API Gateway calls Lambda as the service principal apigateway.amazonaws.com with the
method's execute-api ARN as aws:SourceArn; without a matching AddPermission statement the call
fails ("Invalid permissions on Lambda function") and the client gets 500. An integration (or
authorizer) with a credentials role calls as that role instead, which Overcast does not
evaluate: any role is taken as allowed.

The policy is read through the internal client (GetPolicy), so Lambda stays the owner of its
records; the decision is cached by the policy's text, which changes with every AddPermission
and RemovePermission, so the cache never outlives the policy it was computed from.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import ServiceError

if TYPE_CHECKING:
    from overcast.services.internal import InternalClient

PRINCIPAL = "apigateway.amazonaws.com"
INVOKE_ACTION = "lambda:invokefunction"
_MAX_DECISIONS = 4096


@lru_cache(maxsize=1024)
def _glob(pattern: str, case_sensitive: bool = True) -> re.Pattern[str]:
    """IAM's wildcards: * any run of characters, ? one character, nothing else special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.S if case_sensitive else re.S | re.I)


def arn_like(pattern: str, arn: str) -> bool:
    """IAM's ArnLike: the six colon-separated parts are matched one by one, wildcards inside each
    (the last part, the resource, keeps any further colons)."""
    wanted, actual = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return False
    return all(_glob(w).fullmatch(a) is not None for w, a in zip(wanted, actual, strict=True))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, services: tuple[str, ...]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if any(service in services for service in _as_list(principal.get("Service"))):
        return True
    return "*" in _as_list(principal.get("AWS"))


def _action_matches(actions: Any) -> bool:
    return any(_glob(str(a), case_sensitive=False).fullmatch(INVOKE_ACTION) for a in _as_list(actions))


def _condition_holds(condition: dict[str, Any] | None, source_arn: str, account: str) -> bool:
    """Every condition API Gateway's request can satisfy; any other key (an organization, an
    event source token, a function URL's auth type) is one it cannot."""
    for operator, entries in (condition or {}).items():
        for key, expected in (entries or {}).items():
            values = [str(v) for v in _as_list(expected)]
            key = key.lower()
            if key == "aws:sourcearn":
                if operator == "ArnLike":
                    ok = any(arn_like(v, source_arn) for v in values)
                elif operator == "StringLike":
                    ok = any(_glob(v).fullmatch(source_arn) is not None for v in values)
                else:
                    ok = operator in ("ArnEquals", "StringEquals") and source_arn in values
            elif key == "aws:sourceaccount" and operator in ("StringEquals", "StringLike"):
                ok = any(_glob(v).fullmatch(account) is not None for v in values)
            else:
                ok = False
            if not ok:
                return False
    return True


def policy_allows(policy: dict[str, Any], source_arns: tuple[str, ...], account: str,
                  services: tuple[str, ...] = (PRINCIPAL,)) -> bool:
    """True when a statement allows the service principal (apigateway.amazonaws.com unless
    `services` names others: CloudWatch Logs' subscriptions) to invoke for one of `source_arns`
    (the method ARN's equivalent spellings) and no statement denies it."""
    allowed = False
    for statement in _as_list(policy.get("Statement")):
        if not isinstance(statement, dict):
            continue
        if not _principal_matches(statement.get("Principal"), services) or not _action_matches(statement.get("Action")):
            continue
        if not any(_condition_holds(statement.get("Condition"), arn, account) for arn in source_arns):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


class LambdaPermissions:
    def __init__(self, internal: InternalClient):
        self.internal = internal
        # (policy text, source ARNs, account) -> decision; the text is the invalidation key.
        self._decisions: dict[tuple[str, tuple[str, ...], str], bool] = {}

    async def allows(self, function: str, source_arns: tuple[str, ...], account: str, region: str) -> bool:
        try:
            answer = await self.internal.call("lambda", "GetPolicy", {"FunctionName": _policy_target(function)},
                                              account_id=account, region=region)
        except ServiceError:
            return False  # no policy, or no such function: API Gateway may not invoke it
        text = answer.get("Policy") or "{}"
        key = (text, source_arns, account)
        decision = self._decisions.get(key)
        if decision is None:
            try:
                policy = json.loads(text)
            except ValueError:
                policy = {}
            decision = isinstance(policy, dict) and policy_allows(policy, source_arns, account)
            if len(self._decisions) >= _MAX_DECISIONS:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision


def _policy_target(function: str) -> str:
    # $LATEST takes no policy of its own: invoking it is governed by the unqualified function's.
    return function[: -len(":$LATEST")] if function.endswith(":$LATEST") else function


def execute_api_arns(region: str, account: str, api_id: str, stage: str, verbs: tuple[str, ...],
                paths: tuple[str, ...]) -> tuple[str, ...]:
    """The method's execute-api ARN in each spelling a permission may have been written for: the
    request's verb or the method's own (ANY), the request path or the resource's path template."""
    base = f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/"
    out: list[str] = []
    for verb in verbs:
        for path in paths:
            arn = f"{base}{verb}/{path.lstrip('/')}"
            if arn not in out:
                out.append(arn)
    return tuple(out)
