"""Layers at a literal /opt: each environment gets its own mount namespace showing its layers
merged in order (later layers win), an empty /opt without layers, and the server's /opt never."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from overcast.services.lambda_.runtime import opt_mount
from overcast.services.lambda_.runtime.launcher import OPT_MOUNT_SCRIPT
from tests.services.lambda_.helpers import ROLE, create_python, invoke_json, unique, zip_of


def _probe() -> str:
    empty = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"opt-probe-{os.getpid()}")
    os.makedirs(empty, exist_ok=True)
    out = subprocess.run([sys.executable, OPT_MOUNT_SCRIPT, empty], capture_output=True, text=True)
    return out.stdout.strip()


MOUNTABLE = _probe() == "ok"
needs_mount = pytest.mark.skipif(not MOUNTABLE, reason="this machine allows no user/mount namespaces")

TOOL = "#!/bin/sh\necho \"tool says $1\"\n"

READ_OPT = """
import json, os, subprocess, sys
def handler(event, context):
    found = {"listing": sorted(os.listdir("/opt")) if os.path.isdir("/opt") else None}
    if os.path.exists("/opt/config.json"):
        with open("/opt/config.json") as f:
            found["config"] = json.load(f)
    if os.path.exists("/opt/bin/tool"):
        found["direct"] = subprocess.run(["/opt/bin/tool", "x"], capture_output=True, text=True).stdout
        found["on_path"] = subprocess.run(["tool", "y"], capture_output=True, text=True).stdout
    try:  # without creating anything, should /opt ever be the machine's own
        os.close(os.open("/opt/config.json", os.O_WRONLY))
        found["writable"] = True
    except OSError:
        found["writable"] = False
    found["sys_path"] = [p for p in sys.path if p.startswith("/opt")]
    found["env"] = {k: os.environ.get(k, "") for k in ("PATH", "LD_LIBRARY_PATH")}
    return found
