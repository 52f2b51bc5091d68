"""One directory holding a function's layers merged as Lambda extracts them into /opt.

Layers are applied in their configured order, so a later layer's file replaces an earlier
layer's file of the same path. Files are hard links to the unpacked layers (copies where a link
is impossible), so a merge costs directory entries, not data. The result is what an
environment bind-mounts onto /opt; it is built once per distinct list of layers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Sequence


def merged_dir_path(root: str, layer_dirs: Sequence[str]) -> str:
    key = hashlib.sha256("\0".join(layer_dirs).encode()).hexdigest()[:24]
    return os.path.join(root, key)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        for dirpath, dirnames, _ in os.walk(path):
            for name in dirnames:
                os.chmod(os.path.join(dirpath, name), 0o755)
        os.chmod(path, 0o755)
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _place_file(source: str, target: str) -> None:
    if os.path.lexists(target) or os.path.isdir(target):
        _remove(target)
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def merge_layers(root: str, layer_dirs: Sequence[str]) -> str:
    """The merged directory for `layer_dirs` (earliest first), building it if needed."""
    target = merged_dir_path(root, layer_dirs)
    # Built under another name and renamed when complete, so an existing one is whole.
    if os.path.isdir(target):
        return target
    staging = f"{target}.{uuid.uuid4().hex}.tmp"
    os.makedirs(staging)
    for layer in layer_dirs:
        for dirpath, dirnames, filenames in os.walk(layer):
            relative = os.path.relpath(dirpath, layer)
            into = staging if relative == "." else os.path.join(staging, relative)
            for name in dirnames:
                source, destination = os.path.join(dirpath, name), os.path.join(into, name)
                if os.path.islink(source):
                    _place_file(source, destination)
                elif not os.path.isdir(destination) or os.path.islink(destination):
                    if os.path.lexists(destination):
                        _remove(destination)
                    os.mkdir(destination, 0o755)
            for name in filenames:
                _place_file(os.path.join(dirpath, name), os.path.join(into, name))
    try:
        os.rename(staging, target)
    except OSError:  # another merge of the same layers won the race
        _remove(staging)
    return target
