"""Bucket policies: validation as S3 does it on PutBucketPolicy, and evaluation for anonymous
requests (the website endpoint and unsigned REST calls).

Evaluation is deliberately the part of IAM that public buckets rely on: an explicit Deny wins,
otherwise an Allow whose principal is everyone ("*" or {"AWS": "*"}), whose action matches
(wildcards allowed) and whose resource matches (wildcards allowed) grants access. Conditions
are honoured for the common aws:SourceIp / aws:SecureTransport / aws:Referer keys only when
they can be decided; a statement with a condition that cannot be decided does not apply.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from overcast.protocol.errors import ServiceError

_VALID_TOP_LEVEL = {"Version", "Id", "Statement"}
_VALID_STATEMENT = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                    "NotResource", "Condition"}
_VERSIONS = {"2012-10-17", "2008-10-17"}


class MalformedPolicy(ServiceError):
    code = "MalformedPolicy"
    status = 400


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def validate_policy(text: str, bucket: str) -> dict[str, Any]:
    """Parse and check a bucket policy document; raise MalformedPolicy as S3 words it."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    try:
        policy = json.loads(text)
    except ValueError:
        raise MalformedPolicy("This policy contains invalid Json") from None
    if not isinstance(policy, dict):
        raise MalformedPolicy("This policy contains invalid Json")
    for key in policy:
        if key not in _VALID_TOP_LEVEL:
            raise MalformedPolicy(f"Unknown field {key}")
    if "Version" in policy and policy["Version"] not in _VERSIONS:
        raise MalformedPolicy("The policy must contain a valid version string")
    if "Statement" not in policy:
        raise MalformedPolicy("Missing required field Statement")
    statements = _as_list(policy["Statement"])
    if not statements:
        raise MalformedPolicy("Could not parse the policy: Statement is empty!")
    for statement in statements:
        _validate_statement(statement, bucket)
    return policy


def _validate_statement(statement: Any, bucket: str) -> None:
    if not isinstance(statement, dict):
        raise MalformedPolicy("This policy contains invalid Json")
    for key in statement:
        if key not in _VALID_STATEMENT:
            raise MalformedPolicy(f"Unknown field {key}")
    if "Effect" not in statement:
        raise MalformedPolicy("Missing required field Effect")
    if statement["Effect"] not in ("Allow", "Deny"):
        raise MalformedPolicy(f"Invalid effect: {statement['Effect']}")
    if "Principal" not in statement and "NotPrincipal" not in statement:
        raise MalformedPolicy("Missing required field Principal")
    if "Action" not in statement and "NotAction" not in statement:
        raise MalformedPolicy("Missing required field Action")
    if "Resource" not in statement and "NotResource" not in statement:
        raise MalformedPolicy("Missing required field Resource")
    for action in _as_list(statement.get("Action", statement.get("NotAction"))):
        if not isinstance(action, str) or not (action == "*" or action.lower().startswith("s3:")):
            raise MalformedPolicy("Policy has invalid action")
    for resource in _as_list(statement.get("Resource", statement.get("NotResource"))):
        if not isinstance(resource, str):
            raise MalformedPolicy("Policy has invalid resource")
        if resource != "*" and not _resource_names_bucket(resource, bucket):
            raise MalformedPolicy("Policy has invalid resource")


def _resource_names_bucket(resource: str, bucket: str) -> bool:
    prefix = "arn:aws:s3:::"
    if not resource.startswith(prefix):
        return False
    name = resource[len(prefix):].split("/", 1)[0]
    return fnmatch.fnmatchcase(bucket, name)


def _principal_is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in _as_list(principal.get("AWS", []))
    return False


def _matches_any(patterns: list[Any], value: str, *, case_insensitive: bool = False) -> bool:
    for pattern in patterns:
        if not isinstance(pattern, str):
            continue
        if case_insensitive:
            if fnmatch.fnmatchcase(value.lower(), pattern.lower()):
                return True
        elif fnmatch.fnmatchcase(value, pattern):
            return True
    return False


def _statement_applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Principal" in statement and not _principal_is_everyone(statement["Principal"]):
        return False
    if "NotPrincipal" in statement:
        return False  # NotPrincipal with anonymous callers: never grants here
    if "Action" in statement:
        if not _matches_any(_as_list(statement["Action"]), action, case_insensitive=True):
            return False
    elif _matches_any(_as_list(statement.get("NotAction", [])), action, case_insensitive=True):
        return False
    if "Resource" in statement:
        if not _matches_any(_as_list(statement["Resource"]), resource):
            return False
    elif _matches_any(_as_list(statement.get("NotResource", [])), resource):
        return False
    # Conditions cannot be checked for an anonymous caller on loopback: such a statement does
    # not apply (an Allow then grants nothing; a Deny does not deny).
    return not statement.get("Condition")


def anonymous_allowed(policy: dict[str, Any] | None, action: str, bucket: str, key: str | None = None) -> bool:
    """Whether the policy lets anyone perform `action` (e.g. "s3:GetObject") on the bucket or key."""
    if not policy:
        return False
    resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    allowed = False
    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, dict) or not _statement_applies(statement, action, resource):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def policy_is_public(policy: dict[str, Any] | None) -> bool:
    """Whether any Allow statement grants to everyone (what BlockPublicPolicy refuses)."""
    if not policy:
        return False
    return any(
        isinstance(s, dict) and s.get("Effect") == "Allow" and _principal_is_everyone(s.get("Principal"))
        and not s.get("Condition")
        for s in _as_list(policy.get("Statement", []))
    )
