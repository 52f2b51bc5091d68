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
from overcast.services.s3.public_access import anonymous_access

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store

# Which ACL permission stands for which action when a public ACL is honoured.
_ACL_PERMISSION = {"s3:GetObject": "READ", "s3:ListBucket": "READ", "s3:PutObject": "WRITE",
                   "s3:DeleteObject": "WRITE"}


def authorize_anonymous(ctx: RequestContext, store: S3Store, action: str, bucket: str,
                        key: str | None = None, object_acl: Any = None) -> None:
    """Raise AccessDenied unless an anonymous caller may perform `action` here."""
    if not ctx.anonymous or ctx.extra.get("internal"):
        return
    access = anonymous_access(store, bucket)
    if access is None:
        raise NoSuchBucket(bucket)
    decision = access.policy_decision(action, key, ctx.request, time.time())
    if decision == "Deny":
        raise AccessDenied("Access Denied")
    if decision == "Allow":
        return
    permission = _ACL_PERMISSION.get(action)
    if permission:
        acl = object_acl if key is not None and action == "s3:GetObject" else access.bucket_acl
        if access.acl_allows(acl, permission):
            return
    raise AccessDenied("Access Denied")
