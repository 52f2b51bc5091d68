"""Lambda answers as LocalStack's AWS-validated snapshot tests recorded them (tests/aws/services/
lambda_/test_lambda_api.py and test_lambda.py), where Overcast had differed."""

from __future__ import annotations

import json

from tests.services.lambda_.helpers import ROLE, create_python, refused, unique, zip_of

SOURCE = "def handler(event, context):\n    return event\n"


def test_publish_on_create_answers_the_unqualified_arn(lam):
    """test_publish_version_on_create: version 1's configuration under the function's own ARN."""
    name = unique()
    created = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="lambda_function.handler",
                                  Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})}, Publish=True)
    assert created["Version"] == "1"
    assert created["FunctionArn"].endswith(f":function:{name}")
    # The lists leave the runtime version out, as they do the state.
    listed = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1"]
    assert all("RuntimeVersionConfig" not in v and "State" not in v for v in listed)
    functions = [f for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]
                 if f["FunctionName"] == name]
    assert functions and "RuntimeVersionConfig" not in functions[0]
    assert "RuntimeVersionConfig" in lam.get_function_configuration(FunctionName=name)
    # A version that is not there: nothing to delete, and no error (test_delete_on_nonexisting_version).
    lam.delete_function(FunctionName=name, Qualifier="1233")
    assert lam.get_function(FunctionName=name, Qualifier="1")["Configuration"]["Version"] == "1"


def test_tag_limit_and_qualified_concurrency(lam):
    name = create_python(lam, SOURCE)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    too_many = {f"k{i}": "v" for i in range(51)}
    assert refused(lam.tag_resource, Resource=arn, Tags=too_many) == (
        "InvalidParameterValueException", "Number of tags exceeds resource tag limit.", 400)
    lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert refused(lam.tag_resource, Resource=arn, Tags={"one-more": "v"}) == (
        "InvalidParameterValueException", "Number of tags exceeds resource tag limit.", 400)
    assert refused(lam.create_function, FunctionName=unique(), Runtime="python3.12", Role=ROLE,
                   Handler="lambda_function.handler", Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})},
                   Tags=too_many)[:2] == ("InvalidParameterValueException", "Number of tags exceeds resource tag limit.")
    assert refused(lam.put_function_concurrency, FunctionName=f"{arn}:$LATEST", ReservedConcurrentExecutions=1) == (
        "InvalidParameterValueException",
        "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. "
        "Please specify either a function name or an unqualified function ARN.", 400)


def test_event_invoke_config_answers(lam):
    name = create_python(lam, SOURCE)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    missing = arn.replace(name, "doesnotexist")
    assert refused(lam.get_function_event_invoke_config, FunctionName="doesnotexist") == (
        "ResourceNotFoundException", f"The function {missing}:$LATEST doesn't have an EventInvokeConfig", 404)
    assert refused(lam.delete_function_event_invoke_config, FunctionName=name, Qualifier="1221") == (
        "ResourceNotFoundException", f"The function {arn}:1221 doesn't have an EventInvokeConfig", 404)
    assert refused(lam.list_function_event_invoke_configs, FunctionName="doesnotexist") == (
        "ResourceNotFoundException", "The function doesn't exist.", 404)
    # Both destination sides answered, {} where none was given.
    target = lam.get_function(FunctionName=create_python(lam, SOURCE))["Configuration"]["FunctionArn"]
    put = lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": target}})
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": target}}


def test_layer_version_numbers_and_regions(lam, client_factory):
    assert refused(lam.get_layer_version, LayerName="some-layer", VersionNumber=0) == (
        "InvalidParameterValueException", "Layer Version Cannot be less than 1", 400)
    assert refused(lam.delete_layer_version, LayerName="some-layer", VersionNumber=-1) == (
        "InvalidParameterValueException", "Layer Version Cannot be less than 1", 400)
    layer = lam.publish_layer_version(LayerName=unique(), Content={"ZipFile": zip_of({"python/x.py": "X = 1\n"})})
    elsewhere = layer["LayerVersionArn"].replace(":us-east-1:", ":eu-west-1:")
    assert refused(lam.create_function, FunctionName=unique(), Runtime="python3.12", Role=ROLE,
                   Handler="lambda_function.handler", Code={"ZipFile": zip_of({"lambda_function.py": SOURCE})},
                   Layers=[elsewhere]) == (
        "InvalidParameterValueException",
        "Layers are not in the same region as the function. Layers are expected to be in region us-east-1.", 400)


def test_invoke_names_a_missing_function_with_latest_and_takes_six_mib(lam):
    assert refused(lam.invoke, FunctionName="doesnotexist", Payload=b"{}")[:2] == (
        "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:doesnotexist:$LATEST")
    assert refused(lam.invoke, FunctionName="doesnotexist", Qualifier="3", Payload=b"{}")[1].endswith("doesnotexist:3")
    # A response of 6 MiB passes (the limit is 6 MiB and 100 bytes: test_lambda_large_response).
    name = create_python(lam, "def handler(event, context):\n    return 'a' * (6 * 1024 * 1024 - 2)\n",
                         MemorySize=512, Timeout=30)
    response = lam.invoke(FunctionName=name, Payload=json.dumps({}).encode())
    assert "FunctionError" not in response and len(response["Payload"].read()) == 6 * 1024 * 1024
