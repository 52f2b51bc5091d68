"""The AWS CLI at scale: `aws s3 sync` of thousands of small files up and back down, and
`aws s3 cp` of a large file (multipart above the CLI's 8 MiB threshold) round-tripped intact.

The full sizes of the issue (10,000 files, 5 GiB) run when OVERCAST_SLOW_TESTS=1; a default run
uses smaller ones that exercise the same paths.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services.s3.conftest import unique_bucket_name

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")

SLOW = os.environ.get("OVERCAST_SLOW_TESTS") == "1"
SYNC_FILES = 10_000 if SLOW else 2_000
LARGE_FILE_BYTES = (5 if SLOW else 1) * 1024**3
_MARK_EVERY = 1024**2


def aws(env: dict[str, str], *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    result = subprocess.run(["aws", *args], env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def make_tree(root: Path, count: int) -> list[str]:
    """`count` small files of distinct content, 100 to a folder; their paths relative to root."""
    names = []
    for i in range(count):
        relative = f"dir{i // 100:03d}/file-{i:05d}.txt"
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"file {i}\n".encode() * (1 + i % 7))
        names.append(relative)
    return names


def test_sync_a_folder_of_many_small_files(aws_cli_env, tmp_path):
    bucket = unique_bucket_name("sync")
    source, back = tmp_path / "source", tmp_path / "back"
    names = make_tree(source, SYNC_FILES)
    aws(aws_cli_env, "s3", "mb", f"s3://{bucket}")
    try:
        aws(aws_cli_env, "s3", "sync", str(source), f"s3://{bucket}/site")
        aws(aws_cli_env, "s3", "sync", f"s3://{bucket}/site", str(back))
        downloaded = sorted(str(p.relative_to(back)) for p in back.rglob("*") if p.is_file())
        assert downloaded == sorted(names)
        _, mismatch, errors = filecmp.cmpfiles(source, back, names, shallow=False)
        assert (mismatch, errors) == ([], [])
        # A second sync finds nothing to do: sizes and times listed by the server match.
        again = aws(aws_cli_env, "s3", "sync", str(source), f"s3://{bucket}/site")
        assert "upload:" not in again.stdout
    finally:
        aws(aws_cli_env, "s3", "rb", "--force", f"s3://{bucket}")


def make_large_file(path: Path, size: int) -> None:
    """A sparse file with a distinct marker at every MiB, so that parts out of place, missing
    or repeated change its hash, written in a moment whatever its size."""
    with open(path, "wb") as out:
        out.truncate(size)
        for offset in range(0, size, _MARK_EVERY):
            out.seek(offset)
            out.write(f"<{offset:016d}>".encode())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(8 * 1024**2):
            digest.update(chunk)
    return digest.hexdigest()


def test_cp_a_large_file_round_trip(aws_cli_env, tmp_path):
    bucket = unique_bucket_name("large")
    source, back = tmp_path / "large.bin", tmp_path / "large.back"
    make_large_file(source, LARGE_FILE_BYTES)
    aws(aws_cli_env, "s3", "mb", f"s3://{bucket}")
    try:
        aws(aws_cli_env, "s3", "cp", str(source), f"s3://{bucket}/large.bin")
        head = json.loads(aws(aws_cli_env, "s3api", "head-object", "--bucket", bucket, "--key", "large.bin").stdout)
        assert head["ContentLength"] == LARGE_FILE_BYTES
        assert "-" in head["ETag"]  # the CLI uploaded it in parts: "<md5 of md5s>-<part count>"
        aws(aws_cli_env, "s3", "cp", f"s3://{bucket}/large.bin", str(back))
        assert back.stat().st_size == LARGE_FILE_BYTES
        assert sha256_of(back) == sha256_of(source)
    finally:
        aws(aws_cli_env, "s3", "rb", "--force", f"s3://{bucket}")
