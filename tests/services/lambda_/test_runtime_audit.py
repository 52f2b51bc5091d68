"""What Overcast's own Python and Node.js runtimes return and log, checked against AWS's runtime
interface clients (awslambdaric for Python, aws-lambda-nodejs-runtime-interface-client for Node),
which are what AWS runs: their payloads, messages and log lines are the specification here."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

from tests.services.lambda_.helpers import ROLE, create_python, unique, zip_of

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def invoke_raw(lam, name: str, event=None):
    """(response, payload bytes, log tail) of a synchronous invoke with LogType=Tail."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), LogType="Tail")
    return response, response["Payload"].read(), base64.b64decode(response["LogResult"]).decode()


def create_zip(lam, files: dict[str, str], handler: str, runtime: str) -> str:
    name = unique()
    lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                        Code={"ZipFile": zip_of(files)})
    return name


# -- Python: how results are marshalled (awslambdaric lambda_runtime_marshaller) ---------------

def test_python_decimal_results_keep_their_digits(lam):
    # The marshaller writes a Decimal as its own text: no float rounding, trailing zeros kept.
    name = create_python(lam, "from decimal import Decimal\ndef handler(event, context):\n"
                              "    return {'price': Decimal('1.10'), 'pi': Decimal('3.14159265358979323846264'),"
                              " 'n': Decimal('10'), 'e': Decimal('-1E+3')}\n")
    response, payload, _ = invoke_raw(lam, name)
    assert "FunctionError" not in response
    assert payload == b'{"price": 1.10, "pi": 3.14159265358979323846264, "n": 10, "e": -1E+3}'


@pytest.mark.parametrize("runtime, expected", [
    ("python3.11", b'"h\\u00e9llo \\u2603"'),  # escaped before 3.12
    ("python3.12", '"héllo ☃"'.encode()),             # UTF-8 from 3.12 on (ensure_ascii=False)
])
def test_python_non_ascii_results_per_runtime(lam, runtime, expected):
    name = create_python(lam, "def handler(event, context):\n    return 'h\\u00e9llo \\u2603'\n", runtime=runtime)
    _, payload, _ = invoke_raw(lam, name)
    assert payload == expected


def test_python_bytes_result_is_the_payload_itself(lam):
    name = create_python(lam, "def handler(event, context):\n    return b'<not json>'\n")
    response, payload, _ = invoke_raw(lam, name)
    assert "FunctionError" not in response and payload == b"<not json>"


def test_python_bytes_inside_a_result_are_text(lam):
    name = create_python(lam, "def handler(event, context):\n    return {'raw': b'abc'}\n")
    _, payload, _ = invoke_raw(lam, name)
    assert payload == b'{"raw": "abc"}'


def test_python_marshal_error_payload_and_log(lam):
    name = create_python(lam, "def handler(event, context):\n    return {1, 2}\n")
    response, payload, tail = invoke_raw(lam, name)
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert json.loads(payload) == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError", "requestId": response["ResponseMetadata"]["RequestId"],
        "stackTrace": []}
    # Real logs show a Traceback heading even with no stack after a MarshalError.
    assert ("[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type set is not JSON "
            "serializable\rTraceback (most recent call last):\n") in tail


def test_python_unmarshal_error_for_an_event_the_runtime_cannot_read(lam):
    # Valid JSON for Invoke (Lambda's parser has no depth limit), but nested past what the Python
    # runtime can decode: awslambdaric answers Runtime.UnmarshalError, with no stack.
    name = create_python(lam, "def handler(event, context):\n    return 'never'\n")
    response = lam.invoke(FunctionName=name, Payload=b"[" * 5000 + b"]" * 5000, LogType="Tail")
    payload, tail = response["Payload"].read(), base64.b64decode(response["LogResult"]).decode()
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    error = json.loads(payload)
    assert error["errorType"] == "Runtime.UnmarshalError" and error["stackTrace"] == []
    assert error["errorMessage"].startswith("Unable to unmarshal input: maximum recursion depth exceeded")
    assert "[ERROR] Runtime.UnmarshalError: Unable to unmarshal input: " in tail


# -- Python: errors and how they are logged (awslambdaric bootstrap) ---------------------------

