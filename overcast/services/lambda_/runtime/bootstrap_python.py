"""Overcast's Python runtime client: loads the handler and serves invocations over the Runtime API.

This file runs inside function processes under whichever Python the runtime maps to, so it
imports only the standard library and stays compatible with Python 3.8. The zygote imports it
once and each forked environment calls main(); it can also be run directly as a script.
Errors are shaped as AWS's Python runtime shapes them ({errorMessage, errorType, requestId,
stackTrace}), and log lines from `logging` carry AWS's format.
"""

import decimal
import importlib
import json
import logging
import os
import re
import resource
import socket
import sys
import time
import traceback

# Sent by our bootstraps with a response or error; other runtime clients' memory is read from /proc.
PEAK_MEMORY_HEADER = "Overcast-Peak-Memory-Kb"


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, identity_id=None, pool_id=None):
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id

    def __repr__(self):
        return f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id};cognito_identity_pool_id={self.cognito_identity_pool_id}])"


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, doc):
        self.installation_id = doc.get("installation_id")
        self.app_title = doc.get("app_title")
        self.app_version_name = doc.get("app_version_name")
        self.app_version_code = doc.get("app_version_code")
        self.app_package_name = doc.get("app_package_name")


class ClientContext:
    __slots__ = ("custom", "env", "client")

    def __init__(self, doc):
        self.custom = doc.get("custom")
        self.env = doc.get("env")
        self.client = Client(doc["client"]) if doc.get("client") else None


_FACTS = None


