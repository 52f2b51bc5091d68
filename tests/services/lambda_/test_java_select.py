"""Which JDK runs a java* runtime, from what is installed (no server: the machine's JDKs faked)."""

from __future__ import annotations

import os
import time

import pytest

from overcast.services.lambda_.runtime import java_runtime
from overcast.services.lambda_.runtime.java_runtime import JavaUnavailable, Jdk


def jdk(major: int) -> Jdk:
    return Jdk(f"/jdk{major}/bin/java", f"/jdk{major}", major, f"{major}.0.1")


@pytest.mark.parametrize("runtime,installed,chosen,warned", [
    ("java21", [17, 21, 25], 21, False),
    ("java21", [17, 25], 25, True),   # a newer JVM reads the function's class files
    ("java21", [11, 17], 17, True),   # else the newest older one
    ("java8.al2", [8, 17], 8, False),
    ("java11", [17, 21], 17, True),
])
def test_runtime_runs_on_its_major_version_else_the_closest_newer(runtime, installed, chosen, warned):
    found, warning = java_runtime.choose(runtime, [jdk(m) for m in installed])
    assert found.major == chosen
    assert (warning is not None) == warned
    if warned:
        assert warning == (f"Overcast: {runtime} is not installed on this machine; running this function "
                           f"with Java {chosen} instead (/jdk{chosen}).")


@pytest.mark.parametrize("text,major", [("17.0.15", 17), ("1.8.0_392", 8), ("21", 21), ("25.0.3+9-LTS", 25)])
def test_major_versions(text, major):
    assert java_runtime.major_of(text) == major


def fake_java_home(root, version: str, javac: bool) -> str:
    home = root / f"jdk-{version}"
    (home / "bin").mkdir(parents=True)
    (home / "release").write_text(f'JAVA_VERSION="{version}"\n')
    for tool in ("java", "javac") if javac else ("java",):
        path = home / "bin" / tool
        path.write_text("#!/bin/sh\nexit 0\n")
        os.chmod(path, 0o755)
    return str(home / "bin" / "java")


def test_a_java_runtime_without_javac_is_named(tmp_path, monkeypatch):
    java = fake_java_home(tmp_path, "17.0.2", javac=False)
    monkeypatch.setattr(java_runtime, "candidates", lambda: [java])
    with pytest.raises(JavaUnavailable) as error:
        java_runtime.find_jdk("java17")
    assert "without javac" in str(error.value) and java in str(error.value)


def test_no_java_at_all(monkeypatch):
    monkeypatch.setattr(java_runtime, "candidates", lambda: [])
    with pytest.raises(JavaUnavailable, match="No Java installation found to run java21"):
        java_runtime.find_jdk("java21")


def test_a_jdk_is_described_from_its_release_file(tmp_path, monkeypatch):
    java = fake_java_home(tmp_path, "21.0.4", javac=True)
    monkeypatch.setattr(java_runtime, "candidates", lambda: [java])
    found, warning = java_runtime.find_jdk("java21")
    assert (found.major, found.version, warning) == (21, "21.0.4", None)
    assert found.javac == os.path.join(os.path.dirname(java), "javac")


def test_compilations_abandoned_by_a_killed_server_are_removed(tmp_path):
    """A server killed while compiling leaves its .compiling-* directory behind; the next
    compilation in that cache removes those an hour old and leaves a live one (another server's,
    just begun) alone. The finished client is renamed into place whole."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    javac = home / "bin" / "javac"
    # Stands in for javac: `javac -nowarn -encoding UTF-8 -d DIR sources...` writes the class.
    javac.write_text('#!/bin/sh\ntouch "$5/OvercastJavaRuntime.class"\n')
    os.chmod(javac, 0o755)
    (home / "bin" / "java").write_text("")
    cache = tmp_path / "cache"
    abandoned, live = cache / ".compiling-abandoned", cache / ".compiling-live"
    for directory in (abandoned, live):
        directory.mkdir(parents=True)
        (directory / "OvercastJavaRuntime.class").write_text("half")
    hours_ago = time.time() - 2 * 3600
    os.utime(abandoned, (hours_ago, hours_ago))
    ready = java_runtime.compile_client(Jdk(str(home / "bin" / "java"), str(home), 17, "17.0.99"), [str(cache)])
    assert os.path.isfile(os.path.join(ready, "OvercastJavaRuntime.class"))
    assert sorted(p.name for p in cache.iterdir()) == [".compiling-live", os.path.basename(ready)]
