"""CPU time and memory of a server's process tree, read straight from /proc.

psutil would do, but /proc keeps the harness free of dependencies and costs less per sample,
which matters when a sampler thread shares the machine with the server it measures.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def process_tree(root_pid: int) -> list[int]:
    """The root and every descendant alive now (servers may fork workers)."""
    children = _children_map()
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rfind(b")") + 2 :].split()
    # utime, stime, cutime, cstime are fields 14-17 of stat; `fields` starts at field 3 (state). The last two
    # hold the time of children already reaped (Lambda workers, say), which a living tree no longer shows.
    return int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])


def start_time(pid: int) -> int | None:
    """Clock ticks after boot when the process started: with the pid, names one process even if pids are reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat[stat.rfind(b")") + 2 :].split()[19])


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def tree_cpu_seconds(root_pid: int, pids: list[int] | None = None) -> float:
    """User+system CPU consumed so far by the tree, reaped children included (unreaped dead ones are lost)."""
    return sum(_cpu_ticks(p) for p in (pids or process_tree(root_pid))) / CLOCK_TICKS_PER_SECOND


def tree_rss_bytes(root_pid: int, pids: list[int] | None = None) -> int:
    return sum(_rss_bytes(p) for p in (pids or process_tree(root_pid)))


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class PeakRssSampler:
    """Samples the tree's RSS on a thread until stopped; bounded by max_seconds in case stop is never called."""

    root_pid: int
    interval: float = 0.01
    max_seconds: float = 600.0
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PeakRssSampler:
        pids = process_tree(self.root_pid)
        self.peak = tree_rss_bytes(self.root_pid, pids)
        self._thread = threading.Thread(target=self._run, args=(pids,), daemon=True)
        self._thread.start()
        return self

    def _run(self, pids: list[int]) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.wait(self.interval) and time.monotonic() < deadline:
            self.peak = max(self.peak, tree_rss_bytes(self.root_pid, pids))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, tree_rss_bytes(self.root_pid))


def _pss_bytes(pid: int) -> int:
    # Pss splits each shared page among the processes that map it: forked environments that share
    # their parent's pages copy-on-write are not counted twice, as summed RSS counts them.
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_pss_bytes(root_pid: int) -> int:
    return sum(_pss_bytes(p) for p in process_tree(root_pid))
