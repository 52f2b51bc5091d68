"""Bucket sub-resources that are stored and echoed: website, policy, CORS, lifecycle, tagging,
public access block, ownership controls, encryption, versioning, ACL, notifications, and the
read-only defaults SDKs and IaC tools ask for. Each is one section of the bucket's config.

Validation happens before anything is stored, so a malformed document changes nothing.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import AccessDenied, NotImplementedOperation, ServiceError
from overcast.server.context import RequestContext
from overcast.services.arns import arn_home
from overcast.services.s3.acls import (
    BLOCK_PUBLIC_ACCESS_SETTINGS,
    OWNERSHIP_SETTINGS,
    acl_from_params,
    check_enforced_ownership,
    owner_full_control,
    refuse_acl,
)
from overcast.services.s3.errors import (
    CrossLocationLoggingProhibitted,
    InvalidArgument,
    InvalidBucketState,
    InvalidRequest,
    InvalidTargetBucketForLogging,
    MalformedXML,
    NoSuchBucket,
)
from overcast.services.s3.events import refuse_overlaps, validate_notification
from overcast.services.s3.object_lock import lock_enabled_in
from overcast.services.s3.policy import policy_is_public, validate_policy
from overcast.services.s3.public_access import BUCKET_OWNER_ENFORCED, acls_disabled

if TYPE_CHECKING:
    from overcast.services.base import ServiceRuntime
    from overcast.services.s3.store import S3Store
    from overcast.storage.interface import Database, Tx

# section -> (error code, message) answered by Get* when the section was never set.
_MISSING = {
    "Policy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "Website": ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
    "Cors": ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
    "Lifecycle": ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    "Tagging": ("NoSuchTagSet", "The TagSet does not exist"),
    "PublicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",
                          "The public access block configuration was not found"),
    "OwnershipControls": ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
    # Replication cannot be set yet (see below); asked for, it is absent, in S3's words.
    "Replication": ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
    "ObjectLock": ("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket"),
}
_SSE_ALGORITHMS = {"AES256", "aws:kms", "aws:kms:dsse", "aws:fsx", "aws:backup"}
_CORS_METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}
_DEFAULT_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                  "BucketKeyEnabled": False}]}


def not_found(section: str, bucket: str) -> ServiceError:
    code, message = _MISSING[section]
    return ServiceError(message, code=code, status=404, BucketName=bucket)


def validate_website(config: dict[str, Any]) -> None:
    redirect_all = config.get("RedirectAllRequestsTo")
    index = config.get("IndexDocument")
    if redirect_all:
        if index or config.get("ErrorDocument") or config.get("RoutingRules"):
            raise InvalidRequest("RedirectAllRequestsTo cannot be provided in conjunction with other Routing "
                                 "Rules.")
        if not redirect_all.get("HostName"):
            raise MalformedXML()
        _validate_protocol(redirect_all)
        return
    if not index:
        raise InvalidArgument("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
                              ArgumentName="IndexDocument", ArgumentValue="")
    suffix = index.get("Suffix") or ""
    if not suffix or "/" in suffix:
        raise InvalidArgument("The IndexDocument Suffix is not well formed", ArgumentName="IndexDocument",
                              ArgumentValue=suffix)
    for rule in config.get("RoutingRules") or []:
        if not rule.get("Redirect"):
            raise MalformedXML()
        error_code = (rule.get("Condition") or {}).get("HttpErrorCodeReturnedEquals")
        if error_code is not None and not (error_code.isdigit() and 400 <= int(error_code) <= 599):
            raise InvalidRequest(f"The provided HTTP error code ({error_code}) is not valid. Valid codes are 4XX "
                                 "or 5XX.")
        _validate_redirect(rule["Redirect"])


def _validate_protocol(redirect: dict[str, Any]) -> None:
    if redirect.get("Protocol") is not None and redirect["Protocol"] not in ("http", "https"):
        raise InvalidRequest("Invalid protocol, protocol can be http or https. If not defined the protocol will be "
                             "selected automatically.")


def _validate_redirect(redirect: dict[str, Any]) -> None:
    _validate_protocol(redirect)
    code = redirect.get("HttpRedirectCode")
    if code is not None and not (len(code) == 3 and code.isdigit() and code[0] == "3" and code != "300"):
        raise InvalidRequest(f"The provided HTTP redirect code ({code}) is not valid. Valid codes are 3XX except "
                             "300.")
    if redirect.get("ReplaceKeyWith") is not None and redirect.get("ReplaceKeyPrefixWith") is not None:
        raise InvalidRequest("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")


def validate_cors(config: dict[str, Any]) -> None:
    rules = config.get("CORSRules") or []
    if not rules or len(rules) > 100:
        raise MalformedXML()
    for rule in rules:
        if not rule.get("AllowedOrigins") or not rule.get("AllowedMethods"):
            raise MalformedXML()
        for method in rule["AllowedMethods"]:
            if method not in _CORS_METHODS:
                raise InvalidRequest(f"Found unsupported HTTP method in CORS config. Unsupported method is {method}")
        for origin in rule["AllowedOrigins"]:
            # "The origin string can contain only one * wildcard character" (S3 user guide, CORS).
            if origin.count("*") > 1:
                raise InvalidRequest(f'AllowedOrigin "{origin}" can not have more than one wildcard.')


def validate_lifecycle(config: dict[str, Any]) -> None:
    rules = config.get("Rules") or []
    if not rules or len(rules) > 1000:
        raise MalformedXML()
    for rule in rules:
        rule_id = rule.get("ID")
        # Checked rule by rule before uniqueness, as S3 and the emulators recorded against it do.
        if rule_id and len(rule_id) > 255:
            raise InvalidArgument("ID length should not exceed allowed limit of 255", ArgumentName="ID",
                                  ArgumentValue=rule_id)
    ids = [rule.get("ID") for rule in rules if rule.get("ID")]
    if len(ids) != len(set(ids)):
        raise InvalidArgument("Rule ID must be unique. Found same ID for more than one rule",
                              ArgumentName="ID", ArgumentValue=ids[0])
    for rule in rules:
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise MalformedXML()
        _validate_lifecycle_filter(rule)
        if not any(rule.get(action) for action in ("Expiration", "Transitions", "NoncurrentVersionExpiration",
                                                   "NoncurrentVersionTransitions",
                                                   "AbortIncompleteMultipartUpload")):
            raise InvalidRequest("At least one action needs to be specified in a rule")
        _validate_lifecycle_actions(rule)


def _validate_lifecycle_filter(rule: dict[str, Any]) -> None:
    """A Filter holds exactly one of Prefix, Tag, the size bounds or And (API_LifecycleRuleFilter);
    more than one, or a Filter beside the rule's legacy Prefix, is refused as the schema refuses it."""
    spec = rule.get("Filter")
    if spec is None:
        return
    if rule.get("Prefix") or len(spec) > 1:
        raise MalformedXML()
    tags = (spec.get("And") or {}).get("Tags") or []
    keys = [tag.get("Key") for tag in tags]
    if len(keys) != len(set(keys)):
        raise InvalidRequest("Duplicate Tag Keys are not allowed.")


