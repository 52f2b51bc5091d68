"""Bucket policies: validation as S3 does it on PutBucketPolicy, and evaluation for anonymous
requests (the website endpoint and unsigned REST calls).

Validation raises MalformedPolicy with S3's own messages, so that a policy that AWS would refuse
is refused here too. Evaluation is the part of IAM that public buckets rely on: an explicit Deny
wins, else an Allow that names everyone ("*" or {"AWS": "*"}), whose action and resource match
(wildcards allowed) and whose conditions hold for the request, as far as an anonymous request
can supply condition keys (policy_conditions.py).
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import lru_cache
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.services.s3.policy_conditions import conditions_hold, validate_conditions

_TOP_LEVEL = {"Version", "Id", "Statement"}
_STATEMENT_FIELDS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                     "NotResource", "Condition"}
_VERSIONS = {"2012-10-17", "2008-10-17"}
_PRINCIPAL_KINDS = {"AWS", "Service", "Federated", "CanonicalUser"}
_ARN_PREFIX = re.compile(r"^arn:aws(?:-cn|-us-gov)?:s3:::")
# "*", an account id, an IAM or STS ARN (CloudFront's origin access identities are IAM users of
# the "cloudfront" account, with spaces in their names), or the unique id AWS shows in place of
# a deleted principal.
_AWS_PRINCIPAL = re.compile(r"^(?:\*|\d{12}|arn:aws(?:-cn|-us-gov)?:(?:iam|sts)::[^:]*:.+|A[A-Z]{3}[A-Z0-9]{12,})$")

# Which kind of resource each S3 action applies to, as IAM's service reference lists them; a
# statement whose action applies to none of its resources is refused. Actions not listed here
# (new ones, say) are accepted with any resource rather than refused wrongly.
_OBJECT_ACTIONS = {
    "abortmultipartupload", "bypassgovernanceretention", "deleteobject", "deleteobjecttagging",
    "deleteobjectversion", "deleteobjectversiontagging", "getobject", "getobjectacl", "getobjectattributes",
    "getobjectlegalhold", "getobjectretention", "getobjecttagging", "getobjecttorrent", "getobjectversion",
    "getobjectversionacl", "getobjectversionattributes", "getobjectversionforreplication",
    "getobjectversiontagging", "getobjectversiontorrent", "initiatereplication", "listmultipartuploadparts",
    "objectowneroverridetobucketowner", "putobject", "putobjectacl", "putobjectlegalhold", "putobjectretention",
    "putobjecttagging", "putobjectversionacl", "putobjectversiontagging", "replicatedelete", "replicateobject",
    "replicatetags", "restoreobject",
}
_BUCKET_ACTION_PREFIXES = ("listbucket", "getbucket", "putbucket", "deletebucket", "createbucket")
_BUCKET_ACTIONS = {
    "getaccelerateconfiguration", "putaccelerateconfiguration", "getanalyticsconfiguration",
    "putanalyticsconfiguration", "getencryptionconfiguration", "putencryptionconfiguration",
    "getintelligenttieringconfiguration", "putintelligenttieringconfiguration", "getinventoryconfiguration",
    "putinventoryconfiguration", "getlifecycleconfiguration", "putlifecycleconfiguration",
    "getmetricsconfiguration", "putmetricsconfiguration", "getreplicationconfiguration",
    "putreplicationconfiguration", "deletereplicationconfiguration", "putobjectlockconfiguration",
    "getobjectlockconfiguration",
}
_ACCOUNT_ACTIONS = {"listallmybuckets", "createjob", "listjobs", "getaccesspoint", "listaccesspoints",
                    "putaccountpublicaccessblock", "getaccountpublicaccessblock"}
_KNOWN_ACTIONS = sorted(_OBJECT_ACTIONS | _BUCKET_ACTIONS | _ACCOUNT_ACTIONS | {
    "listbucket", "listbucketversions", "listbucketmultipartuploads", "createbucket", "deletebucket",
    "getbucketpolicy", "putbucketpolicy", "deletebucketpolicy", "getbucketwebsite", "putbucketwebsite",
    "deletebucketwebsite", "getbucketcors", "putbucketcors", "getbucketacl", "putbucketacl",
    "getbucketlocation", "getbucketversioning", "putbucketversioning", "getbuckettagging", "putbuckettagging",
    "getbucketnotification", "putbucketnotification", "getbucketlogging", "putbucketlogging",
    "getbucketpublicaccessblock", "putbucketpublicaccessblock", "getbucketownershipcontrols",
    "putbucketownershipcontrols",
})


class MalformedPolicy(ServiceError):
    code = "MalformedPolicy"
    status = 400


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---- validation ---------------------------------------------------------------------------------

def validate_policy(text: str, bucket: str) -> dict[str, Any]:
    """Parse and check a bucket policy document; raise MalformedPolicy as S3 words it."""
    if not text.lstrip().startswith("{"):
        raise MalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
    try:
        policy = json.loads(text)
    except ValueError:
        raise MalformedPolicy("This policy contains invalid Json") from None
    if not isinstance(policy, dict):
        raise MalformedPolicy("This policy contains invalid Json")
    for key in policy:
        if key not in _TOP_LEVEL:
            raise MalformedPolicy(f"Unknown field {key}")
    if "Version" in policy and policy["Version"] not in _VERSIONS:
        raise MalformedPolicy("The policy must contain a valid version string")
    if "Statement" not in policy:
        raise MalformedPolicy("Missing required field Statement")
    statements = as_list(policy["Statement"])
    if not statements or statements == [{}]:
        raise MalformedPolicy("Could not parse the policy: Statement is empty!")
    for statement in statements:
        _validate_statement(statement, bucket)
    return policy


def _validate_statement(statement: Any, bucket: str) -> None:
    if not isinstance(statement, dict):
        raise MalformedPolicy("This policy contains invalid Json")
    for key in statement:
        if key not in _STATEMENT_FIELDS:
            raise MalformedPolicy(f"Unknown field {key}")
    if "Effect" not in statement:
        raise MalformedPolicy("Missing required field Effect")
    if statement["Effect"] not in ("Allow", "Deny"):
        raise MalformedPolicy(f"Invalid effect: {statement['Effect']}")
    if "Principal" not in statement and "NotPrincipal" not in statement:
        raise MalformedPolicy("Missing required field Principal")
    _validate_principal(statement.get("Principal", statement.get("NotPrincipal")))
    if "Action" not in statement and "NotAction" not in statement:
        raise MalformedPolicy("Missing required field Action")
    actions = as_list(statement.get("Action", statement.get("NotAction")))
    for action in actions:
        if not isinstance(action, str) or not (action == "*" or action.lower().startswith("s3:")):
            raise MalformedPolicy("Policy has invalid action")
    if "Resource" not in statement and "NotResource" not in statement:
        raise MalformedPolicy("Missing required field Resource")
    resources = as_list(statement.get("Resource", statement.get("NotResource")))
    kinds: set[str] = set()
    for resource in resources:
        kinds |= _resource_kinds(resource, bucket)
    if "Action" in statement and "Resource" in statement:
        for action in actions:
            if not _action_kinds(action) & kinds:
                raise MalformedPolicy("Action does not apply to any resource(s) in statement")
    if "Condition" in statement:
        try:
            validate_conditions(statement["Condition"])
        except ValueError as err:
            raise MalformedPolicy(str(err)) from None


def _validate_principal(principal: Any) -> None:
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise MalformedPolicy("Invalid principal in policy")
    for kind, values in principal.items():
        if kind not in _PRINCIPAL_KINDS:
            raise MalformedPolicy("Invalid principal in policy")
        for value in as_list(values):
            if not isinstance(value, str) or not value:
                raise MalformedPolicy("Invalid principal in policy")
            if kind == "AWS" and not _AWS_PRINCIPAL.match(value):
                raise MalformedPolicy("Invalid principal in policy")


def _resource_kinds(resource: Any, bucket: str) -> set[str]:
    """{"bucket"} or {"object"} (or both, for a wildcard that can stand for either)."""
    if not isinstance(resource, str):
        raise MalformedPolicy("Policy has invalid resource")
    prefix = _ARN_PREFIX.match(resource)
    if prefix is None:
        raise MalformedPolicy("Policy has invalid resource")
    name = resource[prefix.end():]
    bucket_part, slash, _ = name.partition("/")
    if not bucket_part or not fnmatch.fnmatchcase(bucket, bucket_part):
        raise MalformedPolicy("Policy has invalid resource")
    if slash:
        return {"object"}
    if "*" in bucket_part:
        return {"bucket", "object"}
    return {"bucket"}


@lru_cache(maxsize=256)
def _action_kinds(action: str) -> frozenset[str]:
    """The resource kinds an action (or action pattern) applies to."""
    name = action.lower().removeprefix("s3:")
    if action == "*" or "*" in name or "?" in name:
        matched = [known for known in _KNOWN_ACTIONS if fnmatch.fnmatchcase(known, name)]
        if not matched:
            return frozenset({"bucket", "object", "account"})
        return frozenset(kind for known in matched for kind in _kind_of(known))
    return frozenset(_kind_of(name))


def _kind_of(name: str) -> set[str]:
    if name in _OBJECT_ACTIONS:
        return {"object"}
    if name in _ACCOUNT_ACTIONS:
        return {"account"}
    if name in _BUCKET_ACTIONS or name.startswith(_BUCKET_ACTION_PREFIXES):
        return {"bucket"}
    return {"bucket", "object", "account"}


# ---- evaluation ---------------------------------------------------------------------------------

@lru_cache(maxsize=1024)
def parse_policy(text: str) -> dict[str, Any] | None:
    """A stored policy's document, parsed once per distinct text (callers must not mutate it)."""
    try:
        policy = json.loads(text)
    except ValueError:
        return None
    return policy if isinstance(policy, dict) else None