def test_python_unhandled_error_is_logged_as_one_record(lam):
    # Lines joined by carriage returns (one log event), stack indentation in no-break spaces.
    name = create_python(lam, "def handler(event, context):\n    raise ValueError('boom')\n")
    response, payload, tail = invoke_raw(lam, name)
    body = json.loads(payload)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert body["stackTrace"][0].endswith(", line 2, in handler\n    raise ValueError('boom')\n")
    assert "[ERROR] ValueError: boom\rTraceback (most recent call last):\r\u00a0\u00a0File \"" in tail
    assert "\r\u00a0\u00a0\u00a0\u00a0raise ValueError('boom')\n" in tail


def test_python_missing_module_in_a_folder_is_named_as_the_handler_spells_it(lam):
    name = create_zip(lam, {"lambda_function.py": "x = 1\n"}, "pkg/missing.handler", "python3.11")
    response, payload, tail = invoke_raw(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(payload) == {
        "errorMessage": "Unable to import module 'pkg/missing': No module named 'pkg'",
        "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
    assert "\tLAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code." in tail
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'pkg/missing'" in tail


def test_python_missing_handler_in_a_folder(lam):
    name = create_zip(lam, {"sub/app.py": "def other(event, context):\n    return 1\n"},
                      "sub/app.handler", "python3.11")
    _, payload, _ = invoke_raw(lam, name)
    assert json.loads(payload) == {"errorMessage": "Handler 'handler' missing on module 'sub/app'",
                                   "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}


def test_python_builtin_module_as_handler_module(lam):
    name = create_python(lam, "x = 1\n", handler="sys.handler")
    _, payload, _ = invoke_raw(lam, name)
    assert json.loads(payload) == {"errorMessage": "Cannot use built-in module sys as a handler module",
                                   "errorType": "Runtime.BuiltInModuleConflict", "requestId": "",
                                   "stackTrace": []}


def test_python_syntax_error_trace_shape(lam):
    name = create_python(lam, "def handler(event, context:\n    return 1\n")
    _, payload, _ = invoke_raw(lam, name)
    body = json.loads(payload)
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert body["errorMessage"].startswith("Syntax error in module 'lambda_function': ")
    # awslambdaric: '  File "%s" Line %s\n    %s' % (filename, lineno, text), the text unstripped.
    assert len(body["stackTrace"]) == 1
    assert body["stackTrace"][0].startswith('  File "') and body["stackTrace"][0].endswith(
        'lambda_function.py" Line 1\n    def handler(event, context:\n')


# -- Node.js (aws-lambda-nodejs-runtime-interface-client: Errors.js, UserFunction.js) ---------

def create_node(lam, files: dict[str, str], handler: str = "index.handler") -> str:
    return create_zip(lam, files, handler, "nodejs20.x")


@needs_node
def test_node_thrown_non_error_is_described_by_its_type_and_to_string(lam):
    name = create_node(lam, {"index.js": "exports.handler = async () => { throw {code: 7}; };\n"})
    response, payload, _ = invoke_raw(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(payload) == {"errorType": "object", "errorMessage": "[object Object]", "trace": []}


@needs_node
def test_node_context_fail_without_an_error(lam):
    name = create_node(lam, {"index.js": "exports.handler = (event, context) => { context.fail(); };\n"})
    _, payload, tail = invoke_raw(lam, name)
    assert json.loads(payload) == {"errorType": "string", "errorMessage": "handled", "trace": []}
    assert '\tERROR\tInvoke Error \t"handled"\n' in tail


@needs_node
def test_node_invoke_error_log_line(lam):
    name = create_node(lam, {"index.js": "exports.handler = async () => { throw new TypeError('bad'); };\n"})
    _, _, tail = invoke_raw(lam, name)
    line = next(line for line in tail.splitlines() if "Invoke Error" in line)
    logged = json.loads(line.split("\tInvoke Error \t", 1)[1])
    assert logged["errorType"] == "TypeError" and logged["errorMessage"] == "bad"
    assert logged["stack"][0] == "TypeError: bad" and "trace" not in logged


@needs_node
def test_node_handler_not_found_names_the_whole_handler(lam):
    name = create_node(lam, {"src/index.js": "exports.other = async () => 1;\n"}, handler="src/index.handler")
    _, payload, tail = invoke_raw(lam, name)
    body = json.loads(payload)
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "src/index.handler is undefined or not exported"
    assert "\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.HandlerNotFound\"" in tail


@needs_node
@pytest.mark.parametrize("files, handler, error_type, message", [
    ({"index.js": "exports.handler = 42;\n"}, "index.handler",
     "Runtime.HandlerNotFound", "index.handler is not a function"),
    ({"src/index.js": "exports.handler = async () => 1;\n"}, "src/nothere.handler",
     "Runtime.ImportModuleError", "Error: Cannot find module 'nothere'\nRequire stack:\n- /var/runtime/index.mjs"),
    ({"index.js": "exports.handler = async () => 1;\n"}, "../index.handler", "Runtime.MalformedHandlerName",
     "'../index.handler' is not a valid handler name. Use absolute paths when specifying root directories in "
     "handler names."),
])
def test_node_handlers_that_cannot_be_loaded(lam, files, handler, error_type, message):
    name = create_node(lam, files, handler=handler)
    _, payload, _ = invoke_raw(lam, name)
    body = json.loads(payload)
    assert (body["errorType"], body["errorMessage"]) == (error_type, message)


@needs_node
def test_node_unhandled_rejection_message_is_the_reason_as_a_string(lam):
    name = create_node(lam, {"index.js": (
        "exports.handler = async () => {\n"
        "  Promise.reject(new Error('late'));\n"
        "  await new Promise((resolve) => setTimeout(resolve, 200));\n"
        "  return 1;\n"
        "};\n")})
    response, payload, tail = invoke_raw(lam, name)
    body = json.loads(payload)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.UnhandledPromiseRejection" and body["errorMessage"] == "Error: late"
    assert body["trace"][0] == "Runtime.UnhandledPromiseRejection: Error: late"
    assert "\tERROR\tUnhandled Promise Rejection \t{" in tail


@needs_node
def test_node_value_returned_by_a_handler_that_is_not_async_is_ignored(lam):
    # "If you don't use callback in your code, AWS Lambda will call it implicitly and the return
    # value is null" (the Node.js handler guide).
    name = create_node(lam, {"index.js": "exports.handler = (event) => ({ignored: true});\n"})
    response, payload, _ = invoke_raw(lam, name)
    assert "FunctionError" not in response and payload == b"null"


# -- The environment a function sees ----------------------------------------------------------

def test_python_environment_has_lambdas_library_path_and_both_access_key_names(lam):
    # Lambda's LD_LIBRARY_PATH names the task root and its lib/ before /opt/lib, so native
    # libraries shipped in the zip load; AWS_ACCESS_KEY is set alongside AWS_ACCESS_KEY_ID.
    name = create_python(lam, "import os\ndef handler(event, context):\n    return dict(os.environ)\n")
    _, payload, _ = invoke_raw(lam, name)
    env = json.loads(payload)
    root = env["LAMBDA_TASK_ROOT"]
    assert env["LD_LIBRARY_PATH"].split(":")[:2] == [root, root + "/lib"]
    assert env["AWS_ACCESS_KEY"] == env["AWS_ACCESS_KEY_ID"]


# -- A runtime that ends without answering (AWS's runtime interface emulator, rapid) ----------

def test_python_clean_exit_is_an_exit_without_a_reason(lam):
    name = create_python(lam, "import sys\ndef handler(event, context):\n    sys.exit(0)\n")
    response, payload, tail = invoke_raw(lam, name)
    rid = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(payload) == {"errorType": "Runtime.ExitError",
                                   "errorMessage": f"RequestId: {rid} Error: Runtime exited without providing a reason"}
    # The REPORT line names the error type (the execution environment guide's new-style log).
    assert "\tStatus: error\tError Type: Runtime.ExitError\t" in tail


def test_python_killing_signal_is_named_as_go_names_it(lam):
    name = create_python(lam, "import os, signal\ndef handler(event, context):\n"
                              "    os.kill(os.getpid(), signal.SIGSEGV)\n")
    response, payload, _ = invoke_raw(lam, name)
    rid = response["ResponseMetadata"]["RequestId"]
    assert json.loads(payload) == {"errorType": "Runtime.ExitError",
                                   "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: signal: segmentation fault"}
