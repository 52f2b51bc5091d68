"""The Condition block of a bucket policy: checked on PutBucketPolicy, evaluated for anonymous
requests against the keys such a request has (aws:SourceIp, aws:Referer, aws:SecureTransport,
aws:UserAgent, aws:CurrentTime, ...).

IAM's rules for a key that the request lacks: the condition is false, except for negated
operators (StringNotEquals, NotIpAddress, ...) and ...IfExists, which are true, and Null, which
tests exactly that.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from overcast.server.http import Request

_STRING = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
           "StringLike", "StringNotLike"}
_NUMERIC = {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
            "NumericGreaterThan", "NumericGreaterThanEquals"}
_DATE = {"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
         "DateGreaterThanEquals"}
_ARN = {"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"}
_OTHER = {"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null"}
OPERATORS = _STRING | _NUMERIC | _DATE | _ARN | _OTHER


def _split_operator(operator: str) -> tuple[str, str, bool]:
    """("ForAnyValue"/"ForAllValues"/"", base operator, if-exists)."""
    qualifier = ""
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if operator.startswith(prefix):
            qualifier, operator = prefix[:-1], operator[len(prefix):]
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator[: -len("IfExists")]
    return qualifier, operator, if_exists


def validate_conditions(condition: Any) -> None:
    """Raise ValueError with S3's MalformedPolicy message for a condition block it refuses."""
    if not isinstance(condition, dict):
        raise ValueError("This policy contains invalid Json")
    for operator, entries in condition.items():
        _, base, if_exists = _split_operator(operator)
        if base not in OPERATORS or (if_exists and base == "Null"):
            raise ValueError(f"Invalid Condition type : {operator}")
        if not isinstance(entries, dict):
            raise ValueError("This policy contains invalid Json")
        for key, values in entries.items():
            lowered = key.lower()
            if not (lowered.startswith("aws:") or lowered.startswith("s3:")):
                raise ValueError("Policy has an invalid condition key")
            if base in ("IpAddress", "NotIpAddress"):
                for value in values if isinstance(values, list) else [values]:
                    try:
                        ipaddress.ip_network(str(value), strict=False)
                    except ValueError:
                        raise ValueError("Invalid IP address in Conditions") from None


def request_context(*, source_ip: str | None, secure: bool, referer: str | None = None,
                    user_agent: str | None = None, now: float | None = None) -> dict[str, str]:
    """The condition keys of an anonymous request (lower-case names, as IAM compares them)."""
    context = {"aws:securetransport": "true" if secure else "false", "aws:principaltype": "Anonymous"}
    if source_ip:
        context["aws:sourceip"] = source_ip
    if referer:
        context["aws:referer"] = referer
    if user_agent:
        context["aws:useragent"] = user_agent
    if now is not None:
        moment = datetime.fromtimestamp(now, tz=UTC)
        context["aws:currenttime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        context["aws:epochtime"] = str(int(now))
    return context


def request_context_of(request: Request, now: float) -> dict[str, str]:
    """The condition keys of an anonymous HTTP request, as both the REST API and the website
    endpoint evaluate them."""
    return request_context(source_ip=request.client[0] if request.client else None,
                           secure=request.scheme == "https", referer=request.headers.get("referer"),
                           user_agent=request.headers.get("user-agent"), now=now)


def conditions_hold(condition: Any, context: dict[str, str]) -> bool:
    """Whether every operator of the block holds (a missing block holds)."""
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    for operator, entries in condition.items():
        if not isinstance(entries, dict):
            return False
        qualifier, base, if_exists = _split_operator(operator)
        for key, values in entries.items():
            wanted = [str(v) if not isinstance(v, bool) else ("true" if v else "false")
                      for v in (values if isinstance(values, list) else [values])]
            actual = context.get(key.lower())
            if base == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if not (if_exists or _negated(base) or qualifier == "ForAllValues"):
                    return False
                continue
            if not _compare(base, actual, wanted):
                return False
    return True


def _negated(base: str) -> bool:
    return "Not" in base


def _compare(base: str, actual: str, wanted: list[str]) -> bool:
    if base in _STRING or base in _ARN:
        ignore_case = base.endswith("IgnoreCase")
        like = "Like" in base or base.startswith("Arn")
        hit = any(_string_match(actual, value, like=like, ignore_case=ignore_case) for value in wanted)
        return not hit if _negated(base) else hit
    if base == "Bool":
        return actual.lower() in (v.lower() for v in wanted)
    if base == "BinaryEquals":
        return actual in wanted
    if base in ("IpAddress", "NotIpAddress"):
        hit = any(_ip_in(actual, value) for value in wanted)
        return not hit if base == "NotIpAddress" else hit
    if base in _NUMERIC:
        return _ordered(base.removeprefix("Numeric"), _number(actual), [_number(v) for v in wanted])
    if base in _DATE:
        return _ordered(base.removeprefix("Date"), _epoch(actual), [_epoch(v) for v in wanted])
    return False


def _string_match(actual: str, pattern: str, *, like: bool, ignore_case: bool) -> bool:
    if ignore_case:
        actual, pattern = actual.lower(), pattern.lower()
    if like:
        return fnmatch.fnmatchcase(actual, pattern.replace("[", "[[]"))
    return actual == pattern


def _ip_in(address: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _epoch(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _ordered(relation: str, actual: float | None, wanted: list[float | None]) -> bool:
    if actual is None:
        return False
    checks = {
        "Equals": lambda a, b: a == b,
        "NotEquals": lambda a, b: a != b,
        "LessThan": lambda a, b: a < b,
        "LessThanEquals": lambda a, b: a <= b,
        "GreaterThan": lambda a, b: a > b,
        "GreaterThanEquals": lambda a, b: a >= b,
    }
    check = checks[relation]
    if relation == "NotEquals":
        return all(value is not None and check(actual, value) for value in wanted)
    return any(value is not None and check(actual, value) for value in wanted)
