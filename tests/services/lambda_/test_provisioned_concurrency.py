"""Provisioned concurrency: the four operations with Lambda's answers and errors, environments
started and initialized ahead (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency), its
limits against reserved and unreserved concurrency, aliases that move, and restarts."""

from __future__ import annotations

import json
import subprocess
import threading

import pytest

from tests.services.lambda_.helpers import (
    ROLE,
    create_python,
    error_of,
    invoke_json,
    refused,
    unique,
    wait_for,
    zip_of,
)

AWS = "/work/main/.venv/bin/aws"
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:000000000000:function"

# Prints at initialization (so the log shows it ran before any invocation), answers how its
# environment was started, and holds an invocation until a file exists when asked to.
HANDLER = """
import os, time
print("initialized", os.getpid())

def handler(event, context):
    if event.get("crash"):
        os._exit(1)
    hold = event.get("hold")
    if hold:
        open(hold + ".started", "w").close()
    while hold and not os.path.exists(hold):
        time.sleep(0.01)
    return os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
"""


def published(lam, source: str = HANDLER, **extra) -> tuple[str, str]:
    name = create_python(lam, source, **extra)
    return name, lam.publish_version(FunctionName=name)["Version"]


def ready(lam, name: str, qualifier: str) -> dict:
    def status():
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        return config if config["Status"] != "IN_PROGRESS" else None
    return wait_for(status, timeout=60)


def init_type(lam, name: str, qualifier: str) -> str:
    return invoke_json(lam, name, Qualifier=qualifier)[1]


def test_put_is_in_progress_then_ready_with_initialized_environments(lam, logs):
    name, version = published(lam)
    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                                 ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (put["Status"], put["RequestedProvisionedConcurrentExecutions"],
            put["AllocatedProvisionedConcurrentExecutions"], put["AvailableProvisionedConcurrentExecutions"]) == \
        ("IN_PROGRESS", 2, 0, 0)
    assert put["LastModified"].endswith("+0000")
    done = ready(lam, name, version)
    assert (done["Status"], done["AllocatedProvisionedConcurrentExecutions"],
            done["AvailableProvisionedConcurrentExecutions"], done["LastModified"]) == \
        ("READY", 2, 2, put["LastModified"])

    # Both environments initialized before anything invoked the function.
    def inits():
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return None  # the environments' first lines are not shipped yet
        found = [e["message"] for e in events if e["message"].startswith("initialized")]
        return found if len(found) == 2 else None
    assert len(set(wait_for(inits))) == 2
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert not [e for e in events if e["message"].startswith("START")]

    assert init_type(lam, name, version) == "provisioned-concurrency"
    assert init_type(lam, name, "$LATEST") == "on-demand"

    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert listed == [{**{k: v for k, v in done.items() if k != "ResponseMetadata"},
                       "FunctionArn": f"{ACCOUNT_ARN}:{name}:{version}"}]

    deleted = lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier=version) == (
        "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function",
        404)
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    assert init_type(lam, name, version) == "on-demand"


def test_a_busy_provisioned_environment_sends_the_next_invocation_on_demand(lam, tmp_path):
    name, version = published(lam)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    ready(lam, name, version)
    release = tmp_path / "release"
    results: list = []
    first = threading.Thread(target=lambda: results.append(
        invoke_json(lam, name, {"hold": str(release)}, Qualifier=version)[1]))
    first.start()
    try:
        # Once the provisioned environment holds the first invocation, the next runs on demand.
        wait_for(lambda: (tmp_path / "release.started").exists(), timeout=20)
        assert init_type(lam, name, version) == "on-demand"
    finally:
        release.touch()
        first.join()
    assert results == ["provisioned-concurrency"]
    assert init_type(lam, name, version) == "provisioned-concurrency"  # free again


def test_a_lost_provisioned_environment_is_replaced(lam):
    name, version = published(lam)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    ready(lam, name, version)
    response, body = invoke_json(lam, name, {"crash": True}, Qualifier=version)
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ExitError"
    # Another environment is started in its place and takes the version's invocations again.
    wait_for(lambda: init_type(lam, name, version) == "provisioned-concurrency", timeout=30)
    config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert (config["Status"], config["AvailableProvisionedConcurrentExecutions"]) == ("READY", 1)


