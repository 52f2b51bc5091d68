"""Insights over a real function's log group: the fields discovered in Lambda's START, END and
REPORT lines (the "Supported logs and discovered fields" page), and the page's memory query."""

from __future__ import annotations

import re

import pytest

from tests.services.lambda_.helpers import create_python, invoke_json, wait_for
from tests.services.logs.insights_support import rows, run_query

# The sample query of the Lambda section of the query examples page (its spelling kept).
MEMORY_QUERY = """filter @type = "REPORT"
| stats max(@memorySize / 1000 / 1000) as provisonedMemoryMB,
    min(@maxMemoryUsed / 1000 / 1000) as smallestMemoryRequestMB,
    avg(@maxMemoryUsed / 1000 / 1000) as avgMemoryUsedMB,
    max(@maxMemoryUsed / 1000 / 1000) as maxMemoryUsedMB,
    provisonedMemoryMB - maxMemoryUsedMB as overProvisionedMB"""


@pytest.fixture(scope="module")
def logs(client_factory):
    return client_factory("logs")


@pytest.fixture(scope="module")
def lam(client_factory):
    return client_factory("lambda")


@pytest.fixture(scope="module")
def function_reports(lam, logs):
    """A 256 MB function invoked three times, and its REPORT lines as shipped."""
    name = create_python(lam, "import json\n\ndef handler(e, c):\n"
                              "    print('working on ' + json.dumps({'n': e['n'], 'job': {'kind': 'demo'}}))\n"
                              "    return e['n']\n", MemorySize=256)
    for n in range(3):
        invoke_json(lam, name, {"n": n})
    group = f"/aws/lambda/{name}"

    def reports():
        try:
            events = logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return None
        return [e["message"] for e in events] if len(events) == 3 else None

    return group, wait_for(reports)


def test_report_fields(logs, function_reports):
    group, lines = function_reports
    found = rows(run_query(logs, "filter @type = 'REPORT' | fields @requestId, @duration, @billedDuration, "
                                 "@memorySize, @maxMemoryUsed, @initDuration | sort @timestamp asc", group))
    assert len(found) == 3
    for row, line in zip(found, lines, strict=True):  # both oldest first
        assert row["@requestId"] == re.search(r"RequestId: (\S+)", line).group(1)
        assert float(row["@duration"]) == float(re.search(r"\tDuration: ([\d.]+) ms", line).group(1))
        assert row["@billedDuration"] == re.search(r"Billed Duration: (\d+) ms", line).group(1)
        assert row["@memorySize"] == "256000000"
        assert row["@maxMemoryUsed"] == str(int(re.search(r"Max Memory Used: (\d+) MB", line).group(1)) * 1000000)
    # Only the cold start's REPORT has an init duration.
    assert "@initDuration" in found[0] and "@initDuration" not in found[1]


def test_types_and_request_ids(logs, function_reports):
    group, _ = function_reports
    found = rows(run_query(logs, "filter ispresent(@type) | stats count(*) as lines, count_distinct(@requestId) "
                                 "as requests by @type | sort @type", group))
    assert found == [{"@type": "END", "lines": "3", "requests": "3"},
                     {"@type": "REPORT", "lines": "3", "requests": "3"},
                     {"@type": "START", "lines": "3", "requests": "3"}]


def test_embedded_json_fragment(logs, function_reports):
    # In Lambda logs the first JSON fragment of a line is discovered ("Lambda logs" row of the
    # discovered-fields page), here after "working on ".
    group, _ = function_reports
    found = rows(run_query(logs, "filter job.kind = 'demo' | stats count(*) as lines, sum(n) as total", group))
    assert found == [{"lines": "3", "total": "3"}]


def test_memory_query(logs, function_reports):
    group, lines = function_reports
    used = [int(re.search(r"Max Memory Used: (\d+) MB", line).group(1)) for line in lines]
    [row] = rows(run_query(logs, MEMORY_QUERY, group))
    assert row["provisonedMemoryMB"] == "256"
    assert row["smallestMemoryRequestMB"] == str(min(used))
    assert float(row["avgMemoryUsedMB"]) == pytest.approx(sum(used) / len(used))
    assert row["maxMemoryUsedMB"] == str(max(used))
    assert row["overProvisionedMB"] == str(256 - max(used))
