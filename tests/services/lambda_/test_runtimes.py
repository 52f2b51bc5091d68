"""Interpreter choice, provided runtimes (a zip's own bootstrap) and layers."""

from __future__ import annotations

import shutil

import pytest

from tests.services.lambda_.helpers import ROLE, create_python, invoke_json, unique, zip_of

VERSION_SOURCE = ("import sys, boto3\ndef handler(e, c):\n"
                  "    return {'version': '%d.%d' % sys.version_info[:2], 'boto3': boto3.__version__}\n")


@pytest.mark.parametrize("runtime", ["python3.11", "python3.12", "python3.13", "python3.14"])
def test_python_runtime_versions_have_boto3(lam, runtime):
    name = create_python(lam, VERSION_SOURCE, runtime=runtime)
    response, body = invoke_json(lam, name, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body["boto3"]
    wanted = runtime[len("python"):]
    if body["version"] != wanted:
        # Not installed here: the closest interpreter ran it, and the function's log says so.
        import base64
        assert f"{runtime} is not installed" in base64.b64decode(response["LogResult"]).decode()


def test_python39_runs_even_without_a_matching_sdk(lam):
    name = create_python(lam, "import sys\ndef handler(e, c):\n    return '%d.%d' % sys.version_info[:2]\n",
                         runtime="python3.9")
    response, body = invoke_json(lam, name)
    assert "FunctionError" not in response, body
    assert body.startswith("3.")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_provided_runtime_runs_the_zip_bootstrap(lam):
    bootstrap = (
        "#!/bin/sh\nset -eu\n"
        "API=\"http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime\"\n"
        "echo \"init with handler $_HANDLER\"\n"
        "while true; do\n"
        "  HEADERS=\"$(mktemp)\"\n"
        "  EVENT=\"$(curl -sS -D \"$HEADERS\" \"$API/invocation/next\")\"\n"
        "  ID=\"$(grep -i Lambda-Runtime-Aws-Request-Id \"$HEADERS\" | tr -d '[:space:]' | cut -d: -f2)\"\n"
        "  echo \"handling $ID\"\n"
        "  curl -sS -X POST \"$API/invocation/$ID/response\" -d \"{\\\"got\\\": $EVENT}\" > /dev/null\n"
        "done\n")
    name = unique("provided")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="my.handler",
                        Code={"ZipFile": zip_of({"bootstrap": bootstrap}, executable=("bootstrap",))})
    response, body = invoke_json(lam, name, {"x": 1}, LogType="Tail")
    assert body == {"got": {"x": 1}}
    import base64
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "init with handler my.handler" in tail


def test_provided_runtime_error_report(lam):
    bootstrap = (
        "#!/bin/sh\n"
        "API=\"http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime\"\n"
        "HEADERS=\"$(mktemp)\"\n"
        "curl -sS -D \"$HEADERS\" \"$API/invocation/next\" > /dev/null\n"
        "ID=\"$(grep -i Lambda-Runtime-Aws-Request-Id \"$HEADERS\" | tr -d '[:space:]' | cut -d: -f2)\"\n"
        "curl -sS -X POST \"$API/invocation/$ID/error\" -H 'Lambda-Runtime-Function-Error-Type: Custom.Bad' "
        "-d '{\"errorMessage\": \"bad thing\", \"errorType\": \"Custom.Bad\"}' > /dev/null\n"
        "sleep 5\n")
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    name = unique("provided")
    lam.create_function(FunctionName=name, Runtime="provided.al2", Role=ROLE, Handler="x",
                        Code={"ZipFile": zip_of({"bootstrap": bootstrap}, executable=("bootstrap",))})
    response, body = invoke_json(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorMessage": "bad thing", "errorType": "Custom.Bad"}


def test_missing_bootstrap(lam):
    name = unique("provided")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x",
                        Code={"ZipFile": zip_of({"readme.txt": "no bootstrap here"})})
    with pytest.raises(lam.exceptions.ClientError) as err:
        lam.invoke(FunctionName=name)
    assert err.value.response["Error"]["Code"] == "InvalidRuntimeException"