def test_errors_as_lambda_words_them(lam, lam_unchecked):
    name, version = published(lam)
    alias_arn = f"{ACCOUNT_ARN}:{name}"
    put = lam.put_provisioned_concurrency_config
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier=version) == (
        "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function",
        404)
    assert refused(lam.get_provisioned_concurrency_config, FunctionName="doesnotexist", Qualifier="noalias") == (
        "ResourceNotFoundException", f"Cannot find alias arn: {ACCOUNT_ARN}:doesnotexist:noalias", 404)
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier="noalias") == (
        "ResourceNotFoundException", f"Cannot find alias arn: {alias_arn}:noalias", 404)
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier="10") == (
        "ResourceNotFoundException", f"Function not found: {alias_arn}:10", 404)
    latest = ("InvalidParameterValueException",
              "The function resource provided must be an alias or a published version.", 400)
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier="$LATEST") == latest
    assert refused(lam.delete_provisioned_concurrency_config, FunctionName=name, Qualifier="$LATEST") == latest
    assert refused(lam.list_provisioned_concurrency_configs, FunctionName="doesnotexist") == (
        "ResourceNotFoundException", f"Function not found: {ACCOUNT_ARN}:doesnotexist", 404)
    assert refused(lam.delete_provisioned_concurrency_config, FunctionName="doesnotexist", Qualifier="1") == (
        "ResourceNotFoundException", f"Function not found: {ACCOUNT_ARN}:doesnotexist:1", 404)
    assert refused(lam.delete_provisioned_concurrency_config, FunctionName=name, Qualifier="noalias") == (
        "ResourceNotFoundException", f"Cannot find alias arn: {alias_arn}:noalias", 404)
    # Deleting a configuration that is not there is no error.
    deleted = lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204

    assert refused(put, FunctionName="doesnotexist", Qualifier="noalias", ProvisionedConcurrentExecutions=1) == (
        "ResourceNotFoundException", f"Cannot find alias arn: {ACCOUNT_ARN}:doesnotexist:noalias", 404)
    assert refused(put, FunctionName="doesnotexist", Qualifier="1", ProvisionedConcurrentExecutions=1) == (
        "ResourceNotFoundException", f"Function not found: {ACCOUNT_ARN}:doesnotexist:1", 404)
    assert refused(put, FunctionName=name, Qualifier="10", ProvisionedConcurrentExecutions=1) == (
        "ResourceNotFoundException", f"Function not found: {alias_arn}:10", 404)
    assert refused(put, FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1) == (
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", 400)
    second = lam.publish_version(FunctionName=name, Description="second")["Version"]
    if second == version:  # nothing changed since: make a change to publish
        lam.update_function_configuration(FunctionName=name, Timeout=7)
        second = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="weighted", FunctionVersion=version,
                     RoutingConfig={"AdditionalVersionWeights": {second: 0.5}})
    assert refused(put, FunctionName=name, Qualifier="weighted", ProvisionedConcurrentExecutions=1) == (
        "InvalidParameterValueException", "Alias with weights can not be used with Provisioned Concurrency", 400)
    lam.create_alias(FunctionName=name, Name="dev", FunctionVersion="$LATEST")
    assert refused(put, FunctionName=name, Qualifier="dev", ProvisionedConcurrentExecutions=1) == (
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", 400)
    assert refused(lam_unchecked.put_provisioned_concurrency_config, FunctionName=name, Qualifier=version,
                   ProvisionedConcurrentExecutions=0) == (
        "ValidationException", "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed "
        "to satisfy constraint: Member must have value greater than or equal to 1", 400)
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []


def test_a_function_arn_of_another_region_is_not_the_callers_function(lam):
    """The four operations, like every other, do not take another Region's ARN for the caller's
    Region's function of that name."""
    name, version = published(lam)
    elsewhere = f"arn:aws:lambda:eu-west-1:000000000000:function:{name}"
    unreachable = ("ResourceNotFoundException",
                   "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')", 404)
    assert refused(lam.put_provisioned_concurrency_config, FunctionName=elsewhere, Qualifier=version,
                   ProvisionedConcurrentExecutions=1) == unreachable
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=elsewhere, Qualifier=version) == unreachable
    assert refused(lam.delete_provisioned_concurrency_config, FunctionName=elsewhere, Qualifier=version) == unreachable
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []


