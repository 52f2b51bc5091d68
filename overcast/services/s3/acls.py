"""ACLs and S3 Object Ownership: what a canned ACL stands for, the ACL a request asks for, and
whether the bucket accepts it.

Since April 2023 a new S3 bucket starts with all four Block Public Access settings on and
Object Ownership BucketOwnerEnforced (ACLs disabled), unless CreateBucket's
x-amz-object-ownership says otherwise. CreateBucket writes both sections into the bucket's
stored configuration, so a bucket created before Overcast knew of these defaults has neither and
keeps behaving as it did (ACLs enabled, no public access block), as older buckets do on AWS.

With ACLs disabled, a write may carry no ACL or one that gives the bucket owner full control and
nobody anything else (the bucket-owner-full-control canned ACL, or grants that say the same);
anything else is AccessControlListNotSupported. Reading an ACL still works and shows the owner's
full control, whatever was stored before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.services.s3.errors import (
    AccessControlListNotSupported,
    InvalidArgument,
    InvalidBucketAclWithBlockPublicAccessError,
    InvalidBucketAclWithObjectOwnership,
)
from overcast.services.s3.listing import owner_of
from overcast.services.s3.public_access import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    BUCKET_OWNER_ENFORCED,
    acls_disabled,
    carries_acl,
    check_acl_sources,
    header_grants,
    refuse_public_acl,
    request_acl_is_public,
)

if TYPE_CHECKING:
    from overcast.services.s3.store import S3Store

CANNED_ACLS = {"private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"}
OWNERSHIP_SETTINGS = ("BucketOwnerPreferred", "ObjectWriter", BUCKET_OWNER_ENFORCED)
BLOCK_PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# What a write to a bucket with ACLs disabled may still name: the canned ACL that gives the bucket
# owner full control (the uploader is the owner here, so nothing else is granted).
_CANNED_ACCEPTED_WITHOUT_ACLS = "bucket-owner-full-control"
# What CreateBucket may name together with BucketOwnerEnforced: ACLs that grant nobody but the owner.
_CANNED_OWNER_ONLY_BUCKET = frozenset({"private", "bucket-owner-full-control"})
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
EC2_BUNDLE_READER = {"ID": "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c",
                     "DisplayName": "za-team"}


def ownership_controls(setting: str) -> dict[str, Any]:
    """The stored OwnershipControls section (as PutBucketOwnershipControls stores it)."""
    return {"Rules": [{"ObjectOwnership": setting}]}


def grants_for(acl: str, account_id: str) -> list[dict[str, Any]]:
    """The grants a canned ACL stands for."""
    owner = owner_of(account_id)
    grants: list[dict[str, Any]] = [{"Grantee": {"Type": "CanonicalUser", **owner}, "Permission": "FULL_CONTROL"}]
    if acl in ("public-read", "public-read-write"):
        grants.append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"})
    if acl == "public-read-write":
        grants.append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"})
    if acl == "authenticated-read":
        grants.append({"Grantee": {"Type": "Group", "URI": AUTHENTICATED_USERS}, "Permission": "READ"})
    if acl == "aws-exec-read":  # EC2 reads machine-image bundles as this canonical user
        grants.append({"Grantee": {"Type": "CanonicalUser", **EC2_BUNDLE_READER}, "Permission": "READ"})
    if acl == "log-delivery-write":  # server access logs are written (and their ACLs read) by this group
        grants += [{"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": permission}
                   for permission in ("WRITE", "READ_ACP")]
    return grants


def owner_full_control(account_id: str) -> dict[str, Any]:
    """The ACL every bucket and object shows when ACLs are disabled (and the private one)."""
    return {"Owner": owner_of(account_id), "Grants": grants_for("private", account_id)}


def acl_from_params(params: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The stored ACL of a Put*Acl (or CreateBucket) request: a canned ACL, a full
    AccessControlPolicy, or the grants of x-amz-grant-* headers (which replace the whole ACL, as
    on S3)."""
    check_acl_sources(params)
    canned = params.get("ACL")
    policy = params.get("AccessControlPolicy")
    if canned is not None:
        if canned not in CANNED_ACLS:
            raise InvalidArgument("Invalid canned ACL", ArgumentName="x-amz-acl", ArgumentValue=canned)
        return {"Owner": owner_of(account_id), "Grants": grants_for(canned, account_id)}
    if policy is not None:
        return {"Owner": policy.get("Owner") or owner_of(account_id), "Grants": policy.get("Grants") or []}
    grants = header_grants(params)
    if grants:
        return {"Owner": owner_of(account_id), "Grants": grants}
    return owner_full_control(account_id)


