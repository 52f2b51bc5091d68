"""Runtime management (update mode by version) and recursive loop detection settings."""

from __future__ import annotations

from tests.services.lambda_.helpers import create_python, refused

ARN = "arn:aws:lambda:us-east-1:000000000000:function"
SOURCE = "def handler(e, c):\n    return 1\n"
RUNTIME_ARN = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef"


def test_runtime_management_is_auto_until_set_per_version(lam):
    name = create_python(lam, SOURCE)
    got = lam.get_runtime_management_config(FunctionName=name)
    assert (got["UpdateRuntimeOn"], got["FunctionArn"], "RuntimeVersionArn" in got) == (
        "Auto", f"{ARN}:{name}", False)
    put = lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual",
                                            RuntimeVersionArn=RUNTIME_ARN)
    assert (put["UpdateRuntimeOn"], put["RuntimeVersionArn"], put["FunctionArn"]) == (
        "Manual", RUNTIME_ARN, f"{ARN}:{name}")
    got = lam.get_runtime_management_config(FunctionName=name, Qualifier="$LATEST")
    assert (got["UpdateRuntimeOn"], got["RuntimeVersionArn"], got["FunctionArn"]) == (
        "Manual", RUNTIME_ARN, f"{ARN}:{name}:$LATEST")

    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_runtime_management_config(FunctionName=name, Qualifier=version, UpdateRuntimeOn="FunctionUpdate")
    got = lam.get_runtime_management_config(FunctionName=name, Qualifier=version)
    assert (got["UpdateRuntimeOn"], got["FunctionArn"], "RuntimeVersionArn" in got) == (
        "FunctionUpdate", f"{ARN}:{name}:{version}", False)
    assert lam.get_runtime_management_config(FunctionName=name)["UpdateRuntimeOn"] == "Manual"

    # Back to Auto: the runtime version is no longer named.
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Auto")
    assert "RuntimeVersionArn" not in lam.get_runtime_management_config(FunctionName=name)


def test_manual_mode_pins_the_runtime(lam):
    name = create_python(lam, SOURCE)
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=RUNTIME_ARN)
    assert refused(lam.update_function_configuration, FunctionName=name, Runtime="python3.12") == (
        "InvalidParameterValueException", "Cannot change runtime identifier when runtime management configuration "
        "is set to 'Manual'. Change the runtime management configuration to 'Auto' or 'FunctionUpdate', then retry.",
        400)
    assert lam.get_function_configuration(FunctionName=name)["Runtime"] == "python3.11"
    lam.update_function_configuration(FunctionName=name, Timeout=9)  # other changes go through
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="FunctionUpdate")
    assert lam.update_function_configuration(FunctionName=name, Runtime="python3.12")["Runtime"] == "python3.12"


def test_runtime_management_errors(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    assert refused(lam.get_runtime_management_config, FunctionName="doesnotexist") == (
        "ResourceNotFoundException", f"Function not found: {ARN}:doesnotexist", 404)
    assert refused(lam.get_runtime_management_config, FunctionName=name, Qualifier="7") == (
        "ResourceNotFoundException", f"Function not found: {ARN}:{name}:7", 404)
    code, _, status = refused(lam.put_runtime_management_config, FunctionName=name, UpdateRuntimeOn="Manual")
    assert (code, status) == ("InvalidParameterValueException", 400)
    code, _, status = refused(lam.put_runtime_management_config, FunctionName=name, UpdateRuntimeOn="Auto",
                              RuntimeVersionArn=RUNTIME_ARN)
    assert (code, status) == ("InvalidParameterValueException", 400)
    code, message, status = refused(lam_unchecked.put_runtime_management_config, FunctionName=name,
                                    UpdateRuntimeOn="Sometimes")
    assert (code, status) == ("ValidationException", 400) and "updateRuntimeOn" in message
    assert lam.get_runtime_management_config(FunctionName=name)["UpdateRuntimeOn"] == "Auto"  # nothing changed


def test_recursion_config_is_terminate_until_allowed(lam, lam_unchecked):
    name = create_python(lam, SOURCE)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    assert lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=f"{ARN}:{name}")["RecursiveLoop"] == "Allow"
    assert refused(lam.get_function_recursion_config, FunctionName="doesnotexist") == (
        "ResourceNotFoundException", f"Function not found: {ARN}:doesnotexist", 404)
    assert refused(lam.put_function_recursion_config, FunctionName="doesnotexist", RecursiveLoop="Allow") == (
        "ResourceNotFoundException", f"Function not found: {ARN}:doesnotexist", 404)
    code, message, status = refused(lam_unchecked.put_function_recursion_config, FunctionName=name,
                                    RecursiveLoop="Sometimes")
    assert (code, status) == ("ValidationException", 400) and "recursiveLoop" in message
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"


def test_settings_survive_a_restart(fresh_server):
    from tests.conftest import make_client

    lam = make_client("lambda", fresh_server.endpoint_url)
    name = create_python(lam, SOURCE)
    lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=RUNTIME_ARN)
    fresh_server.kill9()
    fresh_server.start()
    lam = make_client("lambda", fresh_server.endpoint_url)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    assert lam.get_runtime_management_config(FunctionName=name)["RuntimeVersionArn"] == RUNTIME_ARN
