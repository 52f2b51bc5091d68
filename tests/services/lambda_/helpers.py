"""Creating, invoking and waiting on functions, for the Lambda tests."""

from __future__ import annotations

import json
import threading
import time

from botocore.exceptions import ClientError

# Re-exported: the Lambda tests import everything they need from here.
from tests.support.errors import error_of, refused
from tests.support.lambda_code import ROLE, unique, zip_of

__all__ = ["ROLE", "create_python", "error_of", "invoke_at_once", "invoke_json", "refused", "unique", "wait_for",
           "zip_of"]


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

