"""S3's typed errors: codes, HTTP statuses and messages as AWS returns them.

Extra keyword arguments become extra elements of the XML error body (<BucketName>, <Key>,
<Condition>, ...), which is how S3 reports the details of an error.
"""

from __future__ import annotations

from typing import Any

from overcast.protocol.errors import ServiceError


class NoSuchBucket(ServiceError):
    code = "NoSuchBucket"
    status = 404

    def __init__(self, bucket: str):
        super().__init__("The specified bucket does not exist", BucketName=bucket)


class NoSuchKey(ServiceError):
    code = "NoSuchKey"
    status = 404

    def __init__(self, key: str, headers: dict[str, str] | None = None):
        super().__init__("The specified key does not exist.", headers=headers, Key=key)


class NoSuchVersion(ServiceError):
    code = "NoSuchVersion"
    status = 404

    def __init__(self, key: str, version_id: str):
        super().__init__("The specified version does not exist.", Key=key, VersionId=version_id)


class MethodNotAllowed(ServiceError):
    code = "MethodNotAllowed"
    status = 405

    def __init__(self, method: str, headers: dict[str, str] | None = None):
        super().__init__("The specified method is not allowed against this resource.", headers=headers,
                         Method=method, ResourceType="DeleteMarker")


class InvalidStorageClass(ServiceError):
    code = "InvalidStorageClass"
    status = 400

    def __init__(self, requested: str):
        super().__init__("The storage class you specified is not valid.", StorageClassRequested=requested)


class BucketAlreadyOwnedByYou(ServiceError):
    code = "BucketAlreadyOwnedByYou"
    status = 409

    def __init__(self, bucket: str):
        super().__init__(
            "Your previous request to create the named bucket succeeded and you already own it.", BucketName=bucket
        )


class BucketAlreadyExists(ServiceError):
    code = "BucketAlreadyExists"
    status = 409

    def __init__(self, bucket: str):
        super().__init__(
            "The requested bucket name is not available. The bucket namespace is shared by all users of the "
            "system. Please select a different name and try again.",
            BucketName=bucket,
        )


class BucketNotEmpty(ServiceError):
    code = "BucketNotEmpty"
    status = 409

    def __init__(self, bucket: str):
        super().__init__("The bucket you tried to delete is not empty", BucketName=bucket)


class InvalidBucketName(ServiceError):
    code = "InvalidBucketName"
    status = 400

    def __init__(self, bucket: str):
        super().__init__("The specified bucket is not valid.", BucketName=bucket)


class InvalidLocationConstraint(ServiceError):
    code = "InvalidLocationConstraint"
    status = 400

    def __init__(self, constraint: str):
        super().__init__("The specified location-constraint is not valid", LocationConstraint=constraint)


class IllegalLocationConstraintException(ServiceError):
    code = "IllegalLocationConstraintException"
    status = 400

    def __init__(self, constraint: str | None):
        name = constraint if constraint else "unspecified"
        super().__init__(
            f"The {name} location constraint is incompatible for the region specific endpoint this request was sent to."
        )


class InvalidRange(ServiceError):
    code = "InvalidRange"
    status = 416

    def __init__(self, requested: str, size: int):
        super().__init__(
            "The requested range is not satisfiable",
            RangeRequested=requested,
            ActualObjectSize=str(size),
            headers={"Content-Range": f"bytes */{size}"},
        )


class PreconditionFailed(ServiceError):
    code = "PreconditionFailed"
    status = 412

    def __init__(self, condition: str):
        super().__init__("At least one of the pre-conditions you specified did not hold", Condition=condition)


class NotModified(ServiceError):
    """304 for If-None-Match / If-Modified-Since on GET and HEAD: no body, only headers."""

    code = "NotModified"
    status = 304

    def __init__(self, headers: dict[str, str]):
        super().__init__("Not Modified", headers=headers)


class BadDigest(ServiceError):
    code = "BadDigest"
    status = 400


def content_md5_mismatch(expected_b64: str, calculated_b64: str) -> BadDigest:
    return BadDigest(
        "The Content-MD5 you specified did not match what we received.",
        ExpectedDigest=expected_b64,
        CalculatedDigest=calculated_b64,
    )


def checksum_mismatch(algorithm: str) -> BadDigest:
    return BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")


class InvalidDigest(ServiceError):
    code = "InvalidDigest"
    status = 400

    def __init__(self, content_md5: str):
        fields: dict[str, Any] = {"Content-MD5": content_md5}
        super().__init__("The Content-MD5 you specified was invalid.", **fields)


class XAmzContentSHA256Mismatch(ServiceError):
    code = "XAmzContentSHA256Mismatch"
    status = 400

    def __init__(self, client_sha256: str, computed_sha256: str):
        super().__init__(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ClientComputedContentSHA256=client_sha256,
            S3ComputedContentSHA256=computed_sha256,
        )


class InvalidRequest(ServiceError):
    code = "InvalidRequest"
    status = 400


class InvalidObjectState(ServiceError):
    code = "InvalidObjectState"
    status = 403


class InvalidTargetBucketForLogging(ServiceError):
    code = "InvalidTargetBucketForLogging"
    status = 400