def test_an_alias_and_its_version_cannot_both_be_provisioned(lam):
    name, version = published(lam)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    assert refused(lam.put_provisioned_concurrency_config, FunctionName=name, Qualifier="live",
                   ProvisionedConcurrentExecutions=1) == (
        "ResourceConflictException",
        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version", 409)
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert refused(lam.put_provisioned_concurrency_config, FunctionName=name, Qualifier=version,
                   ProvisionedConcurrentExecutions=1) == (
        "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias", 409)
    # The alias's environments serve its version's invocations too.
    ready(lam, name, "live")
    assert init_type(lam, name, version) == "provisioned-concurrency"
    # Deleting the alias deletes its configuration.
    lam.delete_alias(FunctionName=name, Name="live")
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier="live") == (
        "ResourceNotFoundException", f"Cannot find alias arn: {ACCOUNT_ARN}:{name}:live", 404)
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    assert init_type(lam, name, version) == "on-demand"


def test_environments_move_with_their_alias(lam):
    name, first = published(lam)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=first)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    ready(lam, name, "live")
    lam.update_function_configuration(FunctionName=name, Timeout=10)
    second = lam.publish_version(FunctionName=name)["Version"]
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=second)
    assert ready(lam, name, "live")["Status"] == "READY"
    assert init_type(lam, name, first) == "on-demand"
    assert init_type(lam, name, second) == "provisioned-concurrency"
    assert init_type(lam, name, "live") == "provisioned-concurrency"
    assert refused(lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier=second)[0] == \
        "ProvisionedConcurrencyConfigNotFoundException"


def test_limits_against_reserved_concurrency(lam):
    name, first = published(lam)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=first, ProvisionedConcurrentExecutions=2)
    ready(lam, name, first)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as excinfo:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    assert error_of(excinfo) == ("InvalidParameterValueException", " ReservedConcurrentExecutions  1 should not be "
                                 "lower than function's total provisioned concurrency [2].", 400)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)  # unchanged
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)

    # All of the reserved concurrency is provisioned: nothing is left on demand.
    with pytest.raises(lam.exceptions.TooManyRequestsException) as excinfo:
        invoke_json(lam, name)
    assert error_of(excinfo) == ("TooManyRequestsException", "Rate Exceeded.", 429)
    assert excinfo.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert init_type(lam, name, first) == "provisioned-concurrency"

    lam.update_function_configuration(FunctionName=name, Timeout=15)
    second = lam.publish_version(FunctionName=name)["Version"]
    over = ("InvalidParameterValueException",
            "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
            400)
    assert refused(lam.put_provisioned_concurrency_config, FunctionName=name, Qualifier=second,
                   ProvisionedConcurrentExecutions=1) == over
    assert refused(lam.put_provisioned_concurrency_config, FunctionName=name, Qualifier=first,
                   ProvisionedConcurrentExecutions=3) == over
    assert lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=first)[
        "RequestedProvisionedConcurrentExecutions"] == 2


def test_limits_against_the_unreserved_pool(lam):
    name, version = published(lam)
    before = lam.get_account_settings()["AccountLimit"]
    wanted = before["UnreservedConcurrentExecutions"] - 99
    assert refused(lam.put_provisioned_concurrency_config, FunctionName=name, Qualifier=version,
                   ProvisionedConcurrentExecutions=wanted) == (
        "InvalidParameterValueException", "Specified ConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100].", 400)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    after = lam.get_account_settings()["AccountLimit"]
    assert after["UnreservedConcurrentExecutions"] == before["UnreservedConcurrentExecutions"] - 1
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert lam.get_account_settings()["AccountLimit"] == before


# A custom runtime that reports an initialization error through the Runtime API, then exits.
FAILING_BOOTSTRAP = """#!/usr/bin/env python3
import os, urllib.request
url = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/init/error"
request = urllib.request.Request(url, data=b'{"errorMessage": "no", "errorType": "Init.Failed"}', method="POST",
                                 headers={"Lambda-Runtime-Function-Error-Type": "Init.Failed"})
urllib.request.urlopen(request).read()
raise SystemExit(1)
"""


