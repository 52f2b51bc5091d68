"""Block Public Access and what "public" means for ACLs: the refusals a bucket's public access
block imposes on writes that carry a public ACL (BlockPublicAcls), and the view of a bucket
that anonymous reads are judged by (policy, IgnorePublicAcls, RestrictPublicBuckets), cached
per configuration so that a website GET or an anonymous GetObject parses nothing.

An ACL is public when it grants anything to the AllUsers or AuthenticatedUsers groups: the
canned ACLs public-read, public-read-write and authenticated-read, an x-amz-grant-* header
naming either group, or such a grant in an AccessControlPolicy body. (BlockPublicPolicy is
applied where policies are stored, in bucket_config.py.)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import AccessDenied
from overcast.services.s3.errors import InvalidArgument, InvalidRequest, UnexpectedContent
from overcast.services.s3.policy import anonymous_decision, as_list, parse_policy, policy_is_public
from overcast.services.s3.policy_conditions import request_context_of

if TYPE_CHECKING:
    from overcast.server.http import Request
    from overcast.services.s3.store import S3Store

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
_PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
# x-amz-grant-* request members, the permission each grants, and the header that carries it.
GRANT_MEMBERS = (("GrantFullControl", "FULL_CONTROL", "x-amz-grant-full-control"),
                 ("GrantRead", "READ", "x-amz-grant-read"), ("GrantWrite", "WRITE", "x-amz-grant-write"),
                 ("GrantReadACP", "READ_ACP", "x-amz-grant-read-acp"),
                 ("GrantWriteACP", "WRITE_ACP", "x-amz-grant-write-acp"))
# Every request member that says anything about an ACL. Most writes carry none of them, and
# one set test then answers what the functions below would find member by member.
ACL_MEMBERS = frozenset({"ACL", "AccessControlPolicy", *(member for member, _, _ in GRANT_MEMBERS)})
# One grantee of a grant header: `uri="http://..."`, `id="..."` or `emailAddress="..."`.
_GRANTEE_TEXT = r'\s*(id|uri|emailaddress)\s*=\s*(?:"([^"]+)"|([^,\s"]+))\s*'
_GRANTEE = re.compile(_GRANTEE_TEXT + "(?:,|$)", re.IGNORECASE)
# A whole grant header (what check_acl_sources accepts): one or more grantees, comma-separated.
_GRANT_HEADER = re.compile(rf"{_GRANTEE_TEXT}(?:,{_GRANTEE_TEXT})*", re.IGNORECASE)
# A per-bucket cache of decisions is dropped whole when it reaches this many keys.
_MAX_CACHED_DECISIONS = 4096
# The Object Ownership setting that disables ACLs (acls.py has the rest of Object Ownership).
BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"


def object_ownership(config: dict[str, Any]) -> str | None:
    """The bucket's Object Ownership setting; None when it has none stored (a bucket created
    before new buckets got BucketOwnerEnforced, or whose ownership controls were deleted)."""
    rules = (config.get("OwnershipControls") or {}).get("Rules") or []
    return rules[0].get("ObjectOwnership") if rules else None


def acls_disabled(config: dict[str, Any]) -> bool:
    return object_ownership(config) == BUCKET_OWNER_ENFORCED


def check_acl_sources(params: dict[str, Any]) -> None:
    """An ACL comes from one source: a canned ACL, x-amz-grant-* headers, or (Put*Acl) a body;
    grant headers must read as `type=value` grantees (type id, uri or emailAddress)."""
    if ACL_MEMBERS.isdisjoint(params):
        return
    for member, _, header in GRANT_MEMBERS:
        value = params.get(member)
        if value is not None and not _GRANT_HEADER.fullmatch(value):
            raise InvalidArgument("Argument format not recognized", ArgumentName=header, ArgumentValue=value)
    canned = params.get("ACL")
    granted = any(params.get(member) for member, _, _ in GRANT_MEMBERS)
    if canned and granted:
        raise InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
    if (canned or granted) and params.get("AccessControlPolicy") is not None:
        raise UnexpectedContent("This request does not support content")


def header_grants(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The grants that x-amz-grant-* headers spell, in the shape of an AccessControlPolicy."""
    grants: list[dict[str, Any]] = []
    for member, permission, _ in GRANT_MEMBERS:
        value = params.get(member)
        if not value:
            continue
        for kind, quoted, bare in _GRANTEE.findall(value):
            identifier = quoted if quoted else bare
            kind = kind.lower()
            if kind == "uri":
                grantee = {"Type": "Group", "URI": identifier}
            elif kind == "id":
                grantee = {"Type": "CanonicalUser", "ID": identifier}
            else:
                grantee = {"Type": "AmazonCustomerByEmail", "EmailAddress": identifier}
            grants.append({"Grantee": grantee, "Permission": permission})
    return grants


def acl_is_public(acl: Any) -> bool:
    """Whether a canned ACL name or a stored ACL ({"Grants": [...]}) grants anything to
    AllUsers or AuthenticatedUsers."""
    if isinstance(acl, str):
        return acl in PUBLIC_CANNED_ACLS
    if isinstance(acl, dict):
        return any((grant.get("Grantee") or {}).get("URI") in _PUBLIC_GROUPS for grant in acl.get("Grants") or [])
    return False


