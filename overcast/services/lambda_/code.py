"""Code bundles: checking a zip, keeping it as a blob, and unpacking it once for environments.

Unpacked code lives outside the data directory (functions never learn where Overcast keeps
its data), one read-only directory per bundle digest, shared by every environment that runs it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import shutil
import stat
import tempfile
import threading
import zipfile

from overcast.services.lambda_.errors import InvalidParameterValue
from overcast.services.lambda_.models import CodeInfo
from overcast.services.lambda_.validation import MAX_UNZIPPED_BYTES
from overcast.storage.interface import BlobStore


def check_zip(data: bytes) -> int:
    """The unzipped size; raises Lambda's errors for a broken or oversized bundle."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise InvalidParameterValue("Could not unzip uploaded file. Please check your file, then try to upload "
                                    "again.") from None
    if size > MAX_UNZIPPED_BYTES:
        raise InvalidParameterValue(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
    return size


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


async def store_zip(blobs: BlobStore, data: bytes) -> CodeInfo:
    async def chunks():
        yield data

    info = await blobs.write(chunks())
    return CodeInfo(blob_id=info.blob_id, sha256=sha256_b64(data), size=len(data))


def _extract(zip_path: str, target: str) -> None:
    staging = tempfile.mkdtemp(prefix=".unpack-", dir=os.path.dirname(target))
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            path = os.path.realpath(os.path.join(staging, info.filename))
            if not path.startswith(os.path.realpath(staging) + os.sep):
                continue  # an entry that would escape the directory
            if info.is_dir():
                os.makedirs(path, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with archive.open(info) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            mode = (info.external_attr >> 16) & 0o777
            executable = mode & 0o111 or info.filename.rsplit("/", 1)[-1] == "bootstrap"
            os.chmod(path, 0o555 if executable else 0o444)
    for root, dirs, _ in os.walk(staging):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o555)
    os.chmod(staging, 0o555)
    try:
        os.rename(staging, target)
    except OSError:  # another caller unpacked the same bundle first
        remove_tree(staging)


def remove_tree(path: str) -> None:
    """rmtree that first gives back the write permission code directories were locked with."""
    for root, dirs, _ in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), stat.S_IRWXU)
            except OSError:
                pass
    try:
        os.chmod(path, stat.S_IRWXU)
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)


class CodeCache:
    def __init__(self, root: str, blobs: BlobStore):
        self.root = root
        self.blobs = blobs
        self._lock = threading.Lock()
        os.makedirs(root, exist_ok=True)

    def directory_for(self, code: CodeInfo) -> str:
        return os.path.join(self.root, hashlib.sha256(code.sha256.encode()).hexdigest()[:32])

    def ensure_sync(self, code: CodeInfo) -> str:
        target = self.directory_for(code)
        if not os.path.isdir(target):
            with self._lock:
                if not os.path.isdir(target):
                    _extract(self.blobs.path(code.blob_id), target)
        return target

    async def ensure(self, code: CodeInfo) -> str:
        target = self.directory_for(code)
        if os.path.isdir(target):
            return target
        return await asyncio.to_thread(self.ensure_sync, code)
