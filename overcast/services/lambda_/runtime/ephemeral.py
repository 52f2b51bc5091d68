"""A function's /tmp held to its configured ephemeral storage as a whole, without root.

On AWS, /tmp is a filesystem of EphemeralStorage.Size MB: a write past it fails inside the
function ("[Errno 28] No space left on device") and the environment carries on. Overcast's /tmp
is a directory on the server's disk (no mount needs root), so it keeps that promise in two steps:

- Before each invocation the environment's file-size limit (the soft RLIMIT_FSIZE, set from the
  server with prlimit) is lowered to the space left, so a write that would overfill /tmp fails in
  the function with an OSError ("[Errno 27] File too large"), as a full disk refuses it, and the
  environment stays warm. The limit is on a file's size, not on what it adds: growing a file that
  is already larger than the space left is refused too, which a real filesystem would allow.
- While an invocation runs, and when it ends, /tmp's usage is measured as memory is: one that
  overfills /tmp across several files is stopped and its environment discarded, as one that runs
  out of memory is, with a log line that says why.
"""

from __future__ import annotations

import os
import resource
import stat
import time
from dataclasses import dataclass

_STAMP_RESOLUTION_NS = 50_000_000
# Past this many entries a walk is slow enough that it is not repeated at every memory poll.
QUICK_WALK_ENTRIES = 2000


@dataclass
class TmpUsage:
    allocated: int  # bytes of disk the tree holds (sparse holes do not count, as on a filesystem)
    entries: int


def measure(path: str) -> TmpUsage:
    """Disk used under path, without following links; files that vanish meanwhile are skipped."""
    allocated = entries = 0
    pending = [path]
    while pending:
        try:
            scan = os.scandir(pending.pop())
        except OSError:
            continue
        with scan:
            for entry in scan:
                entries += 1
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                allocated += info.st_blocks * 512
                if stat.S_ISDIR(info.st_mode):
                    pending.append(entry.path)
    return TmpUsage(allocated, entries)


def unchanged_empty_dir(path: str, empty_mtime_ns: int) -> int | None:
    """None when `path`, found empty when its mtime was `empty_mtime_ns`, still is: no entry can
    have been made without changing the directory's mtime, so it need not be walked (most
    functions never touch /tmp, and this check is one stat instead of a walk after every
    invocation). Otherwise the mtime to pass next time, if the walk that follows finds it empty;
    0 when the mtime is too recent to tell a later change from it (the kernel stamps with a
    clock of a few milliseconds' resolution)."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return 0
    if empty_mtime_ns and mtime == empty_mtime_ns:
        return None
    return mtime if time.time_ns() - mtime > _STAMP_RESOLUTION_NS else 0


def limit_writes(pid: int, usage: TmpUsage, capacity: int) -> None:
    """Let the process grow a file only as far as /tmp's free space allows (see the module's notes).

    Only the soft limit moves, and never above the hard limit set at launch (the capacity), so an
    unprivileged server can raise it again once the function has deleted files.
    """
    left = max(capacity - usage.allocated, 0)
    try:
        _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        soft = left
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))
    except (OSError, ValueError):
        pass  # the process is gone, or the platform has no prlimit: the usage checks still hold


def exhausted_message(usage: TmpUsage, capacity_mb: int) -> str:
    used_mb = usage.allocated / (1024 * 1024)
    return (f"Ephemeral storage exhausted: /tmp holds {used_mb:.0f} MB of the function's {capacity_mb} MB "
            f"(EphemeralStorage); the execution environment was stopped.")
