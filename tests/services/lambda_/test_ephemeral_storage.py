"""A function's /tmp holds its configured ephemeral storage as a whole, not only per file.

Space is taken with posix_fallocate, so hundreds of MB cost milliseconds and no writing.
"""

from __future__ import annotations

import re
import time

from tests.services.lambda_.helpers import create_python, invoke_json


def assert_exhausted(message: str) -> None:
    # The check may land while the second file is still being allocated (posix_fallocate is
    # not instantaneous), so what it saw is anything past the 512 MB, up to the 600 MB asked for.
    found = re.search(r"Ephemeral storage exhausted: /tmp holds (\d+) MB of the function's 512 MB "
                      r"\(EphemeralStorage\); the execution environment was stopped\.", message)
    assert found and 512 <= int(found[1]) <= 600, message

SOURCE = '''
import errno, os, tempfile, time

def handler(event, context):
    tmp = tempfile.gettempdir()
    if event.get("remove"):
        os.remove(os.path.join(tmp, event["remove"]))
    outcome = {}
    for step in event.get("steps", [event]):
        for name, size_mb in step.get("files", []):
            fd = os.open(os.path.join(tmp, name), os.O_CREAT | os.O_WRONLY, 0o600)
            try:
                os.posix_fallocate(fd, 0, size_mb * 1024 * 1024)
                outcome[name] = "ok"
            except OSError as e:
                outcome[name] = errno.errorcode[e.errno]
            finally:
                os.close(fd)
        time.sleep(step.get("hold", 0))
    return {"pid": os.getpid(), "outcome": outcome}
'''

# The child is started before /tmp holds anything, so it keeps the file-size limit it was born
# with: only the usage check can stop what it writes. The handler tidies up after 1.5 s.
CHILD_WRITER = '''
import os, subprocess, sys, tempfile, time

CHILD = """
import os, sys, time
time.sleep(0.5)
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o600)
os.posix_fallocate(fd, 0, 300 * 1024 * 1024)
"""

def handler(event, context):
    tmp = tempfile.gettempdir()
    child = subprocess.Popen([sys.executable, "-c", CHILD, os.path.join(tmp, "b")])
    fd = os.open(os.path.join(tmp, "a"), os.O_CREAT | os.O_WRONLY, 0o600)
    os.posix_fallocate(fd, 0, 300 * 1024 * 1024)
    os.close(fd)
    child.wait()
    time.sleep(1.5)
    os.remove(os.path.join(tmp, "a"))
    os.remove(os.path.join(tmp, "b"))
    return "tidied up"
'''


def test_a_write_past_the_space_left_fails_in_the_function(lam):
    name = create_python(lam, SOURCE, Timeout=30, EphemeralStorage={"Size": 512})
    _, first = invoke_json(lam, name, {"files": [["a", 400]]})
    assert first["outcome"] == {"a": "ok"}

    # 400 MB are taken: 200 more do not fit, 100 still do; the environment stays warm.
    response, second = invoke_json(lam, name, {"files": [["b", 200], ["c", 100]]})
    assert "FunctionError" not in response
    assert second == {"pid": first["pid"], "outcome": {"b": "EFBIG", "c": "ok"}}

    # Freeing space makes room again (from the next invocation on: the space left is measured
    # between invocations and while one runs, not at every write).
    invoke_json(lam, name, {"remove": "a"})
    _, third = invoke_json(lam, name, {"files": [["b", 200]]})
    assert third == {"pid": first["pid"], "outcome": {"b": "ok"}}


def test_the_space_left_follows_writes_while_the_invocation_runs(lam):
    name = create_python(lam, SOURCE, Timeout=30, EphemeralStorage={"Size": 512})
    # 300 MB, then a pause in which the running invocation's /tmp is measured: 300 MB more no
    # longer fit, though no invocation ended in between.
    _, body = invoke_json(lam, name, {"steps": [{"files": [["a", 300]], "hold": 1.0}, {"files": [["b", 300]]}]})
    assert body["outcome"] == {"a": "ok", "b": "EFBIG"}


def test_filling_tmp_through_several_files_stops_the_environment(lam):
    name = create_python(lam, SOURCE, Timeout=30, EphemeralStorage={"Size": 512})
    # Each file fits in the space left when the invocation began; together they do not.
    response, body = invoke_json(lam, name, {"files": [["a", 300], ["b", 300]]})
    if "FunctionError" not in response:
        # A busy machine let a check run between the two writes: the second was refused instead.
        assert body["outcome"] == {"a": "ok", "b": "EFBIG"}
        return
    assert body["errorType"] == "Runtime.ExitError"
    assert_exhausted(body["errorMessage"])

    # A new environment, with an empty /tmp of the full size.
    response, again = invoke_json(lam, name, {"files": [["a", 500]]})
    assert "FunctionError" not in response
    assert again["outcome"] == {"a": "ok"}


def test_overfilling_tmp_is_seen_while_the_invocation_runs(lam):
    name = create_python(lam, CHILD_WRITER, Timeout=30, EphemeralStorage={"Size": 512})
    # /tmp holds 600 MB for 1.5 s and is then tidied up: only a check during the invocation sees it.
    response, body = invoke_json(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert_exhausted(body["errorMessage"])


def test_a_larger_ephemeral_storage_holds_more(lam):
    name = create_python(lam, SOURCE, Timeout=30, EphemeralStorage={"Size": 1024})
    response, body = invoke_json(lam, name, {"files": [["a", 300], ["b", 300], ["c", 300]]})
    assert "FunctionError" not in response
    assert body["outcome"] == {"a": "ok", "b": "ok", "c": "ok"}
    _, more = invoke_json(lam, name, {"files": [["d", 200]]})
    assert more == {"pid": body["pid"], "outcome": {"d": "EFBIG"}}


def test_tmp_is_still_checked_after_invocations_that_left_it_empty(lam):
    """After invocations that never touch /tmp (its check is then one look at the directory), an
    invocation that fills it through several files is stopped all the same."""
    name = create_python(lam, SOURCE, Timeout=30, EphemeralStorage={"Size": 512})
    invoke_json(lam, name, {})
    for _ in range(3):
        time.sleep(0.1)  # /tmp's timestamp is then old enough to be trusted
        response, body = invoke_json(lam, name, {})
        assert "FunctionError" not in response
    pid = body["pid"]
    response, body = invoke_json(lam, name, {"files": [["a", 300], ["b", 300]]})
    if "FunctionError" not in response:
        assert body["outcome"] == {"a": "ok", "b": "EFBIG"} and body["pid"] == pid
        return
    assert body["errorType"] == "Runtime.ExitError"
    assert_exhausted(body["errorMessage"])