def grants_only_owner(grants: list[dict[str, Any]], account_id: str) -> bool:
    """Whether grants give the owner full control and nobody anything else."""
    owner_id = owner_of(account_id)["ID"]
    return bool(grants) and all(
        grant.get("Permission") == "FULL_CONTROL" and (grant.get("Grantee") or {}).get("ID") == owner_id
        and (grant.get("Grantee") or {}).get("Type", "CanonicalUser") == "CanonicalUser"
        for grant in grants)


def _request_grants(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The grants a request spells in a body or in x-amz-grant-* headers (not a canned ACL)."""
    policy = params.get("AccessControlPolicy")
    if policy is not None:
        return policy.get("Grants") or []
    return header_grants(params)


def refuse_acl(store: S3Store, bucket: str, params: dict[str, Any], account_id: str) -> None:
    """Before anything is stored, for a write that carries an ACL (PutObject, CopyObject,
    CreateMultipartUpload, PutObjectAcl, PutBucketAcl): AccessControlListNotSupported when the
    bucket has ACLs disabled and the ACL says more than "the owner has full control", then
    BlockPublicAcls' AccessDenied for a public ACL."""
    if not carries_acl(params):
        return
    check_acl_sources(params)
    canned = params.get("ACL")
    if canned and canned not in CANNED_ACLS:
        raise InvalidArgument("Invalid canned ACL", ArgumentName="x-amz-acl", ArgumentValue=canned)
    config = store.get_config(bucket) or {}
    if acls_disabled(config):
        accepted = (canned == _CANNED_ACCEPTED_WITHOUT_ACLS if canned
                    else grants_only_owner(_request_grants(params), account_id))
        if not accepted:
            raise AccessControlListNotSupported()
    refuse_public_acl(store, bucket, params)


def new_bucket_config(params: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The configuration CreateBucket stores: Block Public Access all on, the Object Ownership
    asked for (BucketOwnerEnforced by default) and, where ownership allows ACLs, the ACL asked for.
    Raises what S3 answers for a combination it refuses; nothing is stored then."""
    ownership = params.get("ObjectOwnership")
    if ownership is not None and ownership not in OWNERSHIP_SETTINGS:
        raise InvalidArgument(f"Invalid x-amz-object-ownership header: {ownership}",
                              ArgumentName="x-amz-object-ownership", ArgumentValue=ownership)
    config: dict[str, Any] = {"PublicAccessBlock": dict.fromkeys(BLOCK_PUBLIC_ACCESS_SETTINGS, True)}
    if carries_acl(params):
        acl = acl_from_params(params, account_id)
        canned = params.get("ACL")
        if ownership is None and canned == "private":
            # S3 gives a bucket created with `x-amz-acl: private` and no ownership setting
            # BucketOwnerPreferred (rclone sends that header with every new bucket).
            ownership = "BucketOwnerPreferred"
        owner_only = canned in _CANNED_OWNER_ONLY_BUCKET if canned else grants_only_owner(acl["Grants"], account_id)
        if (ownership or BUCKET_OWNER_ENFORCED) == BUCKET_OWNER_ENFORCED:
            if not owner_only:
                raise InvalidBucketAclWithObjectOwnership()
        else:
            # The new bucket's own Block Public Access settings refuse a public ACL.
            if request_acl_is_public(params):
                raise InvalidBucketAclWithBlockPublicAccessError()
            config["Acl"] = acl
    config["OwnershipControls"] = ownership_controls(ownership or BUCKET_OWNER_ENFORCED)
    return config


def check_enforced_ownership(stored_acl: dict[str, Any] | None, account_id: str) -> None:
    """PutBucketOwnershipControls to BucketOwnerEnforced: refused while the bucket's ACL grants
    anyone but the owner (the grants would silently stop applying)."""
    if stored_acl and not grants_only_owner(stored_acl.get("Grants") or [], account_id):
        raise InvalidBucketAclWithObjectOwnership()
