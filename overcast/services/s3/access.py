"""Anonymous requests (no credentials at all) to the REST API: allowed only when the bucket's
policy grants the action to everyone, or a public ACL does, and the bucket's public access
block does not cancel that grant. Signed requests are not evaluated (one trusted account).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import AccessDenied
from overcast.server.context import RequestContext
from overcast.services.s3.errors import NoSuchBucket
from overcast.services.s3.policy import anonymous_decision, parse_policy
from overcast.services.s3.policy_conditions import request_context_of

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store

_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
# Which ACL permission stands for which action when a public ACL is honoured.
_ACL_PERMISSION = {"s3:GetObject": "READ", "s3:ListBucket": "READ", "s3:PutObject": "WRITE",
                   "s3:DeleteObject": "WRITE"}


def _acl_grants_everyone(acl: Any, permission: str) -> bool:
    if isinstance(acl, str):
        return acl in ("public-read", "public-read-write") if permission == "READ" else acl == "public-read-write"
    if isinstance(acl, dict):
        for grant in acl.get("Grants") or []:
            grantee = grant.get("Grantee") or {}
            if grantee.get("URI") == _ALL_USERS and grant.get("Permission") in (permission, "FULL_CONTROL"):
                return True
    return False


def authorize_anonymous(ctx: RequestContext, store: S3Store, action: str, bucket: str,
                        key: str | None = None, object_acl: Any = None) -> None:
    """Raise AccessDenied unless an anonymous caller may perform `action` here."""
    if not ctx.anonymous or ctx.extra.get("internal"):
        return
    config = store.get_config(bucket)
    if config is None:
        raise NoSuchBucket(bucket)
    block = config.get("PublicAccessBlock") or {}
    policy = parse_policy(config["Policy"]) if config.get("Policy") else None
    decision = anonymous_decision(policy, action, bucket, key, request_context_of(ctx.request, time.time()))
    if decision == "Deny":
        raise AccessDenied("Access Denied")
    if decision == "Allow" and not block.get("RestrictPublicBuckets"):
        return
    permission = _ACL_PERMISSION.get(action)
    if permission and not block.get("IgnorePublicAcls"):
        acl = object_acl if key is not None and action == "s3:GetObject" else (config.get("Acl") or {})
        if _acl_grants_everyone(acl, permission):
            return
    raise AccessDenied("Access Denied")
