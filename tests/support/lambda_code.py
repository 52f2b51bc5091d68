"""Function code for tests that create Lambda functions: zip archives built in memory, the
execution role every test function names, and unique names."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def unique(prefix: str = "fn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def zip_of(files: dict[str, str | bytes], executable: tuple[str, ...] = ()) -> bytes:
    """A deployment package holding `files` (archive name -> content); the names in
    `executable` get mode 755, as a custom runtime's bootstrap needs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, content)
    return buf.getvalue()


def zip_directory(directory: Path) -> bytes:
    """A deployment package of the files directly in `directory` (an example function)."""
    return zip_of({path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()})
