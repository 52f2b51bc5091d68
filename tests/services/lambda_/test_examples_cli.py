"""The examples/lambda functions, created and invoked with the AWS CLI as a user would."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services.lambda_.helpers import ROLE, unique
from tests.support.lambda_code import zip_directory

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "lambda"
pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


def aws(env, *args: str) -> dict:
    out = subprocess.run(["aws", *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


def zip_example(example: str, tmp_path: Path) -> Path:
    target = tmp_path / f"{example}.zip"
    target.write_bytes(zip_directory(EXAMPLES / example))
    return target


def create(env, tmp_path, example: str, runtime: str, handler: str) -> str:
    name = unique(example)
    aws(env, "lambda", "create-function", "--function-name", name, "--runtime", runtime, "--role", ROLE,
        "--handler", handler, "--zip-file", f"fileb://{zip_example(example, tmp_path)}", "--timeout", "30")
    aws(env, "lambda", "wait", "function-active-v2", "--function-name", name)
    return name


def binary_format_flag(env) -> list[str]:
    """CLI v2 wants --cli-binary-format for raw JSON payloads; v1 has no such option."""
    out = subprocess.run(["aws", "--version"], env=env, capture_output=True, text=True)
    version = (out.stdout or out.stderr).strip()
    return ["--cli-binary-format", "raw-in-base64-out"] if version.startswith("aws-cli/2") else []


def invoke(env, tmp_path, name: str, payload: dict, *extra: str) -> tuple[dict, object]:
    out_file = tmp_path / f"{name}.out"
    meta = aws(env, "lambda", "invoke", "--function-name", name, "--payload", json.dumps(payload),
               *binary_format_flag(env), *extra, str(out_file))
    return meta, json.loads(out_file.read_text())


def test_hello_python(aws_cli_env, tmp_path):
    name = create(aws_cli_env, tmp_path, "hello-python", "python3.12", "lambda_function.lambda_handler")
    meta, body = invoke(aws_cli_env, tmp_path, name, {"name": "Overcast"}, "--log-type", "Tail")
    assert meta["StatusCode"] == 200 and "FunctionError" not in meta
    assert json.loads(body["body"]) == {"message": "Hello, Overcast!"}
    assert f"Hello from {name}" in base64.b64decode(meta["LogResult"]).decode()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_hello_node(aws_cli_env, tmp_path):
    name = create(aws_cli_env, tmp_path, "hello-node", "nodejs20.x", "index.handler")
    meta, body = invoke(aws_cli_env, tmp_path, name, {"name": "Node"})
    assert meta["StatusCode"] == 200
    assert json.loads(body["body"])["message"] == "Hello, Node!"


def test_function_calling_s3(aws_cli_env, tmp_path):
    name = create(aws_cli_env, tmp_path, "s3-from-function", "python3.12", "lambda_function.lambda_handler")
    bucket = unique("from-fn")
    meta, body = invoke(aws_cli_env, tmp_path, name, {"bucket": bucket})
    assert "FunctionError" not in meta, body
    assert body["bucket"] == bucket and len(body["keys"]) == 1
    listed = aws(aws_cli_env, "s3api", "list-objects-v2", "--bucket", bucket)
    assert [o["Key"] for o in listed["Contents"]] == body["keys"]


def test_s3_event_function_with_test_event(aws_cli_env, tmp_path):
    name = create(aws_cli_env, tmp_path, "s3-thumbnail-notes", "python3.12", "lambda_function.lambda_handler")
    bucket = unique("notes")
    aws(aws_cli_env, "s3api", "create-bucket", "--bucket", bucket)
    source = tmp_path / "notes.txt"
    source.write_text("one\ntwo\nthree")
    aws(aws_cli_env, "s3api", "put-object", "--bucket", bucket, "--key", "notes.txt", "--body", str(source))
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                          "s3": {"bucket": {"name": bucket}, "object": {"key": "notes.txt"}}}]}
    meta, body = invoke(aws_cli_env, tmp_path, name, event)
    assert "FunctionError" not in meta, body
    assert body == {"written": ["results/notes.txt.json"]}
    result = tmp_path / "result.json"
    aws(aws_cli_env, "s3api", "get-object", "--bucket", bucket, "--key", "results/notes.txt.json", str(result))
    assert json.loads(result.read_text()) == {"source": "notes.txt", "bytes": 13, "lines": 3}
