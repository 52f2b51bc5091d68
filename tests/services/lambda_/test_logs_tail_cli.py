"""`aws logs tail /aws/lambda/<name>` (AWS CLI v2) shows a function's START, output, END and REPORT lines.

`logs tail` exists only in CLI v2 (it pages FilterLogEvents from --since; --follow polls it every
5 s from the newest timestamp seen, dropping events by eventId that it has shown). v1, which the
Python test extras install, has no such command, so these tests look for a v2 `aws` (Debian's
`awscli` package is v2) and are skipped without one.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
import time

import pytest

from tests.services.lambda_.helpers import create_python, wait_for


def _find_cli_v2() -> str | None:
    for candidate in dict.fromkeys(p for p in (shutil.which("aws"), "/usr/bin/aws", "/usr/local/bin/aws") if p):
        try:
            out = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if (out.stdout or out.stderr).startswith("aws-cli/2"):
            return candidate
    return None


AWS_V2 = _find_cli_v2()
pytestmark = pytest.mark.skipif(AWS_V2 is None, reason="AWS CLI v2 (which has `aws logs tail`) is not installed")

SOURCE = "def handler(event, context):\n    print('tailed', event['n'])\n    return event['n']\n"


def tail_command(env: dict[str, str], group: str, *extra: str) -> list[str]:
    # CLI v2 before 2.13 ignores AWS_ENDPOINT_URL: the endpoint is given explicitly.
    assert AWS_V2 is not None
    return [AWS_V2, "--endpoint-url", env["AWS_ENDPOINT_URL"], "logs", "tail", group, "--format", "short", *extra]


def invoke(lam, name: str, n: int) -> str:
    response = lam.invoke(FunctionName=name, Payload=f'{{"n": {n}}}'.encode())
    assert response["Payload"].read() == str(n).encode()
    return response["ResponseMetadata"]["RequestId"]


def lines_of(output: str) -> list[str]:
    """The messages, without the timestamp that --format short puts first."""
    return [line.split(" ", 1)[1] for line in output.splitlines() if " " in line]


def assert_invocation_shown(messages: list[str], request_id: str, n: int) -> None:
    start = messages.index(f"START RequestId: {request_id} Version: $LATEST")
    end = messages.index(f"END RequestId: {request_id}")
    report = next(i for i, m in enumerate(messages) if m.startswith(f"REPORT RequestId: {request_id}\tDuration: "))
    assert start < messages.index(f"tailed {n}") < end < report
    assert "\tBilled Duration: " in messages[report] and "\tMax Memory Used: " in messages[report]


def test_logs_tail_shows_start_end_report(lam, aws_cli_env):
    name = create_python(lam, SOURCE)
    first, second = invoke(lam, name, 1), invoke(lam, name, 2)

    def shown():
        out = subprocess.run(tail_command(aws_cli_env, f"/aws/lambda/{name}", "--since", "10m"), env=aws_cli_env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        messages = lines_of(out.stdout)
        return messages if sum(m.startswith("REPORT ") for m in messages) == 2 else None

    messages = wait_for(shown, timeout=30, interval=0.5)
    assert messages[0].startswith("INIT_START Runtime Version: python3.11")
    assert_invocation_shown(messages, first, 1)
    assert_invocation_shown(messages, second, 2)
    assert "Init Duration: " in next(m for m in messages if m.startswith(f"REPORT RequestId: {first}"))


def test_logs_tail_of_a_missing_group(aws_cli_env):
    out = subprocess.run(tail_command(aws_cli_env, "/aws/lambda/no-such-function-anywhere"), env=aws_cli_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "ResourceNotFoundException" in out.stderr
    assert "The specified log group does not exist" in out.stderr


def test_logs_tail_follow_shows_new_invocations_live(lam, aws_cli_env):
    name = create_python(lam, SOURCE)
    before = invoke(lam, name, 1)
    follower = subprocess.Popen(tail_command(aws_cli_env, f"/aws/lambda/{name}", "--since", "10m", "--follow"),
                                env=aws_cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in follower.stdout or ()],
                              daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        def read_until(predicate, timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while not predicate():
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"not shown in {timeout:.0f} s; shown: {seen}"
                try:
                    seen.extend(lines_of(lines.get(timeout=remaining) + "\n"))
                except queue.Empty:
                    continue

        read_until(lambda: any(m.startswith(f"REPORT RequestId: {before}") for m in seen), 30)
        during = invoke(lam, name, 2)  # after the first poll: only the follow loop can show it
        # The CLI polls every 5 s: two polls' worth of time, and some slack for a busy machine.
        read_until(lambda: any(m.startswith(f"REPORT RequestId: {during}") for m in seen), 30)
    finally:
        follower.kill()
        follower.wait(timeout=10)
    assert_invocation_shown(seen, before, 1)
    assert_invocation_shown(seen, during, 2)
    assert len(seen) == len(set(seen)), "an event was shown twice"
