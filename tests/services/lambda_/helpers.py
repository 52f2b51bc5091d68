"""Building function zips and waiting on Lambda, for the Lambda tests."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def zip_of(files: dict[str, str], executable: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, text)
    return buf.getvalue()


def unique(prefix: str = "fn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


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


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