class CrossLocationLoggingProhibitted(ServiceError):  # sic: S3's spelling
    code = "CrossLocationLoggingProhibitted"
    status = 403


class UnexpectedContent(ServiceError):
    code = "UnexpectedContent"
    status = 400


class InvalidRedirectLocation(ServiceError):
    code = "InvalidRedirectLocation"
    status = 400

    def __init__(self) -> None:
        super().__init__("The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")


class InvalidArgument(ServiceError):
    code = "InvalidArgument"
    status = 400


class MalformedXML(ServiceError):
    code = "MalformedXML"
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "The XML you provided was not well-formed or did not validate against our published schema"
        )


class KeyTooLongError(ServiceError):
    code = "KeyTooLongError"
    status = 400

    def __init__(self, key: str):
        super().__init__("Your key is too long", Size=str(len(key.encode())), MaxSizeAllowed="1024")


class MetadataTooLarge(ServiceError):
    code = "MetadataTooLarge"
    status = 400

    def __init__(self, size: int):
        super().__init__(
            "Your metadata headers exceed the maximum allowed metadata size", Size=str(size), MaxSizeAllowed="2048"
        )


class IncompleteBody(ServiceError):
    code = "IncompleteBody"
    status = 400

    def __init__(self) -> None:
        super().__init__("You did not provide the number of bytes specified by the Content-Length HTTP header")


class HeaderNotImplemented(ServiceError):
    code = "NotImplemented"
    status = 501
    sender_fault = False

    def __init__(self, header: str):
        super().__init__("A header you provided implies functionality that is not implemented", Header=header)


class NoSuchUpload(ServiceError):
    code = "NoSuchUpload"
    status = 404

    def __init__(self, upload_id: str):
        super().__init__(
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
            "aborted or completed.",
            UploadId=upload_id,
        )


class InvalidPart(ServiceError):
    code = "InvalidPart"
    status = 400

    def __init__(self, upload_id: str, part_number: int, etag: str):
        super().__init__(
            "One or more of the specified parts could not be found.  The part may not have been uploaded, or "
            "the specified entity tag may not match the part's entity tag.",
            UploadId=upload_id, PartNumber=str(part_number), ETag=etag,
        )


class InvalidPartOrder(ServiceError):
    code = "InvalidPartOrder"
    status = 400

    def __init__(self, upload_id: str):
        super().__init__(
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
            UploadId=upload_id,
        )


class EntityTooSmall(ServiceError):
    code = "EntityTooSmall"
    status = 400

    def __init__(self, size: int, minimum: int, part_number: int, etag: str):
        super().__init__(
            "Your proposed upload is smaller than the minimum allowed size",
            ProposedSize=str(size), MinSizeAllowed=str(minimum), PartNumber=str(part_number), ETag=etag,
        )


class InvalidPartNumber(ServiceError):
    code = "InvalidPartNumber"
    status = 416

    def __init__(self, requested: int, count: int):
        super().__init__("The requested partnumber is not satisfiable", PartNumberRequested=str(requested),
                         ActualPartCount=str(count))


class AccessControlListNotSupported(ServiceError):
    """A write that sets an ACL on a bucket whose Object Ownership is BucketOwnerEnforced."""

    code = "AccessControlListNotSupported"
    status = 400

    def __init__(self) -> None:
        super().__init__("The bucket does not allow ACLs")


class InvalidBucketAclWithObjectOwnership(ServiceError):
    """CreateBucket or PutBucketOwnershipControls asking for BucketOwnerEnforced together with a
    bucket ACL that grants anyone but the owner."""

    code = "InvalidBucketAclWithObjectOwnership"
    status = 400

    def __init__(self) -> None:
        super().__init__("Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")


class InvalidBucketAclWithBlockPublicAccessError(ServiceError):
    """CreateBucket with a public ACL where ownership allows ACLs: the new bucket's own Block
    Public Access settings (all on) refuse it."""

    code = "InvalidBucketAclWithBlockPublicAccessError"
    status = 400

    def __init__(self) -> None:
        super().__init__("Bucket cannot have public ACLs set with BlockPublicAccess enabled")


class InvalidBucketState(ServiceError):
    """A request the bucket's state forbids (Object Lock needs versioning Enabled, and keeps it)."""

    code = "InvalidBucketState"
    status = 409


class MissingRequestBodyError(ServiceError):
    code = "MissingRequestBodyError"
    status = 400


class NoSuchConfiguration(ServiceError):
    """A metrics, inventory, analytics or Intelligent-Tiering configuration id the bucket lacks
    (LocalStack's AWS-validated TestS3MetricsConfiguration snapshots: no BucketName member)."""

    code = "NoSuchConfiguration"
    status = 404

    def __init__(self) -> None:
        super().__init__("The specified configuration does not exist.")


class TooManyConfigurations(ServiceError):
    """A new configuration past the 1,000 of its kind a bucket may hold."""

    code = "TooManyConfigurations"
    status = 400

    def __init__(self) -> None:
        super().__init__("You are attempting to create a new configuration but have already reached the "
                         "1,000-configuration limit.")