def _names_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS", []))
    return False


def _matches_any(patterns: list[Any], value: str, *, ignore_case: bool = False) -> bool:
    if ignore_case:
        value = value.lower()
    for pattern in patterns:
        if isinstance(pattern, str) and fnmatch.fnmatchcase(value, pattern.lower() if ignore_case else pattern):
            return True
    return False


def _statement_applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    if "Principal" in statement:
        if not _names_everyone(statement["Principal"]):
            return False
    elif "NotPrincipal" in statement:
        # NotPrincipal covers everyone not named: an anonymous caller, unless "*" is named.
        if _names_everyone(statement["NotPrincipal"]):
            return False
    else:
        return False
    if "Action" in statement:
        if not _matches_any(as_list(statement["Action"]), action, ignore_case=True):
            return False
    elif _matches_any(as_list(statement.get("NotAction", [])), action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _matches_any(as_list(statement["Resource"]), resource):
            return False
    elif _matches_any(as_list(statement.get("NotResource", [])), resource):
        return False
    return conditions_hold(statement.get("Condition"), context)


def anonymous_decision(policy: dict[str, Any] | None, action: str, bucket: str, key: str | None = None,
                       context: dict[str, str] | None = None) -> str | None:
    """"Allow" or "Deny" when the policy decides an anonymous request, else None (nothing
    grants it: an ACL may still)."""
    if not policy:
        return None
    resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    # Condition keys compare case-insensitively; callers may name them either way.
    context = {name.lower(): value for name, value in (context or {}).items()}
    decision = None
    for statement in as_list(policy.get("Statement", [])):
        if not isinstance(statement, dict) or not _statement_applies(statement, action, resource, context):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            decision = "Allow"
    return decision


def anonymous_allowed(policy: dict[str, Any] | None, action: str, bucket: str, key: str | None = None,
                      context: dict[str, str] | None = None) -> bool:
    """Whether the policy lets anyone perform `action` (e.g. "s3:GetObject") on the bucket or key."""
    return anonymous_decision(policy, action, bucket, key, context) == "Allow"


def policy_is_public(policy: dict[str, Any] | None) -> bool:
    """Whether an Allow statement grants to everyone without a condition that pins the caller
    down (what BlockPublicPolicy refuses and RestrictPublicBuckets ignores)."""
    if not policy:
        return False
    return any(
        isinstance(s, dict) and s.get("Effect") == "Allow"
        and (_names_everyone(s.get("Principal")) or ("NotPrincipal" in s and "Principal" not in s))
        and not _pins_caller(s.get("Condition"))
        for s in as_list(policy.get("Statement", []))
    )


# Condition keys that AWS accepts as making a grant to "*" non-public: fixed source networks,
# VPCs, accounts or organisations.
_NON_PUBLIC_KEYS = {"aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount",
                    "aws:sourceowner", "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
                    "aws:userid", "aws:sourceorgid", "aws:sourceorgpaths", "aws:principalorgpaths",
                    "s3:dataaccesspointaccount", "s3:dataaccesspointarn"}


def _pins_caller(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, entries in condition.items():
        if not isinstance(entries, dict) or "Not" in operator or "Like" in operator:
            continue
        if any(key.lower() in _NON_PUBLIC_KEYS for key in entries):
            return True
    return False