def _environment_facts():
    """What the context says about the environment, fixed for its life: read from os.environ
    once (five lookups there cost more than the rest of a small invocation's context)."""
    global _FACTS
    if _FACTS is None:
        _FACTS = tuple(os.environ.get(name) for name in (
            "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_FUNCTION_NAME",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION"))
    return _FACTS


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, cognito_identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        (self.log_group_name, self.log_stream_name, self.function_name, self.memory_limit_in_mb,
         self.function_version) = _environment_facts()
        self.tenant_id = None
        self._deadline_ms = deadline_ms
        self.client_context = ClientContext(client_context) if client_context else None
        cog = cognito_identity or {}
        self.identity = CognitoIdentity(cog.get("cognitoIdentityId"), cog.get("cognitoIdentityPoolId"))

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def __repr__(self):
        return (f"LambdaContext([aws_request_id={self.aws_request_id};log_group_name={self.log_group_name};log_stream_name={self.log_stream_name};function_name={self.function_name};"
                f"memory_limit_in_mb={self.memory_limit_in_mb};function_version={self.function_version};invoked_function_arn={self.invoked_function_arn};client_context={self.client_context};"
                f"identity={self.identity}])")


class FaultError(Exception):
    def __init__(self, error_type, message, stack=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


class _Encoder(json.JSONEncoder):
    """As AWS's runtime marshals results (awslambdaric's lambda_runtime_marshaller.Encoder): a
    Decimal as its own digits (1.10 stays 1.10, 30 digits stay 30), NaN allowed, and from
    python3.12 on non-ASCII text left as UTF-8. The standard library cannot write raw JSON text,
    so a Decimal goes out as a marked string that encode_result turns back into its digits;
    results without Decimals never pay for that."""

    saw_decimal = False

    def default(self, o):
        if isinstance(o, decimal.Decimal):
            self.saw_decimal = True
            return _DECIMAL_MARK + ("NaN" if o.is_nan() else str(o)) + _DECIMAL_MARK
        if isinstance(o, bytes):
            return o.decode("utf-8")  # simplejson's, which AWS's marshaller is, writes bytes as text
        return super().default(o)

    def encode_result(self, result):
        self.saw_decimal = False  # a result that failed to encode may have left it set
        text = self.encode(result)
        if self.saw_decimal:
            self.saw_decimal = False
            text = _MARKED_DECIMAL.sub(r"\1", text)
        return text


_DECIMAL_MARK = "\x00overcast-decimal\x00"
_MARKED_DECIMAL = re.compile(r'"\\u0000overcast-decimal\\u0000([^"\\]*)\\u0000overcast-decimal\\u0000"')


# The runtimes whose results AWS's runtime writes with non-ASCII text unescaped (the set in
# awslambdaric's Encoder); older ones escape it.
_UNESCAPED_TEXT_ENVS = ("AWS_Lambda_python3.12", "AWS_Lambda_python3.13", "AWS_Lambda_python3.14",
                        "AWS_Lambda_python3.15")
# One encoder for every result, remade by main() once the environment (and so the runtime) is known.
_ENCODER = _Encoder()
_request_id = ""


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


def _configure_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


def _stack_of(tb):
    frames = traceback.extract_tb(tb)
    runtime_file = os.path.abspath(__file__).rstrip("c")
    frames = [f for f in frames if os.path.abspath(f.filename) != runtime_file and "importlib" not in f.filename]
    return traceback.format_list(frames)


def load_handler(handler_name):
    """The handler, or the FaultError AWS's runtime reports (awslambdaric's bootstrap._get_handler:
    its messages name the module as the handler spells it, slashes and all)."""
    try:
        module_path, function_name = handler_name.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{handler_name}': {e}") from None
    if module_path.split(".")[0] in sys.builtin_module_names:
        raise FaultError("Runtime.BuiltInModuleConflict",
                         f"Cannot use built-in module {module_path} as a handler module")
    module_name = module_path.replace("/", ".")
    if module_name.startswith("."):
        raise FaultError("Runtime.BadHandler", f"Cannot use relative import: '{module_name}'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError",
                         f"Unable to import module '{module_path}': {e}") from None
    except SyntaxError as e:
        raise FaultError("Runtime.UserCodeSyntaxError",
                         f"Syntax error in module '{module_path}': {e}",
                         [f'  File "{e.filename}" Line {e.lineno}\n    {e.text or ""}']) from None
    except Exception as e:
        raise FaultError(type(e).__name__, str(e), _stack_of(sys.exc_info()[2])) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError("Runtime.HandlerNotFound",
                         f"Handler '{function_name}' missing on module '{module_path}'") from None


class RuntimeClient:
    """HTTP/1.1 to the Runtime API over one kept-alive connection.

    An invocation's response (or error) and the request for the next invocation go out in one
    write, pipelined: the server reads both at once, which saves a round trip and two wake-ups
    per invocation. Overcast's Runtime API always answers with a Content-Length.
    """

    def __init__(self, address):
        host, _, port = address.partition(":")
        self.address = address
        self.sock = socket.create_connection((host, int(port or 80)))
        # Each request goes out in one write; without NODELAY a later one could wait for an ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def _request(self, method, path, body=b"", headers=()):
        head = f"{method} /2018-06-01/runtime/{path} HTTP/1.1\r\nHost: {self.address}\r\n"
        for name, value in headers:
            head += f"{name}: {value}\r\n"
        if method == "POST":
            head += f"Content-Length: {len(body)}\r\n"
        return head.encode("latin-1") + b"\r\n" + body

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        self.buffer += chunk

    def _response(self):
        """(headers by lower-case name, body) of the next response."""
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        while end < 0:
            self._fill()
            end = buffer.find(b"\r\n\r\n")
        lines = buffer[:end].decode("latin-1").split("\r\n")
        del buffer[:end + 4]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        while len(self.buffer) < length:
            self._fill()
        body = bytes(self.buffer[:length])
        del self.buffer[:length]
        return headers, body

    def next(self):
        self.sock.sendall(self._request("GET", "invocation/next"))
        return self._response()

    def respond_then_next(self, request_id, body):
        return self._then_next(self._request("POST", f"invocation/{request_id}/response", body,
                                             [("Content-Type", "application/json"), _peak_memory()]))

    def error_then_next(self, request_id, doc):
        return self._then_next(self._request(
            "POST", f"invocation/{request_id}/error", json.dumps(doc).encode(),
            [("Content-Type", "application/json"),
             ("Lambda-Runtime-Function-Error-Type", doc.get("errorType", "Unhandled")), _peak_memory()]))

    def _then_next(self, post):
        self.sock.sendall(post + self._request("GET", "invocation/next"))
        self._response()  # 202, or 413 for a response too large (the server then reports that error)
        return self._response()


def _peak_memory():
    """This process's peak resident memory (KiB), for the REPORT line: cheaper here than for the
    server to read /proc after every invocation. getrusage's figure is this environment's own
    because it is forked from the zygote, not exec'ed (a fork's counts start afresh; across an
    exec they would carry the starter's peak, which is why the Node bootstrap reads VmHWM)."""
    return PEAK_MEMORY_HEADER, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _error_doc(error_type, message, request_id, stack):
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}


def _log_error(doc):
    """The error as AWS's runtime logs it (awslambdaric's bootstrap.log_error with its standard
    sink): one record whose lines are joined by carriage returns, so the log shows it as one
    event, the stack's indentation in no-break spaces, and a Traceback heading even when the stack
    is empty (as real logs show after a Runtime.MarshalError)."""
    error_type, message = doc["errorType"], doc["errorMessage"]
    description = "[ERROR]"
    if error_type:
        description += " " + error_type
    if message:
        description += (":" if error_type else "") + " " + message
    lines = [description, "Traceback (most recent call last):"]
    for element in doc["stackTrace"]:
        if element == "":
            lines.append("")
            continue
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


# Logged (as a warning through `logging`) before an initialisation error, as AWS's runtime does
# (awslambdaric's lambda_literals.lambda_unhandled_exception_warning_message).
_UNHANDLED_EXCEPTION_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare "
    "cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, "
    "runtime updates can be triggered by a function change, or can be applied automatically. To determine if the "
    "runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with a "
    "change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r")


def _end():
    # Everything printed is in the output pipe before the answer goes out: the server reads the
    # pipe empty before it closes the invocation's log.
    sys.stdout.flush()
    sys.stderr.flush()


def main():
    global _request_id, _ENCODER
    _ENCODER = _Encoder(ensure_ascii=os.environ.get("AWS_EXECUTION_ENV") not in _UNESCAPED_TEXT_ENVS)
    try:
        client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    except OSError:
        return
    _configure_logging()
    handler = fault = None
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except FaultError as e:
        # Like AWS's runtime: the failure is reported on every invocation, with an empty requestId.
        fault = _error_doc(e.error_type, e.message, "", e.stack)
        logging.warning(_UNHANDLED_EXCEPTION_WARNING)
        _log_error(fault)
    try:
        headers, body = client.next()
        while True:
            request_id = headers.get("lambda-runtime-aws-request-id", "")
            _request_id = request_id
            response, error = _invoke(handler, fault, request_id, headers, body)
            _end()
            if error is not None:
                headers, body = client.error_then_next(request_id, error)
            else:
                headers, body = client.respond_then_next(request_id, response)
    except (OSError, ValueError):
        return  # the server went away (or closed this environment)


def _invoke(handler, fault, request_id, headers, body):
    """(response bytes, None) or (None, error document), with the error logged as AWS's runtime does."""
    if fault is not None:
        return None, fault
    try:
        event = json.loads(body) if body else {}
    except Exception as e:  # as AWS's runtime: an event it cannot read is this fault, no stack
        doc = _error_doc("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}", request_id, [])
        _log_error(doc)
        return None, doc
    try:
        client_context = headers.get("lambda-runtime-client-context")
        cognito = headers.get("lambda-runtime-cognito-identity")
        context = LambdaContext(request_id, int(headers.get("lambda-runtime-deadline-ms") or 0),
                                headers.get("lambda-runtime-invoked-function-arn"),
                                json.loads(client_context) if client_context else None,
                                json.loads(cognito) if cognito else None)
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        result = handler(event, context)
    except Exception as e:
        doc = _error_doc(type(e).__name__, str(e), request_id, _stack_of(sys.exc_info()[2]))
        _log_error(doc)
        return None, doc
    if isinstance(result, bytes):
        return result, None  # AWS's runtime passes bytes through as the payload, unencoded
    try:
        return _ENCODER.encode_result(result).encode(), None
    except Exception as e:  # as AWS's marshaller: any failure (a recursion error too) is this one
        doc = _error_doc("Runtime.MarshalError", f"Unable to marshal response: {e}", request_id, [])
        _log_error(doc)
        return None, doc


if __name__ == "__main__":
    main()
