"""Input checks as Lambda makes them, and the parsing of function names, ARNs and qualifiers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from overcast.services.lambda_.errors import (
    InvalidParameterValue,
    RequestTooLarge,
    ResourceNotFound,
    validation_error,
)

SUPPORTED_RUNTIMES = (
    "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
    "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
    "provided", "provided.al2", "provided.al2023",
    "java11", "java17", "java21", "java8.al2", "dotnet8", "ruby3.2", "ruby3.3", "ruby3.4",
)
DEPRECATED_RUNTIMES = (
    "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
    "nodejs4.3-edge", "python2.7", "python3.6", "python3.7", "python3.8", "dotnetcore1.0", "dotnetcore2.0",
    "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "ruby2.5", "ruby2.7", "go1.x", "java8",
)
ALL_RUNTIMES = SUPPORTED_RUNTIMES + DEPRECATED_RUNTIMES
EXECUTABLE_FAMILIES = ("python", "nodejs", "java", "provided")

# The model's pattern for FunctionName, which the messages quote. What a reference is read with
# is wider, as the model's NamespacedFunctionName (GetFunction, Invoke, ...): a name with a dot
# or the $LATEST.PUBLISHED qualifier names no function Overcast can hold (CreateFunction's
# pattern has neither), and is not found rather than refused.
FUNCTION_NAME_PATTERN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
                         r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")
_CREATE_NAME = re.compile(FUNCTION_NAME_PATTERN, re.ASCII)
_FUNCTION_NAME = re.compile(
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?", re.ASCII)
_FUNCTION_REF = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):(?P<account>\d{12}):"
    r"function:)?(?:(?P<account2>\d{12}):function:)?(?P<name>[a-zA-Z0-9-_.]{1,64})"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$", re.ASCII)
ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_ROLE = re.compile(ROLE_PATTERN)
_HANDLER = re.compile(r"[^\s]+")
_ALIAS = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
RESERVED_ENV_KEYS = (
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
)
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 262144000
MAX_ENV_BYTES = 4096
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 1024 * 1024


@dataclass
class FunctionRef:
    name: str
    qualifier: str | None
    account: str | None
    region: str | None


def parse_function_ref(value: str, member: str = "functionName") -> FunctionRef:
    """A name, partial ARN (123456789012:function:name) or ARN, each optionally with :qualifier."""
    if not value or len(value) > 256 or not _FUNCTION_NAME.fullmatch(value):
        raise validation_error(value, member,
                               f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}")
    match = _FUNCTION_REF.match(value)
    if match is None:
        raise validation_error(value, member,
                               f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}")
    return FunctionRef(match["name"], match["qualifier"], match["account"] or match["account2"], match["region"])


def check_function_name_for_create(name: str) -> None:
    if not name or len(name) > 64 or not re.fullmatch(r"[a-zA-Z0-9-_]+", name):
        # CreateFunction's own pattern, narrower than the one references are read with.
        match = _CREATE_NAME.fullmatch(name or "")
        if match is None:
            raise validation_error(name, "functionName",
                                   f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}")
        if len(match.group(11)) > 64:  # the name itself, without an ARN's parts or a qualifier
            raise validation_error(name, "functionName", "Member must have length less than or equal to 64")


def check_runtime(runtime: str | None, handler: str | None, package_type: str) -> None:
    if package_type == "Image":
        return
    if not runtime or not handler:
        raise InvalidParameterValue("Runtime and Handler are mandatory parameters for functions created "
                                    "with deployment packages.")
    if runtime in DEPRECATED_RUNTIMES:
        raise InvalidParameterValue(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            f"functions. We recommend you use the new runtime (python3.13) while creating or updating functions.")
    if runtime not in SUPPORTED_RUNTIMES:
        raise InvalidParameterValue(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(SUPPORTED_RUNTIMES)}] or be a valid ARN")


def check_handler(handler: str | None) -> None:
    if handler is not None and (len(handler) > 128 or not _HANDLER.fullmatch(handler)):
        raise validation_error(handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+")


def check_role(role: str | None) -> None:
    if role is None:
        raise validation_error("null", "role", "Member must not be null")
    if not _ROLE.fullmatch(role):
        raise validation_error(role, "role", f"Member must satisfy regular expression pattern: {ROLE_PATTERN}")


def _check_range(value: int | None, member: str, low: int, high: int) -> None:
    if value is None or value < low:
        raise validation_error(value, member, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise validation_error(value, member, f"Member must have value less than or equal to {high}")


def check_memory(memory: int | None) -> None:
    if memory is not None:
        _check_range(memory, "memorySize", 128, 10240)


def check_timeout(timeout: int | None) -> None:
    if timeout is not None:
        _check_range(timeout, "timeout", 1, 900)


def check_ephemeral(storage: dict | None) -> None:
    if storage:
        _check_range(storage.get("Size"), "ephemeralStorage.size", 512, 10240)


def check_environment(environment: dict | None) -> None:
    variables = (environment or {}).get("Variables") or {}
    reserved = [k for k in variables if k in RESERVED_ENV_KEYS]
    if reserved:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the environment variables you "
            "have provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {','.join(reserved)}")
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > MAX_ENV_BYTES:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the environment variables you "
            f"have provided exceeded the 4KB limit. String measured: {measured}")


def check_zip_size(data: bytes, operation: str) -> None:
    if len(data) > MAX_ZIP_BYTES:
        raise RequestTooLarge(f"Request must be smaller than 69905067 bytes for the {operation} operation")


ARCHITECTURES = ("x86_64", "arm64")
INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")  # in the order Lambda's model lists them
MAX_DESCRIPTION = 256
MAX_LIST_ITEMS = 10000
# ListFunctions and ListVersionsByFunction answer at most 50 items a page, whatever MaxItems asks.
MAX_PAGE = 50


def check_architectures(architectures: list | None) -> None:
    """Lambda's own wording (as recorded against AWS in LocalStack's snapshot tests): a list of
    more than one is refused for its length, an unknown value for the enum."""
    if architectures is None:
        return
    shown = f"[{', '.join(str(a) for a in architectures)}]"
    if len(architectures) != 1:
        raise validation_error(shown, "architectures", "Member must have length less than or equal to 1")
    if architectures[0] not in ARCHITECTURES:
        raise validation_error(shown, "architectures", "Member must satisfy constraint: [Member must satisfy "
                                                       "enum value set: [x86_64, arm64], Member must not be null]")


def check_package_type(package_type: str) -> None:
    if package_type not in ("Zip", "Image"):
        raise validation_error(package_type, "packageType", "Member must satisfy enum value set: [Image, Zip]")


def check_tracing(tracing: dict | None) -> None:
    mode = (tracing or {}).get("Mode")
    if mode is not None and mode not in ("Active", "PassThrough"):
        raise validation_error(mode, "tracingConfig.mode", "Member must satisfy enum value set: [Active, PassThrough]")


def check_description(description: str | None) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise validation_error(description, "description",
                               f"Member must have length less than or equal to {MAX_DESCRIPTION}")


def check_max_items(max_items: int | None, high: int = MAX_LIST_ITEMS) -> None:
    if max_items is not None:
        _check_range(max_items, "maxItems", 1, high)


def check_invocation_type(invocation_type: str) -> None:
    if invocation_type not in INVOCATION_TYPES:
        raise validation_error(invocation_type, "invocationType",
                               f"Member must satisfy enum value set: [{', '.join(INVOCATION_TYPES)}]")


def check_alias_name(name: str) -> None:
    if not name or len(name) > 128 or not _ALIAS.fullmatch(name):
        raise validation_error(name, "name", "Member must satisfy regular expression pattern: "
                                             "(?!^[0-9]+$)([a-zA-Z0-9-_]+)")


def check_qualifier_matches(ref: FunctionRef, qualifier: str | None) -> str | None:
    """A qualifier may come in the name or the Qualifier parameter; both must agree."""
    if ref.qualifier and qualifier and ref.qualifier != qualifier:
        raise InvalidParameterValue("The derived qualifier from the function name does not match the "
                                    "specified qualifier.")
    return qualifier or ref.qualifier


def runtime_family(runtime: str) -> str:
    for family in EXECUTABLE_FAMILIES:
        if runtime.startswith(family):
            return family
    return ""


def not_found_for(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"Function not found: {arn}")