def test_a_function_that_fails_to_initialize_is_failed(lam):
    name = unique("failing")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x",
                        Code={"ZipFile": zip_of({"bootstrap": FAILING_BOOTSTRAP}, executable=("bootstrap",))})
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    failed = ready(lam, name, version)
    assert (failed["Status"], failed["StatusReason"], failed["AllocatedProvisionedConcurrentExecutions"]) == (
        "FAILED", "FUNCTION_ERROR_INIT_FAILURE", 0)


# A custom runtime that fails to initialize until a file exists (what it needed came back), then
# answers every invocation with how its environment was started.
BOOTSTRAP_NEEDS_FILE = """#!/usr/bin/env python3
import os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/"
if not os.path.exists(os.environ["NEEDED"]):
    request = urllib.request.Request(api + "init/error", data=b'{"errorMessage": "no", "errorType": "Init.Failed"}',
                                     method="POST", headers={"Lambda-Runtime-Function-Error-Type": "Init.Failed"})
    urllib.request.urlopen(request).read()
    raise SystemExit(1)
while True:
    with urllib.request.urlopen(api + "invocation/next") as next_one:
        request_id = next_one.headers["Lambda-Runtime-Aws-Request-Id"]
    answer = ('"' + os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] + '"').encode()
    urllib.request.urlopen(urllib.request.Request(api + "invocation/" + request_id + "/response", data=answer,
                                                  method="POST")).read()
"""


def test_putting_a_failed_configuration_again_applies_it_again(lam, tmp_path):
    """A FAILED configuration put again, with the same count, is applied afresh (IN_PROGRESS, then
    READY once initialization succeeds), not left FAILED as an unchanged request."""
    needed = tmp_path / "needed"
    name = unique("retried")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x",
                        Environment={"Variables": {"NEEDED": str(needed)}},
                        Code={"ZipFile": zip_of({"bootstrap": BOOTSTRAP_NEEDS_FILE}, executable=("bootstrap",))})
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    assert ready(lam, name, version)["Status"] == "FAILED"
    needed.write_text("")
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    again = ready(lam, name, version)
    assert (again["Status"], again["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 1)
    assert init_type(lam, name, version) == "provisioned-concurrency"


def test_deleting_a_version_or_function_takes_its_configuration(lam):
    name, version = published(lam)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    lam.delete_function(FunctionName=name, Qualifier=version)
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    lam.delete_function(FunctionName=name)
    assert refused(lam.list_provisioned_concurrency_configs, FunctionName=name)[0] == "ResourceNotFoundException"


def test_the_cli_puts_and_lists(lam, aws_cli_env):
    name, version = published(lam)

    def cli(*args: str) -> dict:
        out = subprocess.run([AWS, "lambda", *args, "--output", "json"], env=aws_cli_env, capture_output=True,
                             text=True, check=True)
        return json.loads(out.stdout)

    put = cli("put-provisioned-concurrency-config", "--function-name", name, "--qualifier", version,
              "--provisioned-concurrent-executions", "1")
    assert put["Status"] == "IN_PROGRESS"
    ready(lam, name, version)
    listed = cli("list-provisioned-concurrency-configs", "--function-name", name)
    assert [(c["FunctionArn"], c["Status"]) for c in listed["ProvisionedConcurrencyConfigs"]] == [
        (f"{ACCOUNT_ARN}:{name}:{version}", "READY")]


def test_configurations_survive_kill_9_and_start_again(fresh_server):
    from tests.conftest import make_client

    lam = make_client("lambda", fresh_server.endpoint_url)
    name, version = published(lam, name=unique("kept"))
    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                                 ProvisionedConcurrentExecutions=1)
    ready(lam, name, version)
    fresh_server.kill9()
    fresh_server.start()
    lam = make_client("lambda", fresh_server.endpoint_url)
    again = ready(lam, name, version)
    assert (again["Status"], again["RequestedProvisionedConcurrentExecutions"], again["LastModified"]) == (
        "READY", 1, put["LastModified"])
    assert init_type(lam, name, version) == "provisioned-concurrency"


