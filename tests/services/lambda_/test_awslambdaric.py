"""AWS's own Python runtime client (awslambdaric, from PyPI) runs unmodified as a custom runtime:
the proof that Overcast's Runtime API is the real contract, not something only our bootstraps speak."""

from __future__ import annotations

import base64
import sys

import pytest

from tests.services.lambda_.helpers import ROLE, invoke_json, unique, zip_of

pytest.importorskip("awslambdaric")

HANDLER = """
import logging
COUNT = 0
def handler(event, context):
    global COUNT
    COUNT += 1
    print("awslambdaric says hi")
    if event.get("fail"):
        raise KeyError("missing")
    return {"count": COUNT, "request_id": context.aws_request_id, "name": context.function_name}
"""


def test_awslambdaric_as_provided_runtime(lam):
    # The bootstrap a user writes for a custom Python runtime: exec the runtime client module.
    bootstrap = f"#!/bin/sh\nexec {sys.executable} -m awslambdaric \"$_HANDLER\"\n"
    name = unique("ric")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"bootstrap": bootstrap, "app.py": HANDLER},
                                                executable=("bootstrap",))}, Timeout=30)
    response, body = invoke_json(lam, name, {"a": 1}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body == {"count": 1, "request_id": response["ResponseMetadata"]["RequestId"], "name": name}
    assert "awslambdaric says hi" in base64.b64decode(response["LogResult"]).decode()
    assert invoke_json(lam, name)[1]["count"] == 2  # warm

    failed, error = invoke_json(lam, name, {"fail": True})
    assert failed["FunctionError"] == "Unhandled"
    assert error["errorType"] == "KeyError" and error["errorMessage"] == "'missing'"