"""


def _layer(lam, files: dict[str, str], executable: tuple[str, ...] = ()) -> str:
    published = lam.publish_layer_version(LayerName=unique("layer"), Content={"ZipFile": zip_of(files, executable)})
    return published["LayerVersionArn"]


@needs_mount
def test_python_function_reads_opt_files_and_runs_opt_bin(lam):
    layer = _layer(lam, {"config.json": json.dumps({"greeting": "from the layer"}), "bin/tool": TOOL,
                         "python/helper_mod.py": "VALUE = 7\n"}, executable=("bin/tool",))
    name = create_python(lam, READ_OPT + "\nimport helper_mod\n", Layers=[layer])
    response, found = invoke_json(lam, name)
    assert "FunctionError" not in response, found
    assert found["config"] == {"greeting": "from the layer"}
    assert found["direct"] == "tool says x\n"
    assert found["on_path"] == "tool says y\n"
    assert found["listing"] == ["bin", "config.json", "python"]
    assert found["writable"] is False  # /opt is read-only on Lambda too
    assert "/opt/python" in found["sys_path"]
    assert "/opt/bin" in found["env"]["PATH"].split(":")
    assert "/opt/lib" in found["env"]["LD_LIBRARY_PATH"].split(":")


@needs_mount
def test_later_layer_overrides_earlier_one(lam):
    first = _layer(lam, {"config.json": json.dumps({"from": "first"}), "first-only.txt": "1"})
    second = _layer(lam, {"config.json": json.dumps({"from": "second"}), "second-only.txt": "2"})
    name = create_python(lam, READ_OPT, Layers=[first, second])
    found = invoke_json(lam, name)[1]
    assert found["config"] == {"from": "second"}
    assert found["listing"] == ["config.json", "first-only.txt", "second-only.txt"]
    # The order is the function's: swapped, the first layer wins.
    lam.update_function_configuration(FunctionName=name, Layers=[second, first])
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke_json(lam, name)[1]["config"] == {"from": "first"}


@needs_mount
def test_function_without_layers_sees_an_empty_opt(lam):
    name = create_python(lam, READ_OPT)
    found = invoke_json(lam, name)[1]
    assert found["listing"] == []
    assert "config" not in found


@needs_mount
def test_the_server_keeps_its_own_mount_namespace(server, lam):
    name = create_python(lam, READ_OPT, Layers=[_layer(lam, {"config.json": "{}"})])
    invoke_json(lam, name)
    # The server (and so every environment forked later) still has the namespace it started in.
    server_ns = os.readlink(f"/proc/{server.proc.pid}/ns/mnt")
    assert server_ns == os.readlink("/proc/self/ns/mnt")


@needs_mount
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_function_reads_opt(lam):
    layer = _layer(lam, {"config.json": json.dumps({"n": 1}), "nodejs/node_modules/helper/index.js":
                         "module.exports = {word: 'from node layer'};\n"})
    source = ("const fs = require('fs');\nexports.handler = async () => ({config: JSON.parse("
              "fs.readFileSync('/opt/config.json', 'utf8')), word: require('helper').word});\n")
    name = unique("node")
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": zip_of({"index.js": source})}, Layers=[layer])
    response, found = invoke_json(lam, name)
    assert "FunctionError" not in response, found
    assert found == {"config": {"n": 1}, "word": "from node layer"}
    bare = unique("node")
    lam.create_function(FunctionName=bare, Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
                        Code={"ZipFile": zip_of({"index.js": "exports.handler = async () => "
                                                 "require('fs').readdirSync('/opt');\n"})})
    assert invoke_json(lam, bare)[1] == []


@needs_mount
def test_provided_runtime_bootstrap_from_a_layer_reads_opt(lam):
    bootstrap = (
        "#!/bin/sh\n"
        "api=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation\"\n"
        "while true; do\n"
        "  headers=$(mktemp)\n"
        "  curl -sS -D \"$headers\" -o /dev/null \"$api/next\" || exit 1\n"
        "  rid=$(grep -i '^lambda-runtime-aws-request-id:' \"$headers\" | tr -d '\\r' | awk '{print $2}')\n"
        "  curl -sS -X POST -d \"$(cat /opt/config.json)\" \"$api/$rid/response\" >/dev/null\n"
        "done\n")
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    layer = _layer(lam, {"bootstrap": bootstrap, "config.json": json.dumps({"custom": True})},
                   executable=("bootstrap",))
    name = unique("prov")
    lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x",
                        Code={"ZipFile": zip_of({"readme.txt": "code"})}, Layers=[layer])
    response, found = invoke_json(lam, name)
    assert "FunctionError" not in response, found
    assert found == {"custom": True}


def test_enter_reports_why_when_opt_cannot_be_mounted(tmp_path):
    # In a child process, as environments do: a missing mount point is refused with a reason.
    source = tmp_path / "layers"
    source.mkdir()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        reason = opt_mount.enter(str(source), str(tmp_path / "missing-opt"))
        os.write(write_end, (reason or "").encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as f:
        assert "does not exist" in f.read()


def test_fallback_finds_layers_through_paths_and_warns_once_per_function(tmp_path):
    """Where /opt cannot be mounted, the layers stay importable and runnable from where they were
    unpacked, and the function's log says once why /opt/<file> will not work."""
    import asyncio
    import dataclasses

    from overcast.services.lambda_.runtime.launcher import Launcher
    from overcast.services.lambda_.runtime.pool import ExecutionPool
    from tests.services.lambda_.test_runtime_unit import ListSink, invocation, make_spec, write_code

    layer = tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "helper_mod.py").write_text("VALUE = 'imported'\n")
    (layer / "bin").mkdir()
    (layer / "bin" / "tool").write_text(TOOL)
    (layer / "bin" / "tool").chmod(0o755)
    code = write_code(tmp_path, {"lambda_function.py": (
        "import os, subprocess, helper_mod\n"
        "def handler(event, context):\n"
        "    return {'value': helper_mod.VALUE, 'tool': subprocess.run(['tool', 'z'], capture_output=True,"
        " text=True).stdout, 'opt_config': os.path.exists('/opt/config.json')}\n")})
    sink = ListSink()
    work = str(tmp_path / "work")

    async def main():
        # A mount point that does not exist makes the probe fail, as a kernel without user
        # namespaces would.
        launcher = Launcher(work, opt_target=str(tmp_path / "no-opt-here"))
        pool = ExecutionPool(launcher, sink, work)
        try:
            spec = dataclasses.replace(make_spec(code), layer_dirs=(str(layer),))
            first = await pool.invoke(spec, invocation())
            second = await pool.invoke(dataclasses.replace(spec, revision="r2"), invocation())  # a second cold start
            return first, second, await launcher.opt_mount_error()
        finally:
            pool.stop()
            await pool.launcher.wait_closed()

    first, second, reason = asyncio.run(main())
    assert "does not exist" in reason
    for result in (first, second):
        assert json.loads(result.payload) == {"value": "imported", "tool": "tool says z\n", "opt_config": False}
    warnings = [message for _, message in sink.events if "cannot be mounted at /opt" in message]
    assert len(warnings) == 1 and reason in warnings[0]


def test_merge_applies_layers_in_order_like_unzipping_them_into_one_directory(tmp_path):
    from overcast.services.lambda_.runtime.layer_merge import merge_layers

    first, second = tmp_path / "first", tmp_path / "second"
    (first / "lib").mkdir(parents=True)
    (first / "lib" / "libx.so.1").write_text("one")
    (first / "lib" / "libx.so").symlink_to("libx.so.1")
    (first / "thing").write_text("a file first")
    (second / "thing").mkdir(parents=True)  # a later layer may put a directory where a file was
    (second / "thing" / "inside").write_text("then a directory")
    (second / "lib").mkdir()
    (second / "lib" / "libx.so.1").write_text("two")
    merged = merge_layers(str(tmp_path / "merged"), [str(first), str(second)])
    assert (tmp_path / "merged").is_dir() and os.path.dirname(merged) == str(tmp_path / "merged")
    assert open(os.path.join(merged, "lib", "libx.so")).read() == "two"  # the link follows the override
    assert os.readlink(os.path.join(merged, "lib", "libx.so")) == "libx.so.1"
    assert open(os.path.join(merged, "thing", "inside")).read() == "then a directory"
    # The layers themselves are untouched, and the same list gives the same directory.
    assert (first / "thing").read_text() == "a file first" and (first / "lib" / "libx.so.1").read_text() == "one"
    assert merge_layers(str(tmp_path / "merged"), [str(first), str(second)]) == merged
    assert merge_layers(str(tmp_path / "merged"), [str(second), str(first)]) != merged
