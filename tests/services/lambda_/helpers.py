"""Creating, invoking and waiting on functions, for the Lambda tests."""

from __future__ import annotations

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

# Re-exported: the Lambda tests import everything they need from here.
from tests.support.errors import error_of, refused
from tests.support.lambda_code import ROLE, unique, zip_of

__all__ = ["ROLE", "call_url", "create_python", "error_of", "invoke_at_once", "invoke_json", "refused",
           "signed_headers", "unique", "wait_for", "zip_of"]


def create_python(client, source: str, name: str | None = None, handler: str = "lambda_function.handler",
                  runtime: str = "python3.11", **extra) -> str:
    name = name or unique()
    client.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                           Code={"ZipFile": zip_of({handler.split(".")[0] + ".py": source})}, **extra)
    return name


def invoke_json(client, name: str, event=None, **extra):
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **extra)
    body = response["Payload"].read()
    return response, (json.loads(body) if body else None)


def invoke_at_once(client, name: str, event=None, count: int = 2) -> list:
    """Invoke `count` times concurrently; each result is the decoded payload, or the error
    response (a dict with "Error") when the call was refused."""
    results: list = []

    def call() -> None:
        try:
            results.append(invoke_json(client, name, event)[1])
        except ClientError as err:
            results.append(err.response)

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def call_url(server_port: int, function_url: str, method: str = "GET", path: str = "/", body: bytes | None = None,
             headers: dict | None = None, path_form: bool = False) -> tuple[int, dict, bytes, list]:
    """(status, headers by lower-case name, body, raw header pairs) of one request to a function URL."""
    parts = urlsplit(function_url)
    url_id = parts.hostname.split(".")[0]
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=30)
    sent = dict(headers or {})
    if path_form:
        target = f"/_overcast/lambda-url/{url_id}{path}"
    else:
        target = path
        sent.setdefault("Host", parts.netloc)
    conn.request(method, target, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read()
    pairs = response.getheaders()
    conn.close()
    return response.status, {k.lower(): v for k, v in pairs}, data, pairs


def signed_headers(url: str, method: str, path: str, body: bytes, key: str = "test", secret: str = "test") -> dict:
    """The headers botocore's own SigV4 signer adds for a request to the URL (service "lambda")."""
    request = AWSRequest(method=method, url=url.rstrip("/") + path, data=body)
    SigV4Auth(Credentials(key, secret), "lambda", "us-east-1").add_auth(request)
    return dict(request.headers.items())
