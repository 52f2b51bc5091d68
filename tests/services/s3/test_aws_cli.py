"""The AWS CLI (s3api and the high-level s3 commands) against the server, unmodified."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.services.s3.conftest import unique_bucket_name

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


def aws(env, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["aws", *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def test_s3api_roundtrip(aws_cli_env, tmp_path):
    bucket = unique_bucket_name("cli")
    aws(aws_cli_env, "s3api", "create-bucket", "--bucket", bucket)
    source = tmp_path / "in.txt"
    source.write_bytes(b"from the cli\n" * 1000)
    put = json.loads(aws(aws_cli_env, "s3api", "put-object", "--bucket", bucket, "--key", "dir/in.txt",
                         "--body", str(source), "--content-type", "text/plain", "--metadata", "owner=cli").stdout)
    assert put["ETag"].startswith('"')
    head = json.loads(aws(aws_cli_env, "s3api", "head-object", "--bucket", bucket, "--key", "dir/in.txt").stdout)
    assert head["ContentLength"] == source.stat().st_size
    assert head["Metadata"] == {"owner": "cli"}
    listed = json.loads(aws(aws_cli_env, "s3api", "list-objects-v2", "--bucket", bucket).stdout)
    assert [o["Key"] for o in listed["Contents"]] == ["dir/in.txt"]
    out = tmp_path / "out.txt"
    aws(aws_cli_env, "s3api", "get-object", "--bucket", bucket, "--key", "dir/in.txt", "--range", "bytes=0-11",
        str(out))
    assert out.read_bytes() == b"from the cli"
    missing = aws(aws_cli_env, "s3api", "get-object", "--bucket", bucket, "--key", "nope", str(out), check=False)
    assert missing.returncode != 0
    assert "NoSuchKey" in missing.stderr


def test_high_level_commands(aws_cli_env, tmp_path):
    bucket = unique_bucket_name("cli")
    aws(aws_cli_env, "s3", "mb", f"s3://{bucket}")
    source = tmp_path / "file.bin"
    source.write_bytes(bytes(range(256)) * 4096)  # 1 MiB: a single PutObject
    aws(aws_cli_env, "s3", "cp", str(source), f"s3://{bucket}/a/file.bin")
    aws(aws_cli_env, "s3", "cp", str(source), f"s3://{bucket}/b/file.bin")
    listing = aws(aws_cli_env, "s3", "ls", f"s3://{bucket}/").stdout
    assert "PRE a/" in listing and "PRE b/" in listing
    recursive = aws(aws_cli_env, "s3", "ls", "--recursive", f"s3://{bucket}").stdout
    assert "a/file.bin" in recursive and "b/file.bin" in recursive
    back = tmp_path / "back.bin"
    aws(aws_cli_env, "s3", "cp", f"s3://{bucket}/a/file.bin", str(back))
    assert back.read_bytes() == source.read_bytes()
    aws(aws_cli_env, "s3", "cp", f"s3://{bucket}/a/file.bin", f"s3://{bucket}/c/copied.bin")
    aws(aws_cli_env, "s3", "rm", "--recursive", f"s3://{bucket}")
    aws(aws_cli_env, "s3", "rb", f"s3://{bucket}")
    gone = aws(aws_cli_env, "s3api", "head-bucket", "--bucket", bucket, check=False)
    assert gone.returncode != 0
