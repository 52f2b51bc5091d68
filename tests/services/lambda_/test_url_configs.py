"""Function URL configurations (the control plane), against a real server with boto3 and the AWS
CLI. Wordings are those LocalStack's AWS-validated TestLambdaUrl snapshots recorded."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.services.lambda_.helpers import call_url, create_python, refused, signed_headers, unique

HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
AWS = "/work/main/.venv/bin/aws"
URL_SHAPE = re.compile(r"^http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+/$")
TIME_SHAPE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture(scope="module")
def function_with_alias(lam):
    name = create_python(lam, HANDLER)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    return name


def test_lifecycle_of_an_unqualified_url(lam):
    name = create_python(lam, HANDLER)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    created = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert URL_SHAPE.match(created["FunctionUrl"])
    assert created["FunctionArn"] == arn
    assert created["AuthType"] == "NONE"
    assert "LastModifiedTime" not in created and "Cors" not in created and "InvokeMode" not in created
    assert TIME_SHAPE.match(created["CreationTime"])

    assert refused(lam.create_function_url_config, FunctionName=name, AuthType="NONE") == (
        "ResourceConflictException",
        f"Failed to create function url config for [functionArn = {arn}]. Error message:  FunctionUrlConfig "
        "exists for this Lambda function", 409)

    got = lam.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == created["FunctionUrl"] and got["CreationTime"] == created["CreationTime"]
    assert got["InvokeMode"] == "BUFFERED"
    assert TIME_SHAPE.match(got["LastModifiedTime"])

    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-a"],
            "ExposeHeaders": ["x-b"], "MaxAge": 60, "AllowCredentials": True}
    updated = lam.update_function_url_config(FunctionName=name, AuthType="AWS_IAM", Cors=cors,
                                             InvokeMode="RESPONSE_STREAM")
    assert updated["AuthType"] == "AWS_IAM" and updated["Cors"] == cors
    assert updated["InvokeMode"] == "RESPONSE_STREAM"
    assert updated["FunctionUrl"] == created["FunctionUrl"]
    assert lam.get_function_url_config(FunctionName=name)["Cors"] == cors

    assert lam.delete_function_url_config(FunctionName=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert refused(lam.get_function_url_config, FunctionName=name) == (
        "ResourceNotFoundException", "The resource you requested does not exist.", 404)


def test_an_alias_has_its_own_url_and_list_pages_through_them(lam, function_with_alias):
    name = function_with_alias
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []
    plain = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    alias = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="AWS_IAM")
    assert alias["FunctionArn"].endswith(f":function:{name}:live")
    assert alias["FunctionUrl"] != plain["FunctionUrl"]
    assert lam.get_function_url_config(FunctionName=f"{name}:live")["AuthType"] == "AWS_IAM"

    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert {c["FunctionUrl"] for c in listed} == {plain["FunctionUrl"], alias["FunctionUrl"]}
    first = lam.list_function_url_configs(FunctionName=name, MaxItems=1)
    second = lam.list_function_url_configs(FunctionName=name, MaxItems=1, Marker=first["NextMarker"])
    assert "NextMarker" not in second
    assert {first["FunctionUrlConfigs"][0]["FunctionUrl"], second["FunctionUrlConfigs"][0]["FunctionUrl"]} == \
        {plain["FunctionUrl"], alias["FunctionUrl"]}
    lam.delete_function_url_config(FunctionName=name, Qualifier="live")
    lam.delete_function_url_config(FunctionName=name)


@pytest.mark.parametrize("call, missing_function", [
    ("create_function_url_config", "Function does not exist"),
    ("get_function_url_config", "The resource you requested does not exist."),
    ("delete_function_url_config", "The resource you requested does not exist."),
    ("update_function_url_config", "Function does not exist"),
])
def test_names_and_qualifiers_are_refused_as_lambda_refuses_them(lam, function_with_alias, call, missing_function):
    method = getattr(lam, call)
    extra = {"AuthType": "NONE"} if call.startswith(("create", "update")) else {}
    name = function_with_alias
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    version_pattern = r"(^\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))"
    for function_name in ("doesnotexist", arn.replace(name, "doesnotexist")):
        assert refused(method, FunctionName=function_name, **extra) == (
            "ResourceNotFoundException", missing_function, 404)
    for function_name, qualifier in (("doesnotexist", "1"), (name, "1"), (name, "2")):
        assert refused(method, FunctionName=function_name, Qualifier=qualifier, **extra) == (
            "ValidationException", f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: {version_pattern}", 400)
    assert refused(method, FunctionName=name, Qualifier="$LATEST", **extra) == (
        "ValidationException", "1 validation error detected: Value '$LATEST' at 'qualifier' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)", 400)
    assert refused(method, FunctionName=name, Qualifier="v1", **extra) == (
        "ResourceNotFoundException", missing_function, 404)
    if call != "create_function_url_config":
        assert refused(method, FunctionName=name, **extra) == (
            "ResourceNotFoundException", "The resource you requested does not exist.", 404)


def test_list_of_a_missing_function(lam):
    assert refused(lam.list_function_url_configs, FunctionName="doesnotexist") == (
        "ResourceNotFoundException", "Function does not exist", 404)


def test_auth_type_invoke_mode_and_cors_are_checked_and_nothing_is_made(lam_unchecked, lam):
    name = create_python(lam, HANDLER)
    assert refused(lam_unchecked.create_function_url_config, FunctionName=name, AuthType="OPEN") == (
        "ValidationException", "1 validation error detected: Value 'OPEN' at 'authType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [NONE, AWS_IAM]", 400)
    assert refused(lam_unchecked.create_function_url_config, FunctionName=name, AuthType="NONE",
                   InvokeMode="STREAM")[0::2] == ("ValidationException", 400)
    code, message, status = refused(lam_unchecked.create_function_url_config, FunctionName=name, AuthType="NONE",
                                    Cors={"AllowMethods": ["OPTIONS2"], "MaxAge": 86401})
    assert (code, status) == ("ValidationException", 400)
    assert "'cors.maxAge' failed to satisfy constraint: Member must have value less than or equal to 86400" in message
    assert "cors.allowMethods" in message
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []


def test_deleting_the_alias_or_the_function_deletes_their_urls(lam):
    name = create_python(lam, HANDLER)
    lam.create_alias(FunctionName=name, Name="edge", FunctionVersion=lam.publish_version(FunctionName=name)["Version"])
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    lam.create_function_url_config(FunctionName=name, Qualifier="edge", AuthType="NONE")
    lam.delete_alias(FunctionName=name, Name="edge")
    assert [c["FunctionArn"] for c in lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]] == [
        lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]]
    lam.create_alias(FunctionName=name, Name="edge", FunctionVersion="1")
    assert refused(lam.get_function_url_config, FunctionName=name, Qualifier="edge")[1] == \
        "The resource you requested does not exist."
    lam.delete_function(FunctionName=name)
    create_python(lam, HANDLER, name=name)
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []


def test_urls_survive_kill_9(fresh_server):
    from tests.conftest import make_client

    lam = make_client("lambda", fresh_server.endpoint_url)
    name = create_python(lam, HANDLER, name=unique("kept"))
    created = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM",
                                             Cors={"AllowOrigins": ["*"]})
    fresh_server.kill9()
    fresh_server.start()
    lam = make_client("lambda", fresh_server.endpoint_url)
    got = lam.get_function_url_config(FunctionName=name)
    assert (got["FunctionUrl"], got["AuthType"], got["Cors"]) == (created["FunctionUrl"], "AWS_IAM",
                                                                  {"AllowOrigins": ["*"]})
    # The restarted server serves it too, before any Lambda API call has loaded the service.
    fresh_server.kill9()
    fresh_server.start()
    status, _, data, _ = call_url(fresh_server.port, created["FunctionUrl"], "GET", "/",
                              headers=signed_headers(created["FunctionUrl"], "GET", "/", b""))
    assert (status, data) == (200, b"ok")


def test_the_cli_creates_and_lists_urls(lam, aws_cli_env):
    name = create_python(lam, HANDLER)

    def cli(*args: str) -> dict:
        out = subprocess.run([AWS, "lambda", *args, "--output", "json"], env=aws_cli_env, capture_output=True,
                             text=True, check=True)
        return json.loads(out.stdout)

    created = cli("create-function-url-config", "--function-name", name, "--auth-type", "NONE",
                  "--cors", "AllowOrigins=https://a.example,MaxAge=5")
    assert created["Cors"] == {"AllowOrigins": ["https://a.example"], "MaxAge": 5}
    listed = cli("list-function-url-configs", "--function-name", name)
    assert [c["FunctionUrl"] for c in listed["FunctionUrlConfigs"]] == [created["FunctionUrl"]]


def test_concurrent_creates_make_one_url(lam):
    """Creates of the same function's URL racing each other: one URL, the others the conflict
    (the second insert used to meet the table's unique index: a 500 and a traceback)."""
    from concurrent.futures import ThreadPoolExecutor

    from botocore.exceptions import ClientError

    name = create_python(lam, "def handler(e, c):\n    return 1\n")

    def create(_):
        try:
            return lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
        except ClientError as error:
            return (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"])

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(create, range(8)))
    urls = [answer for answer in answers if isinstance(answer, str)]
    assert len(urls) == 1
    assert [answer for answer in answers if not isinstance(answer, str)] == [("ResourceConflictException", 409)] * 7
    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [entry["FunctionUrl"] for entry in listed] == urls
