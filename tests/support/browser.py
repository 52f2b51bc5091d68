"""Headless Chromium for the end-to-end tests: found where Debian installs it (the tests skip
with a message when it is not), run with a fresh profile and a bounded time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def chromium_binary() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium; scripts/test.sh tries that)")


def run_chromium(binary: str, profile: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """Headless Chromium, bounded in time: on timeout its whole process group is killed."""
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-proxy-server", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish in {timeout}s: {' '.join(args)}")
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