def acl_grants_everyone(acl: Any, permission: str) -> bool:
    """Whether the ACL gives an anonymous caller `permission` (READ or WRITE): only a grant to
    AllUsers does; AuthenticatedUsers excludes anonymous callers."""
    if isinstance(acl, str):
        return acl in ("public-read", "public-read-write") if permission == "READ" else acl == "public-read-write"
    if isinstance(acl, dict):
        for grant in acl.get("Grants") or []:
            if (grant.get("Grantee") or {}).get("URI") == ALL_USERS and grant.get("Permission") in (
                    permission, "FULL_CONTROL"):
                return True
    return False


def carries_acl(params: dict[str, Any]) -> bool:
    """Whether a write request says anything about ACLs at all (most say nothing: no lookup)."""
    if ACL_MEMBERS.isdisjoint(params):
        return False
    return bool(params.get("ACL") or params.get("AccessControlPolicy")
                or any(params.get(member) for member, _, _ in GRANT_MEMBERS))


def request_acl_is_public(params: dict[str, Any]) -> bool:
    """Whether the ACL a request asks for (canned, header grants or body) is public."""
    if acl_is_public(params.get("ACL")):
        return True
    if any((grant["Grantee"].get("URI") in _PUBLIC_GROUPS) for grant in header_grants(params)):
        return True
    return acl_is_public(params.get("AccessControlPolicy"))


def refuse_public_acl(store: S3Store, bucket: str, params: dict[str, Any]) -> None:
    """BlockPublicAcls: a request that would set a public ACL fails with AccessDenied (and so
    changes nothing). Call before anything is stored."""
    if not carries_acl(params):
        return
    config = store.get_config(bucket) or {}
    block = config.get("PublicAccessBlock") or {}
    if block.get("BlockPublicAcls") and request_acl_is_public(params):
        raise AccessDenied("Access Denied")


class AnonymousAccess:
    """How a bucket judges callers without credentials, built once per stored configuration:
    its policy parsed, whether RestrictPublicBuckets takes the policy's public grants away, and
    whether IgnorePublicAcls takes the ACLs' away."""

    __slots__ = ("bucket", "policy", "restricted", "ignore_public_acls", "bucket_acl", "_needs_context",
                 "_decisions")

    def __init__(self, bucket: str, config: dict[str, Any]):
        block = config.get("PublicAccessBlock") or {}
        self.bucket = bucket
        self.policy = parse_policy(config["Policy"]) if config.get("Policy") else None
        # RestrictPublicBuckets applies to a bucket whose policy is public; a policy that pins its
        # grants to networks or accounts keeps working.
        self.restricted = bool(block.get("RestrictPublicBuckets")) and policy_is_public(self.policy)
        # IgnorePublicAcls, or ACLs disabled altogether (BucketOwnerEnforced): no ACL grants
        # an anonymous caller anything.
        self.ignore_public_acls = bool(block.get("IgnorePublicAcls")) or acls_disabled(config)
        self.bucket_acl = config.get("Acl") or {}
        # Without conditions a decision depends on the action and key alone, so it is cached.
        self._needs_context = self.policy is not None and any(
            isinstance(statement, dict) and "Condition" in statement
            for statement in as_list(self.policy.get("Statement", [])))
        self._decisions: dict[tuple[str, str | None], str | None] = {}

    def policy_decision(self, action: str, key: str | None, request: Request, now: float) -> str | None:
        """"Allow", "Deny" or None (the policy says nothing) for an anonymous request, with
        RestrictPublicBuckets applied: a restricted bucket's policy allows nobody anonymous."""
        if self.policy is None:
            return None
        if self._needs_context:
            return self._restricted(anonymous_decision(self.policy, action, self.bucket, key,
                                                       request_context_of(request, now)))
        cache_key = (action, key)
        try:
            return self._decisions[cache_key]
        except KeyError:
            pass
        decision = self._restricted(anonymous_decision(self.policy, action, self.bucket, key))
        if len(self._decisions) >= _MAX_CACHED_DECISIONS:
            self._decisions.clear()
        self._decisions[cache_key] = decision
        return decision

    def _restricted(self, decision: str | None) -> str | None:
        return None if decision == "Allow" and self.restricted else decision

    def acl_allows(self, acl: Any, permission: str) -> bool:
        """Whether a public ACL grants an anonymous caller `permission`, unless IgnorePublicAcls."""
        return not self.ignore_public_acls and acl_grants_everyone(acl, permission)


def anonymous_access(store: S3Store, bucket: str) -> AnonymousAccess | None:
    """The bucket's AnonymousAccess (None when there is no such bucket), rebuilt only when its
    configuration was written since."""
    config = store.get_config(bucket)
    if config is None:
        return None
    cached = store.access_views.get(bucket)
    if cached is not None and cached[0] is config:
        return cached[1]
    access = AnonymousAccess(bucket, config)
    store.access_views[bucket] = (config, access)
    return access