def _positive(action: dict[str, Any], member: str, message: str) -> None:
    value = action.get(member)
    if value is not None and int(value) <= 0:
        raise InvalidArgument(message)


def _validate_lifecycle_actions(rule: dict[str, Any]) -> None:
    expiration = rule.get("Expiration") or {}
    # Days, Date and ExpiredObjectDeleteMarker exclude one another in S3's schema.
    if sum(member in expiration for member in ("Days", "Date", "ExpiredObjectDeleteMarker")) > 1:
        raise MalformedXML()
    _positive(expiration, "Days", "'Days' for Expiration action must be a positive integer")
    date = expiration.get("Date")
    if isinstance(date, datetime) and (date.timestamp() % 86400 or date.microsecond):
        raise InvalidArgument("'Date' must be at midnight GMT", ArgumentName="Date",
                              ArgumentValue=date.isoformat())
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent is not None and noncurrent.get("NoncurrentDays") is None:
        # NewerNoncurrentVersions alone is refused in the same words as a NoncurrentDays of 0
        # (AWS's answer in hashicorp/terraform-provider-aws#35328): the action needs its days.
        raise InvalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
    _positive(noncurrent or {}, "NoncurrentDays",
              "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
    _positive(rule.get("AbortIncompleteMultipartUpload") or {}, "DaysAfterInitiation",
              "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")


def with_rule_ids(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """S3 names every rule stored without an ID, and GetBucketLifecycleConfiguration shows the name."""
    return [rule if rule.get("ID") else {"ID": base64.b64encode(str(uuid.uuid4()).encode()).decode(), **rule}
            for rule in rules]


def validate_encryption(config: dict[str, Any]) -> None:
    """One rule, a known algorithm, and a KMS key only for a KMS algorithm (API_ServerSideEncryptionByDefault)."""
    rules = config.get("Rules") or []
    if len(rules) != 1:
        raise MalformedXML()
    default = rules[0].get("ApplyServerSideEncryptionByDefault")
    if default is None:
        return
    algorithm = default.get("SSEAlgorithm")
    if algorithm not in _SSE_ALGORITHMS:
        raise MalformedXML()
    if default.get("KMSMasterKeyID") is not None and algorithm not in ("aws:kms", "aws:kms:dsse"):
        raise InvalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
                              "aws:kms:dsse", ArgumentName="ApplyServerSideEncryptionByDefault")


def validate_tags(tag_set: list[dict[str, Any]], limit: int) -> None:
    keys = [tag.get("Key") or "" for tag in tag_set]
    if len(keys) != len(set(keys)):
        raise ServiceError("Cannot provide multiple Tags with the same key", code="InvalidTag", status=400)
    if len(keys) > limit:
        raise ServiceError(f"Object tags cannot be greater than {limit}" if limit == 10 else
                           f"Bucket tag count cannot be greater than {limit}", code="BadRequest", status=400)
    for tag in tag_set:
        key, value = tag.get("Key") or "", tag.get("Value") or ""
        if key.lower().startswith("aws:"):
            # Worded apart for objects and buckets (LocalStack's AWS-validated tagging snapshots).
            raise ServiceError("Your TagKey cannot be prefixed with aws:" if limit == 10 else
                               "System tags cannot be added/updated by requester", code="InvalidTag", status=400)
        if not key or len(key) > 128 or len(value) > 256:
            raise ServiceError("The TagKey you have provided is invalid" if not key or len(key) > 128 else
                               "The TagValue you have provided is invalid", code="InvalidTag", status=400)


class BucketConfigOperations:
    store: S3Store
    db: Database
    runtime: ServiceRuntime

    def _section(self, bucket: str, section: str) -> Any:
        config = self.store.get_config(bucket)
        if config is None:
            raise NoSuchBucket(bucket)
        # A copy: the store's configuration is shared by every reader and must not change.
        return copy.deepcopy(config.get(section))

    def _required_section(self, bucket: str, section: str) -> Any:
        value = self._section(bucket, section)
        if value is None:
            raise not_found(section, bucket)
        return value

    async def _set_section(self, bucket: str, section: str, value: Any) -> dict[str, Any]:
        store = self.store

        def write(tx: Tx) -> None:
            store.tx_set_config(tx, bucket, section, value)

        await self.db.write(write)
        return {}

    # ---- policy ------------------------------------------------------------------------------

    async def put_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, text = params["Bucket"], params["Policy"]
        self.store.require_bucket(bucket)
        policy = validate_policy(text, bucket)
        block = self._section(bucket, "PublicAccessBlock") or {}
        if block.get("BlockPublicPolicy") and policy_is_public(policy):
            raise AccessDenied("Access Denied")
        return await self._set_section(bucket, "Policy", text)

    def get_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": self._required_section(params["Bucket"], "Policy")}

    def get_bucket_policy_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        text = self._required_section(params["Bucket"], "Policy")
        return {"PolicyStatus": {"IsPublic": policy_is_public(json.loads(text))}}

    async def delete_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "Policy", None)

    # ---- website -----------------------------------------------------------------------------

    async def put_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("WebsiteConfiguration") or {}
        self.store.require_bucket(params["Bucket"])
        validate_website(config)
        return await self._set_section(params["Bucket"], "Website", config)

    def get_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._required_section(params["Bucket"], "Website"))

    async def delete_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "Website", None)

    # ---- CORS --------------------------------------------------------------------------------

    async def put_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("CORSConfiguration") or {}
        self.store.require_bucket(params["Bucket"])
        validate_cors(config)
        return await self._set_section(params["Bucket"], "Cors", config["CORSRules"])

    def get_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"CORSRules": self._required_section(params["Bucket"], "Cors")}

    async def delete_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "Cors", None)

    # ---- lifecycle ---------------------------------------------------------------------------

    async def put_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("LifecycleConfiguration") or {}
        self.store.require_bucket(params["Bucket"])
        validate_lifecycle(config)
        await self._set_section(params["Bucket"], "Lifecycle", with_rule_ids(config["Rules"]))
        return {"TransitionDefaultMinimumObjectSize": "all_storage_classes_128K"}

    def get_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Rules": self._required_section(params["Bucket"], "Lifecycle"),
                "TransitionDefaultMinimumObjectSize": "all_storage_classes_128K"}

    async def delete_bucket_lifecycle(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "Lifecycle", None)

    # ---- tagging -----------------------------------------------------------------------------

    async def put_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tag_set = (params.get("Tagging") or {}).get("TagSet") or []
        self.store.require_bucket(params["Bucket"])
        validate_tags(tag_set, 50)
        return await self._set_section(params["Bucket"], "Tagging", tag_set)

    def get_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"TagSet": self._required_section(params["Bucket"], "Tagging")}

    async def delete_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "Tagging", None)

    # ---- replication: not offered yet, but read by tools -------------------------------------
    # Terraform's aws_s3_bucket reads it after every change; PutBucketReplication is not offered.

    def get_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"ReplicationConfiguration": self._required_section(params["Bucket"], "Replication")}

    async def delete_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "Replication", None)

    # ---- public access block, ownership, encryption --------------------------------------------

    async def put_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("PublicAccessBlockConfiguration") or {}
        self.store.require_bucket(params["Bucket"])  # a missing bucket is named first, as S3 answers
        if not config:
            raise InvalidRequest("Must specify at least one configuration.")
        block = {name: bool(config.get(name, False)) for name in BLOCK_PUBLIC_ACCESS_SETTINGS}
        return await self._set_section(params["Bucket"], "PublicAccessBlock", block)

    def get_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"PublicAccessBlockConfiguration": self._required_section(params["Bucket"], "PublicAccessBlock")}

    async def delete_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "PublicAccessBlock", None)

    async def put_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules = (params.get("OwnershipControls") or {}).get("Rules") or []
        bucket = self.store.require_bucket(params["Bucket"])
        if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIP_SETTINGS:
            raise MalformedXML()
        if rules[0]["ObjectOwnership"] == BUCKET_OWNER_ENFORCED:
            check_enforced_ownership(self._section(bucket.name, "Acl"), bucket.account_id)
        return await self._set_section(bucket.name, "OwnershipControls", {"Rules": rules})

    def get_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"OwnershipControls": self._required_section(params["Bucket"], "OwnershipControls")}

    async def delete_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "OwnershipControls", None)

    async def put_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("ServerSideEncryptionConfiguration") or {}
        # A missing bucket is named before the document is checked, as S3 answers.
        self.store.require_bucket(params["Bucket"])
        validate_encryption(config)
        return await self._set_section(params["Bucket"], "Encryption", config)

    def get_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # Every bucket is encrypted with SSE-S3 unless configured otherwise, as on AWS.
        config = self._section(params["Bucket"], "Encryption")
        return {"ServerSideEncryptionConfiguration": config or _DEFAULT_ENCRYPTION}

    async def delete_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return await self._set_section(params["Bucket"], "Encryption", None)

    # ---- versioning (stored; version ids are not kept yet) -------------------------------------

    async def put_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        status = (params.get("VersioningConfiguration") or {}).get("Status")
        bucket = params["Bucket"]
        self.store.require_bucket(bucket)
        if status not in ("Enabled", "Suspended"):
            raise MalformedXML()
        store = self.store

        def write(tx: Tx) -> None:
            # Object Lock keeps versioning on: suspending it is refused, enabling it again is not
            # (LocalStack's AWS-validated test_disable_versioning_on_locked_bucket).
            if status == "Suspended" and lock_enabled_in(store.tx_require_bucket(tx, bucket)):
                raise InvalidBucketState("An Object Lock configuration is present on this bucket, so the "
                                         "versioning state cannot be changed.")
            store.tx_set_config(tx, bucket, "Versioning", status)

        await self.db.write(write)
        return {}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        status = self._section(params["Bucket"], "Versioning")
        return {"Status": status} if status else {}

    # ---- ACLs ----------------------------------------------------------------------------------

    async def put_bucket_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        acl = acl_from_params(params, bucket.account_id)
        refuse_acl(self.store, bucket.name, params, bucket.account_id)
        return await self._set_section(bucket.name, "Acl", acl)

    def get_bucket_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        config = self.store.get_config(bucket.name) or {}
        # With ACLs disabled S3 shows the owner's full control, whatever ACL the bucket had before.
        if acls_disabled(config):
            return owner_full_control(bucket.account_id)
        return copy.deepcopy(config.get("Acl")) or owner_full_control(bucket.account_id)

    # ---- notifications (stored and echoed; delivery comes with the event bus) ------------------

    async def put_bucket_notification_configuration(self, ctx: RequestContext,
                                                    params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("NotificationConfiguration") or {}
        self.store.require_bucket(params["Bucket"])
        for kind, arn_member in (("TopicConfigurations", "TopicArn"), ("QueueConfigurations", "QueueArn"),
                                 ("LambdaFunctionConfigurations", "LambdaFunctionArn")):
            for entry in config.get(kind) or []:
                if not str(entry.get(arn_member, "")).startswith("arn:") or not entry.get("Events"):
                    raise InvalidArgument("Unable to validate the following destination configurations",
                                          ArgumentName=entry.get(arn_member, ""), ArgumentValue="")
        config = validate_notification(config)
        await self._check_destinations_exist(config)
        refuse_overlaps(config)
        return await self._set_section(params["Bucket"], "Notification", config)

    async def _check_destinations_exist(self, config: dict[str, Any]) -> None:
        """S3 refuses destinations it cannot deliver to, naming each in numbered
        ArgumentName/ArgumentValue pairs. Only Lambda can be asked today: a service without a
        provider yet (NotImplemented) cannot say, so its destinations are accepted."""
        fields: dict[str, str] = {}
        for entry in config.get("LambdaFunctionConfigurations") or []:
            arn = entry["LambdaFunctionArn"]
            account, region = arn_home(arn, None, None)
            try:
                await self.runtime.internal.call("lambda", "GetFunction", {"FunctionName": arn},
                                                 account_id=account, region=region)
            except NotImplementedOperation:
                continue
            except ServiceError:
                number = len(fields) // 2 + 1
                # AWS cannot tell a missing function from one it may not invoke, and says the latter.
                fields[f"ArgumentName{number}"] = f"{arn}, null"
                fields[f"ArgumentValue{number}"] = f"Not authorized to invoke function [{arn}]"
        if fields:
            raise InvalidArgument("Unable to validate the following destination configurations", members=fields)

    def get_bucket_notification_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._section(params["Bucket"], "Notification") or {})

    # ---- transfer acceleration, requester pays, server access logging ------------------------
    # Stored and answered as S3 answers them; nothing is accelerated, billed or delivered.

    async def put_bucket_accelerate_configuration(self, ctx: RequestContext,
                                                  params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        status = (params.get("AccelerateConfiguration") or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise MalformedXML()
        if "." in bucket.name:
            # As S3 words it (quoted by users of Terraform's aws_s3_bucket_accelerate_configuration).
            raise InvalidRequest("S3 Transfer Acceleration is not supported for buckets with periods (.) in "
                                 "their names")
        return await self._set_section(bucket.name, "Accelerate", status)

    def get_bucket_accelerate_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        status = self._section(params["Bucket"], "Accelerate")
        return {"Status": status} if status else {}

    async def put_bucket_request_payment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        payer = (params.get("RequestPaymentConfiguration") or {}).get("Payer")
        if payer not in ("Requester", "BucketOwner"):
            raise MalformedXML()
        return await self._set_section(bucket.name, "RequestPayment", None if payer == "BucketOwner" else payer)

    def get_bucket_request_payment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Payer": self._section(params["Bucket"], "RequestPayment") or "BucketOwner"}

    async def put_bucket_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.store.require_bucket(params["Bucket"])
        enabled = (params.get("BucketLoggingStatus") or {}).get("LoggingEnabled")
        if enabled is not None:
            check_logging_target(self.store, bucket, enabled)
        # An empty BucketLoggingStatus turns logging off.
        return await self._set_section(bucket.name, "Logging", enabled or None)

    def get_bucket_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        enabled = self._section(params["Bucket"], "Logging")
        return {"LoggingEnabled": enabled} if enabled else {}


def check_logging_target(store: Any, bucket: Any, enabled: dict[str, Any]) -> None:
    """The user guide's rules for server access logging: the target bucket exists, is owned by
    the same account and is in the same Region. Wordings from S3's answers as users quote them
    (the Region rule's from S3's list of error codes); the target's permissions are not checked."""
    target_name = enabled.get("TargetBucket")
    if not target_name or enabled.get("TargetPrefix") is None:
        raise MalformedXML()
    target = store.get_bucket(target_name)
    if target is None:
        raise InvalidTargetBucketForLogging("The target bucket for logging does not exist",
                                            TargetBucket=target_name)
    if target.account_id != bucket.account_id:
        raise InvalidTargetBucketForLogging("The owner for the bucket to be logged and the target bucket must "
                                            "be the same.", TargetBucket=target_name)
    if target.region != bucket.region:
        raise CrossLocationLoggingProhibitted("Cross-location logging not allowed. Buckets in one geographic "
                                              "location cannot log information to a bucket in another location.")
