"""The AWS SDK for JavaScript v3 inside Node.js functions, found without bundling it as on AWS's
Node.js runtimes: installed by `overcast lambda-node-sdk install` (scripts/test.sh runs it when
npm is there), after the function's own node_modules and its layers, for require and import."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest

from overcast.config import default_node_sdk_dir
from overcast.services.lambda_.runtime.node_sdk import modules_dir
from overcast.services.lambda_.runtime.node_sdk_install import write_manifest
from tests.conftest import make_client
from tests.services.lambda_.helpers import ROLE, invoke_json, unique, zip_of
from tests.support.server import ServerProcess

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

# The shared test server looks where a server started without flags looks (ServerProcess passes
# the environment on, without OVERCAST_* variables).
SDK_MODULES = modules_dir(default_node_sdk_dir())
needs_sdk = pytest.mark.skipif(
    SDK_MODULES is None or not os.path.isdir(os.path.join(SDK_MODULES, "@aws-sdk", "client-dynamodb")),
    reason=f"the AWS SDK for JavaScript v3 is not installed in {default_node_sdk_dir()}: run "
           "`overcast lambda-node-sdk install` (scripts/test.sh does when npm is on the machine)")

# Cold starts that load the SDK take a while on a busy machine; AWS's default 3 s is too tight here.
SDK_FUNCTION = {"Timeout": 30}
DOCUMENT_CLIENT_CALLS = (
    "  await client.send(new PutCommand({ TableName: event.table, Item: { id: event.id, n: 3, tags: ['a'] } }));\n"
    "  const { Item } = await client.send(new GetCommand({ TableName: event.table, Key: { id: event.id } }));\n"
    "  const credentials = await client.config.credentials();\n"
    "  return { item: Item, region: await client.config.region(), key: credentials.accessKeyId };\n")


def create_node(lam, files: dict[str, str], handler: str = "index.handler", **extra) -> str:
    name = unique("sdk")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler=handler,
                        Code={"ZipFile": zip_of(files)}, **extra)
    return name


def answer_of(lam, name: str, event: dict | None = None) -> dict:
    response, body = invoke_json(lam, name, event, LogType="Tail")
    assert "FunctionError" not in response, (body, base64.b64decode(response["LogResult"]).decode())
    return body


@pytest.fixture(scope="module")
def table(client_factory) -> str:
    dynamodb = client_factory("dynamodb")
    name = unique("sdk-items")
    dynamodb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    return name


def stored_item(client_factory, table: str, key: str) -> dict:
    return client_factory("dynamodb").get_item(TableName=table, Key={"id": {"S": key}})["Item"]


@needs_sdk
def test_commonjs_function_puts_and_gets_with_the_document_client(lam, client_factory, table):
    name = create_node(lam, {"index.js": (
        "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');\n"
        "const { DynamoDBDocumentClient, PutCommand, GetCommand } = require('@aws-sdk/lib-dynamodb');\n"
        "const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));\n"
        "exports.handler = async (event) => {\n" + DOCUMENT_CLIENT_CALLS.replace(
            "  return {", "  return { from: require.resolve('@aws-sdk/client-dynamodb'), ") + "};\n")}, **SDK_FUNCTION)
    answer = answer_of(lam, name, {"table": table, "id": "cjs"})
    assert answer["item"] == {"id": "cjs", "n": 3, "tags": ["a"]}
    # Region and credentials came from the function's environment, the calls went to this server.
    assert answer["region"] == "us-east-1" and answer["key"] == "test"
    assert answer["from"].startswith(SDK_MODULES + os.sep)
    assert stored_item(client_factory, table, "cjs") == {"id": {"S": "cjs"}, "n": {"N": "3"}, "tags": {"L": [{"S": "a"}]}}


# A started spare process takes most functions; others (another /tmp size) start node afresh.
@needs_sdk
@pytest.mark.parametrize("tmp_mb", [512, 1024], ids=["spare-process", "fresh-process"])
def test_es_module_function_imports_the_sdk(lam, client_factory, table, tmp_mb):
    name = create_node(lam, {"index.mjs": (
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n"
        "import { DynamoDBDocumentClient, PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';\n"
        "const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));\n"
        "export const handler = async (event) => {\n" + DOCUMENT_CLIENT_CALLS + "};\n")},
        EphemeralStorage={"Size": tmp_mb}, **SDK_FUNCTION)
    key = f"esm-{tmp_mb}"
    answer = answer_of(lam, name, {"table": table, "id": key})
    assert answer == {"item": {"id": key, "n": 3, "tags": ["a"]}, "region": "us-east-1", "key": "test"}
    assert stored_item(client_factory, table, key)["n"] == {"N": "3"}


@needs_sdk
def test_s3_client_puts_an_object_as_a_tutorial_writes_it(lam, s3):
    bucket = unique("sdk-bucket")
    s3.create_bucket(Bucket=bucket)
    # No endpoint or path-style option: the client addresses <bucket>.localhost, as on AWS it
    # addresses <bucket>.s3.<region>.amazonaws.com.
    name = create_node(lam, {"index.mjs": (
        "import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';\n"
        "const s3 = new S3Client({});\n"
        "export const handler = async (event) => {\n"
        "  const out = await s3.send(new PutObjectCommand({ Bucket: event.bucket, Key: 'notes/hello.txt',\n"
        "                                                   Body: 'hello from node', ContentType: 'text/plain' }));\n"
        "  return { etag: out.ETag };\n"
        "};\n")}, **SDK_FUNCTION)
    answer = answer_of(lam, name, {"bucket": bucket})
    stored = s3.get_object(Bucket=bucket, Key="notes/hello.txt")
    assert stored["Body"].read() == b"hello from node" and stored["ContentType"] == "text/plain"
    assert answer["etag"] == stored["ETag"]


FAKE_S3_PACKAGE = {
    "package.json": json.dumps({"name": "@aws-sdk/client-s3", "version": "0.0.0-fake", "main": "index.js"}),
    "index.js": "exports.S3Client = class S3Client {};\nexports.copy = __dirname;\n",
}


def fake_s3_package(prefix: str) -> dict[str, str]:
    return {f"{prefix}/@aws-sdk/client-s3/{name}": content for name, content in FAKE_S3_PACKAGE.items()}


CJS_WHICH_COPY = "exports.handler = async () => ({ copy: require('@aws-sdk/client-s3').copy });\n"
ESM_WHICH_COPY = "import s3 from '@aws-sdk/client-s3';\nexport const handler = async () => ({ copy: s3.copy });\n"


@needs_sdk
def test_a_function_bundling_its_own_sdk_package_gets_its_own(lam):
    files = {"cjs.js": CJS_WHICH_COPY, "esm.mjs": ESM_WHICH_COPY, **fake_s3_package("node_modules")}
    for handler in ("cjs.handler", "esm.handler"):
        name = create_node(lam, files, handler=handler, **SDK_FUNCTION)
        copy = answer_of(lam, name)["copy"]
        assert copy.endswith("/node_modules/@aws-sdk/client-s3") and not copy.startswith(SDK_MODULES), handler


@needs_sdk
def test_a_layers_package_comes_before_the_sdk(lam):
    layer = lam.publish_layer_version(LayerName=unique("sdk-layer"),
                                      Content={"ZipFile": zip_of(fake_s3_package("nodejs/node_modules"))})
    files = {"cjs.js": CJS_WHICH_COPY, "esm.mjs": ESM_WHICH_COPY}
    for handler in ("cjs.handler", "esm.handler"):
        name = create_node(lam, files, handler=handler, Layers=[layer["LayerVersionArn"]], **SDK_FUNCTION)
        copy = answer_of(lam, name)["copy"]
        assert copy.endswith("nodejs/node_modules/@aws-sdk/client-s3") and not copy.startswith(SDK_MODULES), handler


@pytest.fixture
def server_without_sdk(tmp_path):
    empty = tmp_path / "no-sdk-here"
    empty.mkdir()
    proc = ServerProcess(tmp_path / "data", extra_args=["--lambda-node-sdk", str(empty)])
    proc.start()
    yield proc, str(empty)
    proc.stop()


def test_a_missing_sdk_is_named_with_the_command_that_installs_it_once(server_without_sdk):
    server, empty = server_without_sdk
    lam = make_client("lambda", server.endpoint_url)
    hint = (f"Overcast: @aws-sdk/client-dynamodb is part of the AWS SDK for JavaScript v3, which AWS's Node.js "
            f"runtimes include and Overcast looks for in {empty}, where it is not installed; install it once "
            f"with `overcast lambda-node-sdk install --dir {empty}`.")
    sources = {"index.js": "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');\nexports.handler = async () => 1;\n",
               "index.mjs": "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const handler = async () => 1;\n"}
    for file, source in sources.items():
        name = create_node(lam, {file: source})
        tails = []
        for _ in range(2):
            response, body = invoke_json(lam, name, LogType="Tail")
            assert response["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError"
            assert "'@aws-sdk/client-dynamodb'" in body["errorMessage"]  # Node's words, as without Overcast's hint
            tails.append(base64.b64decode(response["LogResult"]).decode())
        assert hint in tails[0].splitlines(), tails[0]
        assert "Overcast: @aws-sdk" not in tails[1], file  # once per function, not on every invoke
    assert server.log_path.read_text().count(hint) == 1  # and once in the server's log


def test_install_keeps_packages_named_before_and_takes_a_new_version(tmp_path):
    write_manifest(str(tmp_path), ["@aws-sdk/client-s3", "@aws-sdk/client-athena@^3.500.0"])
    write_manifest(str(tmp_path), ["@aws-sdk/client-s3@3.600.0", "@aws-sdk/client-athena"])
    dependencies = json.loads((tmp_path / "package.json").read_text())["dependencies"]
    assert dependencies == {"@aws-sdk/client-s3": "3.600.0", "@aws-sdk/client-athena": "^3.500.0"}


def test_install_without_npm_says_what_is_missing(tmp_path):
    done = subprocess.run([sys.executable, "-m", "overcast.cli", "lambda-node-sdk", "install", "--dir", str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 1 and "npm was not found" in done.stderr
    assert not (tmp_path / "node_modules").exists()


@needs_sdk
def test_a_client_beyond_the_installed_ones_fails_as_node_says_and_names_the_command_to_add_it(lam):
    name = create_node(lam, {"index.mjs": "import { AthenaClient } from '@aws-sdk/client-athena-nonesuch';\n"
                                          "export const handler = async () => 1;\n"}, **SDK_FUNCTION)
    response, body = invoke_json(lam, name, LogType="Tail")
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"].startswith("Error: Cannot find package '@aws-sdk/client-athena-nonesuch' imported from ")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert (f"Overcast: @aws-sdk/client-athena-nonesuch is not among the AWS SDK for JavaScript v3 packages installed "
            f"in {default_node_sdk_dir()}; add it with `overcast lambda-node-sdk install "
            f"@aws-sdk/client-athena-nonesuch`.") in tail.splitlines()
