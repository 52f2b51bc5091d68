"""Lambda's control plane checked against AWS's own answers: codes, messages and statuses.

Where each expectation comes from is noted beside it: AWS's documentation and CLI examples,
messages users quote from real Lambda, and test suites recorded against AWS (LocalStack's
snapshot tests). Messages in Lambda's "1 validation error detected" form follow the API
reference's constraints in the wording Lambda uses for every other member.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.services.lambda_.helpers import ROLE, create_python, error_of, refused, unique, zip_of

SOURCE = "def handler(event, context):\n    return event\n"
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:000000000000:function"


def create_params(**overrides) -> dict:
    params = dict(FunctionName=unique(), Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                  Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})})
    params.update(overrides)
    return params


# -- CreateFunction / UpdateFunctionCode validation ---------------------------------------------

@pytest.mark.parametrize("architectures, constraint", [
    # Both wordings as recorded against AWS (LocalStack's test_lambda_api snapshots).
    (["x86_64", "arm64"], "Member must have length less than or equal to 1"),
    (["mips"], "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], "
               "Member must not be null]"),
])
def test_create_refuses_bad_architectures(lam_unchecked, architectures, constraint):
    params = create_params(Architectures=architectures)
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.create_function(**params)
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '[{', '.join(architectures)}]' at 'architectures' failed to "
        f"satisfy constraint: {constraint}", 400)
    with pytest.raises(ClientError) as missing:
        lam_unchecked.get_function(FunctionName=params["FunctionName"])
    assert error_of(missing)[0] == "ResourceNotFoundException"


def test_update_code_refuses_bad_architectures(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.update_function_code(FunctionName=name, ZipFile=zip_of({"lambda_function.py": SOURCE}),
                                           Architectures=["sparc"])
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value '[sparc]' at 'architectures'")


def test_create_refuses_description_over_256_characters(lam_unchecked):
    description = "d" * 257
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.create_function(**create_params(Description=description))
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{description}' at 'description' failed to satisfy constraint: "
        "Member must have length less than or equal to 256", 400)


@pytest.mark.parametrize("overrides, member, constraint", [
    ({"PackageType": "Jar"}, "packageType", "Member must satisfy enum value set: [Image, Zip]"),
    ({"TracingConfig": {"Mode": "Sometimes"}}, "tracingConfig.mode",
     "Member must satisfy enum value set: [Active, PassThrough]"),
])
def test_create_refuses_unknown_enum_values(lam_unchecked, overrides, member, constraint):
    value = overrides.get("PackageType") or overrides["TracingConfig"]["Mode"]
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.create_function(**create_params(**overrides))
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}",
        400)


# -- ListFunctions and ListVersionsByFunction ----------------------------------------------------

def test_list_functions_validates_function_version_and_max_items(lam_unchecked):
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.list_functions(FunctionVersion="LATEST")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'LATEST' at 'functionVersion' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL]", 400)
    for value, constraint in ((0, "greater than or equal to 1"), (10001, "less than or equal to 10000")):
        with pytest.raises(ClientError) as excinfo:
            lam_unchecked.list_functions(MaxItems=value)
        assert error_of(excinfo) == (
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'maxItems' failed to satisfy constraint: "
            f"Member must have value {constraint}", 400)


def test_listing_every_version_names_latest_by_its_qualified_arn(lam):
    # AWS CLI's list-versions-by-function example: "FunctionArn": "...:function:my-function:$LATEST",
    # and no State/LastUpdateStatus in listed configurations.
    name = create_python(lam, SOURCE, Publish=True)
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [(v["Version"], v["FunctionArn"]) for v in versions] == [
        ("$LATEST", f"{ACCOUNT_ARN}:{name}:$LATEST"), ("1", f"{ACCOUNT_ARN}:{name}:1")]
    assert all("State" not in v and "LastUpdateStatus" not in v for v in versions)
    listed = [f for page in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL")
              for f in page["Functions"] if f["FunctionName"] == name]
    assert sorted(f["FunctionArn"] for f in listed) == [f"{ACCOUNT_ARN}:{name}:$LATEST", f"{ACCOUNT_ARN}:{name}:1"]
    unqualified = [f for page in lam.get_paginator("list_functions").paginate()
                   for f in page["Functions"] if f["FunctionName"] == name]
    assert [f["FunctionArn"] for f in unqualified] == [f"{ACCOUNT_ARN}:{name}"]


def test_list_versions_answers_at_most_50_a_page(lam):
    # API reference: "ListVersionsByFunction returns a maximum of 50 items in each response, even if
    # you set the number higher."
    name = create_python(lam, SOURCE)
    for timeout in range(4, 55):
        lam.update_function_configuration(FunctionName=name, Timeout=timeout)
        lam.publish_version(FunctionName=name)
    first = lam.list_versions_by_function(FunctionName=name, MaxItems=100)
    assert len(first["Versions"]) == 50 and "NextMarker" in first
    rest = lam.list_versions_by_function(FunctionName=name, MaxItems=100, Marker=first["NextMarker"])
    assert [v["Version"] for v in rest["Versions"]] == ["50", "51"] and "NextMarker" not in rest


# -- PublishVersion -------------------------------------------------------------------------------

def test_publish_with_another_code_sha_names_both(lam):
    name = create_python(lam, SOURCE)
    sha = lam.get_function_configuration(FunctionName=name)["CodeSha256"]
    with pytest.raises(ClientError) as excinfo:
        lam.publish_version(FunctionName=name, CodeSha256="abc")
    assert error_of(excinfo) == (
        "InvalidParameterValueException",
        f"CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST ({sha}). Please try again with the "
        "CodeSHA256 in $LATEST.", 400)


def test_a_changed_function_description_is_a_change_worth_a_version(lam):
    # "Lambda doesn't publish a version if the function's configuration and code haven't changed":
    # the description is part of the configuration.
    name = create_python(lam, SOURCE, Description="first")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.update_function_configuration(FunctionName=name, Description="second")
    second = lam.publish_version(FunctionName=name)
    assert second["Version"] == "2" and second["Description"] == "second"


# -- aliases --------------------------------------------------------------------------------------

def test_missing_alias_is_named_as_lambda_names_it(lam):
    # Terraform's AWS provider recognises a deleted alias by this message.
    name = create_python(lam, SOURCE, Publish=True)
    for call in (lambda: lam.get_alias(FunctionName=name, Name="gone"),
                 lambda: lam.update_alias(FunctionName=name, Name="gone", FunctionVersion="1")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("ResourceNotFoundException",
                                     f"Cannot find alias arn: {ACCOUNT_ARN}:{name}:gone", 404)


def test_routing_weights_outside_their_constraints(lam, lam_unchecked):
    name = create_python(lam, SOURCE, Publish=True)
    lam.update_function_configuration(FunctionName=name, Timeout=9)
    lam.publish_version(FunctionName=name)
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.create_alias(FunctionName=name, Name="canary", FunctionVersion="1",
                                   RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}})
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '{2=1.5}' at 'routingConfig.additionalVersionWeights' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to "
        "1.0, Member must have value greater than or equal to 0.0, Member must not be null]", 400)
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.create_alias(FunctionName=name, Name="canary", FunctionVersion="1",
                                   RoutingConfig={"AdditionalVersionWeights": {"live": 0.5}})
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value '{live=0.5}' at "
                              "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must")


# -- resource policies ----------------------------------------------------------------------------

def add_permission(client, name: str, sid: str = "allow-s3", **extra):
    return client.add_permission(FunctionName=name, StatementId=sid, Action="lambda:InvokeFunction",
                                 Principal="s3.amazonaws.com", **extra)


def test_duplicate_statement_id_message(lam):
    # Quoted from AWS by many deployment tools that match on it.
    name = create_python(lam, SOURCE)
    add_permission(lam, name)
    with pytest.raises(ClientError) as excinfo:
        add_permission(lam, name)
    assert error_of(excinfo) == (
        "ResourceConflictException",
        "The statement id (allow-s3) provided already exists. Please provide a new statement id, or remove the "
        "existing statement.", 409)


def test_no_policies_on_latest(lam):
    # Terraform users quote it: aws_lambda_permission with qualifier $LATEST fails this way.
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        add_permission(lam, name, Qualifier="$LATEST")
    assert error_of(excinfo) == ("InvalidParameterValueException",
                                 "We currently do not support adding policies for $LATEST.", 400)


def test_add_permission_patterns(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        add_permission(lam_unchecked, name, sid="has spaces")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'has spaces' at 'statementId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)", 400)
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.add_permission(FunctionName=name, StatementId="s", Action="s3:GetObject",
                                     Principal="s3.amazonaws.com")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 's3:GetObject' at 'action' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", 400)
    with pytest.raises(ClientError) as excinfo:
        lam.get_policy(FunctionName=name)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"  # nothing was added


def test_permission_on_a_missing_alias(lam):
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        add_permission(lam, name, Qualifier="prod")
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Cannot find alias arn: {ACCOUNT_ARN}:{name}:prod",
                                 404)


def test_remove_permission_without_any_policy(lam):
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        lam.remove_permission(FunctionName=name, StatementId="never-added")
    assert error_of(excinfo) == ("ResourceNotFoundException", "No policy is associated with the given resource.",
                                 404)
    add_permission(lam, name)
    with pytest.raises(ClientError) as excinfo:
        lam.remove_permission(FunctionName=name, StatementId="never-added")
    assert error_of(excinfo) == ("ResourceNotFoundException",
                                 "Statement never-added is not found in resource policy.", 404)
    assert json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"][0]["Sid"] == "allow-s3"


# -- concurrency and asynchronous invocation settings ---------------------------------------------

def test_negative_reserved_concurrency(lam_unchecked):
    # Checked as a request constraint, before the function is looked up.
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.put_function_concurrency(FunctionName="no-such-" + unique(), ReservedConcurrentExecutions=-1)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0", 400)


def test_event_invoke_config_constraints(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        lam.put_function_event_invoke_config(FunctionName=name)
    assert error_of(excinfo) == ("InvalidParameterValueException",
                                 "You must specify at least one of error handling or destination setting.", 400)
    for key, value, member, constraint in (
            ("MaximumRetryAttempts", 3, "maximumRetryAttempts", "less than or equal to 2"),
            ("MaximumEventAgeInSeconds", 59, "maximumEventAgeInSeconds", "greater than or equal to 60"),
            ("MaximumEventAgeInSeconds", 21601, "maximumEventAgeInSeconds", "less than or equal to 21600")):
        with pytest.raises(ClientError) as excinfo:
            lam_unchecked.put_function_event_invoke_config(FunctionName=name, **{key: value})
        assert error_of(excinfo) == (
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must have value {constraint}", 400)
    # Update changes an existing configuration; it does not create one.
    with pytest.raises(ClientError) as excinfo:
        lam.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    assert error_of(excinfo) == ("ResourceNotFoundException",
                                 f"The function {ACCOUNT_ARN}:{name}:$LATEST doesn't have an EventInvokeConfig", 404)


# -- Invoke ---------------------------------------------------------------------------------------

def test_synchronous_payload_over_6_mb(lam):
    # The wording users quote from AWS: "... 6291456 bytes for the InvokeFunction operation".
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        lam.invoke(FunctionName=name, Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert error_of(excinfo) == ("RequestEntityTooLargeException",
                                 "Request must be smaller than 6291456 bytes for the InvokeFunction operation", 413)


def test_unknown_invocation_type(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        lam_unchecked.invoke(FunctionName=name, InvocationType="Later", Payload=b"{}")
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'Later' at 'invocationType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Event, RequestResponse, DryRun]", 400)


# -- GetFunction / GetFunctionConfiguration -----------------------------------------------------

def test_configuration_by_qualifier_names_what_was_asked_for(lam):
    # An alias's answer is its version's configuration under the alias's ARN; $LATEST asked for by
    # name is qualified too (LocalStack's snapshot tests, recorded against AWS).
    name = create_python(lam, SOURCE, Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    for get in (lambda **kw: lam.get_function(**kw)["Configuration"], lam.get_function_configuration):
        by_alias = get(FunctionName=name, Qualifier="live")
        assert (by_alias["FunctionArn"], by_alias["Version"]) == (f"{ACCOUNT_ARN}:{name}:live", "1")
        assert get(FunctionName=name, Qualifier="$LATEST")["FunctionArn"] == f"{ACCOUNT_ARN}:{name}:$LATEST"
        assert get(FunctionName=f"{name}:1")["FunctionArn"] == f"{ACCOUNT_ARN}:{name}:1"
        assert get(FunctionName=name)["FunctionArn"] == f"{ACCOUNT_ARN}:{name}"


# -- layers on a function -------------------------------------------------------------------------

def publish_layer(lam, name: str) -> str:
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of({"x.txt": "x"})})["LayerVersionArn"]


def test_layer_limits(lam):
    # Wording as recorded against AWS in LocalStack's tests.
    layers = [publish_layer(lam, unique("layer")) for _ in range(6)]
    with pytest.raises(ClientError) as excinfo:
        lam.create_function(**create_params(Layers=layers))
    assert error_of(excinfo) == ("InvalidParameterValueException", "Cannot reference more than 5 layers.", 400)
    name = unique("layer")
    first, second = publish_layer(lam, name), publish_layer(lam, name)
    with pytest.raises(ClientError) as excinfo:
        lam.create_function(**create_params(Layers=[first, second]))
    assert error_of(excinfo) == (
        "InvalidParameterValueException",
        "Two different versions of the same layer are not allowed to be referenced in the same function. "
        f"{first} and {second} are versions of the same layer.", 400)


def test_refused_configuration_update_changes_nothing(lam):
    # A missing layer is found before any other field of $LATEST is changed.
    name = create_python(lam, SOURCE)
    before = lam.get_function_configuration(FunctionName=name)
    missing = "arn:aws:lambda:us-east-1:000000000000:layer:no-such-layer:1"
    with pytest.raises(ClientError) as excinfo:
        lam.update_function_configuration(FunctionName=name, Timeout=42, Layers=[missing])
    assert error_of(excinfo) == ("InvalidParameterValueException", f"Layer version {missing} does not exist.", 400)
    after = lam.get_function_configuration(FunctionName=name)
    assert (after["Timeout"], after["RevisionId"]) == (before["Timeout"], before["RevisionId"])


def test_event_invoke_config_destinations(lam):
    # Wording as recorded against AWS in LocalStack's event invoke config tests.
    name = create_python(lam, SOURCE)
    with pytest.raises(ClientError) as excinfo:
        lam.put_function_event_invoke_config(FunctionName="no-such-" + unique(), MaximumRetryAttempts=1)
    assert error_of(excinfo) == ("ResourceNotFoundException", "The function doesn't exist.", 404)
    missing = f"{ACCOUNT_ARN}:no-such-{unique()}"
    cases = [
        ({"OnFailure": {"Destination": missing}}, f"The destination ARN {missing} is invalid."),
        ({"OnSuccess": {"Destination": f"{ACCOUNT_ARN}:{name}"}},
         "You can't specify the function as a destination for itself."),
        ({"OnFailure": {"Destination": "arn:aws:s3:::bucket"}},
         "The provided destination config DestinationConfig(onSuccess=null, "
         "onFailure=OnFailure(destination=arn:aws:s3:::bucket)) is invalid."),
    ]
    for destinations, message in cases:
        with pytest.raises(ClientError) as excinfo:
            lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig=destinations)
        assert error_of(excinfo) == ("InvalidParameterValueException", message, 400)
    with pytest.raises(ClientError) as excinfo:
        lam.put_function_event_invoke_config(FunctionName=name,
                                             DestinationConfig={"OnFailure": {"Destination": "not-an-arn"}})
    code, message, status = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value 'not-an-arn' at "
                              "'destinationConfig.onFailure.destination' failed to satisfy constraint")
    queue = "arn:aws:sqs:us-east-1:000000000000:failures"
    put = lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": queue}})
    assert put["DestinationConfig"]["OnFailure"] == {"Destination": queue}


def test_list_functions_answers_at_most_50_a_page(lam):
    # API reference: "ListFunctions returns a maximum of 50 items in each response, even if you set
    # the number higher."
    code = zip_of({"lambda_function.py": SOURCE})
    for _ in range(51):
        lam.create_function(FunctionName=unique("many"), Runtime="python3.12", Role=ROLE,
                            Handler="lambda_function.handler", Code={"ZipFile": code})
    page = lam.list_functions(MaxItems=1000)
    assert len(page["Functions"]) == 50 and "NextMarker" in page


def test_a_policy_shares_its_functions_revision_id(lam):
    # GetPolicy's RevisionId is the function's (or version's, or alias's); a RevisionId read from
    # GetFunction guards AddPermission; a policy change moves it on (LocalStack's tests, recorded
    # against AWS). Warm environments are kept: nothing the function runs changed.
    counter = "COUNT = 0\n\ndef handler(event, context):\n    global COUNT\n    COUNT += 1\n    return COUNT\n"
    name = create_python(lam, counter)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == 1
    revision = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    add_permission(lam, name, RevisionId=revision)
    policy_revision = lam.get_policy(FunctionName=name)["RevisionId"]
    assert policy_revision != revision
    assert lam.get_function_configuration(FunctionName=name)["RevisionId"] == policy_revision
    with pytest.raises(ClientError) as excinfo:
        add_permission(lam, name, sid="second", RevisionId=revision)
    assert error_of(excinfo) == (
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the "
        "latest Revision Id", 412)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read()) == 2  # still the warm environment
    lam.remove_permission(FunctionName=name, StatementId="allow-s3", RevisionId=policy_revision)
    assert lam.get_function_configuration(FunctionName=name)["RevisionId"] != policy_revision


def test_a_function_is_reached_in_its_own_region_only(lam, server):
    name = create_python(lam, SOURCE)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    west = boto3.client("lambda", endpoint_url=server.endpoint_url, region_name="us-west-2", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
    assert refused(west.get_function, FunctionName=arn) == (
        "ResourceNotFoundException", "Functions from 'us-east-1' are not reachable in this region ('us-west-2')", 404)
    assert refused(west.invoke, FunctionName=arn) == (
        "ResourceNotFoundException", "Functions from 'us-east-1' are not reachable in this region ('us-west-2')", 404)


def test_no_function_has_a_code_signing_config(lam):
    # What Terraform reads after every change to a zip function.
    name = create_python(lam, SOURCE)
    assert {k: v for k, v in lam.get_function_code_signing_config(FunctionName=name).items()
            if k != "ResponseMetadata"} == {"CodeSigningConfigArn": "", "FunctionName": name}
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert lam.get_function_code_signing_config(FunctionName=arn)["FunctionName"] == name
    lam.delete_function_code_signing_config(FunctionName=name)
    code, message, status = refused(lam.get_function_code_signing_config, FunctionName="missing-" + unique())
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("Function not found: arn:aws:lambda:us-east-1:")


def test_a_destination_is_looked_up_in_the_region_its_arn_names(lam, server):
    west = boto3.client("lambda", endpoint_url=server.endpoint_url, region_name="us-west-2", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
    target = west.get_function(FunctionName=create_python(west, SOURCE))["Configuration"]["FunctionArn"]
    name = create_python(lam, SOURCE)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": target}})
    missing = target.replace(":function:", ":function:missing-")
    assert refused(lam.put_function_event_invoke_config, FunctionName=name,
                   DestinationConfig={"OnSuccess": {"Destination": missing}}) == (
        "InvalidParameterValueException", f"The destination ARN {missing} is invalid.", 400)
