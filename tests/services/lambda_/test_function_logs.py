"""Function output reaches CloudWatch Logs in /aws/lambda/<name>, one stream per environment."""

from __future__ import annotations

import re
import threading
import time

from tests.conftest import make_client
from tests.services.lambda_.helpers import create_python, invoke_json, wait_for
from tests.support.raw_http import move_clock


def group_events(logs, group: str, **params) -> list | None:
    """The group's events, or None while it does not exist yet (lines are shipped off the invoke path)."""
    try:
        return logs.filter_log_events(logGroupName=group, **params)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return None


def test_invocation_lines_in_log_group(lam, logs):
    name = create_python(lam, "def handler(e, c):\n    print('from the function', e['n'])\n    return 1\n")
    invoke_json(lam, name, {"n": 1})
    invoke_json(lam, name, {"n": 2})
    group = f"/aws/lambda/{name}"

    def messages():
        events = group_events(logs, group)
        if events is None:
            return None
        found = [e["message"] for e in events]
        return found if sum(m.startswith("REPORT") for m in found) == 2 else None

    lines = wait_for(messages)
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", streams[0]["logStreamName"])
    assert lines[0].startswith("INIT_START")
    assert [m for m in lines if m.startswith("from the function")] == ["from the function 1",
                                                                      "from the function 2"]
    starts = [m for m in lines if m.startswith("START RequestId:")]
    ends = [m for m in lines if m.startswith("END RequestId:")]
    reports = [m for m in lines if m.startswith("REPORT RequestId:")]
    assert len(starts) == len(ends) == len(reports) == 2
    assert "Init Duration" in reports[0] and "Init Duration" not in reports[1]
    assert re.search(r"Duration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
                     r"Max Memory Used: \d+ MB\t", reports[1])


def test_lines_are_stamped_on_overcasts_clock(fresh_server):
    # After /_overcast/clock moves time on, a function's lines carry Overcast's time, as every
    # other time-driven feature reads it (log retention, FilterLogEvents windows).
    lam = make_client("lambda", fresh_server.endpoint_url)
    logs = make_client("logs", fresh_server.endpoint_url)
    ten_days = 10 * 86400
    move_clock(fresh_server.endpoint_url, {"advance": ten_days})
    name = create_python(lam, "def handler(e, c):\n    print('stamped')\n    return 1\n")
    before_ms = int((time.time() + ten_days) * 1000)
    invoke_json(lam, name, {})
    group = f"/aws/lambda/{name}"

    def stamped():
        events = group_events(logs, group, startTime=before_ms - 60_000) or []
        return [e for e in events if e["message"].startswith("stamped")] or None

    event = wait_for(stamped)[0]
    assert before_ms - 1000 <= event["timestamp"] <= int((time.time() + ten_days) * 1000) + 1000
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    assert stream.startswith(time.strftime("%Y/%m/%d/", time.gmtime(before_ms / 1000)))


def test_no_line_is_lost_when_the_clock_goes_back_mid_invocation(fresh_server):
    # Lines before the reset carry tomorrow's time, lines after it today's: a batch holding both
    # is sent in time order (PutLogEvents refuses one that is not), so none is dropped.
    lam = make_client("lambda", fresh_server.endpoint_url)
    logs = make_client("logs", fresh_server.endpoint_url)
    move_clock(fresh_server.endpoint_url, {"advance": 86400})
    source = ("import time\ndef handler(e, c):\n    for i in range(60):\n        print('line', i, flush=True)\n"
              "        time.sleep(0.02)\n    return 1\n")
    name = create_python(lam, source, Timeout=10)
    timer = threading.Timer(0.6, move_clock, (fresh_server.endpoint_url, {"reset": True}))
    timer.start()
    try:
        invoke_json(lam, name, {})
    finally:
        timer.join()
    group = f"/aws/lambda/{name}"

    def lines():
        events = group_events(logs, group)
        if events is None:
            return None
        found = sorted(int(e["message"].split()[1]) for e in events if e["message"].startswith("line "))
        return found if any(e["message"].startswith("REPORT") for e in events) else None

    assert wait_for(lines) == list(range(60))