def test_layers_are_importable(lam):
    layer = lam.publish_layer_version(LayerName=unique("layer"), Description="helpers",
                                      Content={"ZipFile": zip_of({"python/greeting.py": "WORD = 'layered'\n"})},
                                      CompatibleRuntimes=["python3.11"])
    assert layer["Version"] == 1 and layer["Content"]["CodeSize"] > 0
    got = lam.get_layer_version(LayerName=layer["LayerArn"].split(":")[-1], VersionNumber=1)
    assert got["LayerVersionArn"] == layer["LayerVersionArn"]
    name = create_python(lam, "import greeting\ndef handler(e, c):\n    return greeting.WORD\n",
                         Layers=[layer["LayerVersionArn"]])
    config = lam.get_function_configuration(FunctionName=name)
    assert config["Layers"][0]["Arn"] == layer["LayerVersionArn"]
    assert invoke_json(lam, name)[1] == "layered"
    versions = lam.list_layer_versions(LayerName=layer["LayerArn"].split(":")[-1])["LayerVersions"]
    assert [v["Version"] for v in versions] == [1]
    assert any(item["LayerArn"] == layer["LayerArn"] for item in lam.list_layers()["Layers"])
    with pytest.raises(lam.exceptions.ClientError) as err:
        create_python(lam, "def handler(e, c):\n    return 1\n",
                      Layers=[layer["LayerArn"] + ":99"])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"

    # DeleteLayerVersion: the version is gone (and deleting it again is no error), its number is
    # not given out again, and a function already using it keeps its copy.
    layer_name = layer["LayerArn"].split(":")[-1]
    lam.delete_layer_version(LayerName=layer_name, VersionNumber=1)
    lam.delete_layer_version(LayerName=layer_name, VersionNumber=1)
    with pytest.raises(lam.exceptions.ClientError) as gone:
        lam.get_layer_version(LayerName=layer_name, VersionNumber=1)
    assert (gone.value.response["Error"]["Code"], gone.value.response["Error"]["Message"],
            gone.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ResourceNotFoundException", "The resource you requested does not exist.", 404)
    assert lam.list_layer_versions(LayerName=layer_name)["LayerVersions"] == []
    again = lam.publish_layer_version(LayerName=layer_name, Content={"ZipFile": zip_of({"python/x.py": ""})})
    assert again["Version"] == 2
    lam.update_function_configuration(FunctionName=name, Timeout=9)  # a new environment starts
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke_json(lam, name)[1] == "layered"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_orphaned_environments_are_ended_after_a_crash(fresh_server):
    import os

    from tests.conftest import make_client
    from tests.services.lambda_.helpers import wait_for

    # A custom runtime that keeps polling even when its Runtime API has gone away.
    bootstrap = (
        "#!/bin/sh\n"
        "API=\"http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime\"\n"
        "while true; do\n"
        "  HEADERS=\"$(mktemp)\"\n"
        "  if curl -sS -D \"$HEADERS\" \"$API/invocation/next\" > /dev/null 2>&1; then\n"
        "    ID=\"$(grep -i Lambda-Runtime-Aws-Request-Id \"$HEADERS\" | tr -d '[:space:]' | cut -d: -f2)\"\n"
        "    curl -sS -X POST \"$API/invocation/$ID/response\" -d \"$$\" > /dev/null\n"
        "  else\n"
        "    sleep 0.2\n"
        "  fi\n"
        "done\n")
    lam = make_client("lambda", fresh_server.endpoint_url)
    name = unique("orphan")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x",
                        Code={"ZipFile": zip_of({"bootstrap": bootstrap}, executable=("bootstrap",))})
    pid = invoke_json(lam, name)[1]
    assert os.path.exists(f"/proc/{pid}")
    fresh_server.kill9()
    fresh_server.start()
    make_client("lambda", fresh_server.endpoint_url).list_functions()
    wait_for(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z")


def test_deleted_layer_versions_stay_for_their_functions_and_numbers_after_a_restart(fresh_server):
    from tests.conftest import make_client

    lam = make_client("lambda", fresh_server.endpoint_url)
    layer = lam.publish_layer_version(LayerName="kept", Content={"ZipFile": zip_of({"python/kept.py": "V = 'kept'\n"})})
    name = create_python(lam, "import kept\ndef handler(e, c):\n    return kept.V\n", Layers=[layer["LayerVersionArn"]])
    lam.delete_layer_version(LayerName="kept", VersionNumber=1)
    fresh_server.restart()
    lam = make_client("lambda", fresh_server.endpoint_url)
    assert invoke_json(lam, name)[1] == "kept"
    assert lam.list_layers()["Layers"] == []
    assert lam.publish_layer_version(LayerName="kept", Content={"ZipFile": zip_of({"python/x.py": ""})})["Version"] == 2


def _stored_bundles(server) -> set[str]:
    """The code bundles (blob files) in the server's data directory."""
    blobs = server.data_dir / "blobs"
    return {str(p.relative_to(blobs)) for p in blobs.rglob("*")
            if p.is_file() and p.relative_to(blobs).parts[0] != "tmp"}


def test_a_deleted_layer_versions_content_goes_once_no_function_uses_it(fresh_server):
    from tests.conftest import make_client

    lam = make_client("lambda", fresh_server.endpoint_url)
    before = _stored_bundles(fresh_server)
    lam.publish_layer_version(LayerName="unused", Content={"ZipFile": zip_of({"python/unused.py": "U = 1\n"})})
    with_unused = _stored_bundles(fresh_server)
    assert len(with_unused - before) == 1
    lam.delete_layer_version(LayerName="unused", VersionNumber=1)
    assert _stored_bundles(fresh_server) == before  # nobody used it: gone at once

    layer = lam.publish_layer_version(LayerName="used", Content={"ZipFile": zip_of({"python/used.py": "V = 'used'\n"})})
    layer_bundles = _stored_bundles(fresh_server) - before
    name = create_python(lam, "import used\ndef handler(e, c):\n    return used.V\n", Layers=[layer["LayerVersionArn"]])
    lam.publish_version(FunctionName=name)  # version 1 uses the layer too
    lam.delete_layer_version(LayerName="used", VersionNumber=1)
    assert layer_bundles <= _stored_bundles(fresh_server)  # kept for the function
    assert invoke_json(lam, name)[1] == "used"
    lam.update_function_configuration(FunctionName=name, Layers=[])
    assert layer_bundles <= _stored_bundles(fresh_server)  # version 1 still uses it
    assert invoke_json(lam, name, Qualifier="1")[1] == "used"
    lam.delete_function(FunctionName=name)
    assert not layer_bundles & _stored_bundles(fresh_server)


CUSTOM_PYTHON_BOOTSTRAP = (
    "#!/usr/bin/env python3\n"
    "import http.client, os, sys\n"
    "host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].split(':')\n"
    "api = http.client.HTTPConnection(host, int(port))\n"
    "base = '/2018-06-01/runtime/invocation/'\n"
    "while True:\n"
    "    api.request('GET', base + 'next')\n"
    "    answer = api.getresponse()\n"
    "    event = answer.read()\n"
    "    rid = answer.getheader('Lambda-Runtime-Aws-Request-Id')\n"
    "    api.request('POST', base + rid + '/response', body=event)\n"
    "    api.getresponse().read()\n"
    "    print('after answering', rid, flush=True)\n")


def test_a_custom_runtimes_output_after_its_answer_is_the_invocations(lam):
    # What a custom runtime prints between posting its answer and asking for the next event
    # belongs to the invocation it answered, as on AWS (the invocation ends at the next /next).
    name = unique("provided")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x",
                        Code={"ZipFile": zip_of({"bootstrap": CUSTOM_PYTHON_BOOTSTRAP}, executable=("bootstrap",))})
    import base64
    for n in range(3):
        response, body = invoke_json(lam, name, {"n": n}, LogType="Tail")
        assert body == {"n": n}
        tail = base64.b64decode(response["LogResult"]).decode()
        request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        assert f"after answering {request_id}" in tail, tail
