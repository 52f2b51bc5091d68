"""Node.js functions: async handlers, callbacks, ES modules and errors."""

from __future__ import annotations

import base64
import shutil

import pytest

from tests.services.lambda_.helpers import ROLE, invoke_json, unique, zip_of

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def create_node(lam, files: dict[str, str], handler: str = "index.handler", **extra) -> str:
    name = unique("node")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler=handler,
                        Code={"ZipFile": zip_of(files)}, **extra)
    return name


def test_async_handler_esm(lam):
    name = create_node(lam, {"index.mjs": (
        "let calls = 0;\n"
        "export const handler = async (event, context) => {\n"
        "  calls += 1;\n"
        "  console.log('got', JSON.stringify(event));\n"
        "  return {calls, requestId: context.awsRequestId, fn: context.functionName,\n"
        "          mem: context.memoryLimitInMB, left: context.getRemainingTimeInMillis() > 0,\n"
        "          arn: context.invokedFunctionArn};\n"
        "};\n")})
    response, body = invoke_json(lam, name, {"a": 1}, LogType="Tail")
    _, again = invoke_json(lam, name)
    assert "FunctionError" not in response
    assert body["calls"] == 1 and again["calls"] == 2
    assert body["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert body["fn"] == name and body["mem"] == "128" and body["left"] is True
    tail = base64.b64decode(response["LogResult"]).decode()
    assert '\tINFO\tgot {"a":1}' in tail and "REPORT RequestId" in tail


def test_callback_handler_commonjs(lam):
    name = create_node(lam, {"app.js": (
        "exports.run = function (event, context, callback) {\n"
        "  setTimeout(() => callback(null, {echo: event.msg}), 10);\n"
        "};\n")}, handler="app.run")
    _, body = invoke_json(lam, name, {"msg": "hi"})
    assert body == {"echo": "hi"}


def test_error_shape(lam):
    name = create_node(lam, {"index.js": "exports.handler = async () => { throw new RangeError('too far'); };\n"})
    response, body = invoke_json(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "RangeError" and body["errorMessage"] == "too far"
    assert body["trace"][0] == "RangeError: too far"


def test_missing_handler(lam):
    name = create_node(lam, {"index.js": "exports.other = async () => 1;\n"})
    response, body = invoke_json(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "index.handler is undefined or not exported"


def test_node_timeout(lam):
    name = create_node(lam, {"index.js": "exports.handler = () => new Promise(() => {});\n"}, Timeout=1)
    response, body = invoke_json(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
