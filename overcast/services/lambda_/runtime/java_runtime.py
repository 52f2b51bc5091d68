"""Java runtimes: which JDK runs a java* function, our runtime client compiled for it, the JVM's flags.

Overcast's Java runtime client is a few source files (java/OvercastJavaRuntime*.java) using only
the JDK. Each JDK compiles them once, with its own javac, into a per-user cache keyed by the
sources' hash and the JDK's version ($XDG_CACHE_HOME/overcast/java-runtime, else ~/.cache/...),
taking about 1.2 s once. A cold start then costs one JVM start (a JVM that loads the client and
exits takes 0.05 s and 35 MB here; a function's whole init, 0.15-0.25 s), where running the
source directly (`java File.java`) would add the compiler's start to every cold start (0.6-0.8 s
and 100 MB, most of a 128 MB function).

A runtime runs on the JDK of its major version when one is installed (java21 on JDK 21);
otherwise on the closest newer one (a newer JVM reads older class files), else the newest older
one, with one warning in the server log and one in the function's log stream.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass

from overcast.services.lambda_.runtime.processes import HERE, minimal_process_env

log = logging.getLogger("overcast.lambda")

CLIENT_SOURCES = tuple(sorted(glob.glob(os.path.join(HERE, "java", "*.java"))))
CLIENT_CLASS = "OvercastJavaRuntime"
_VERSION = re.compile(r'version "([^"]+)"')


class JavaUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Jdk:
    java: str  # the java program, its real path
    home: str
    major: int
    version: str  # the full version, part of the client's cache key

    @property
    def javac(self) -> str | None:
        for candidate in (os.path.join(os.path.dirname(self.java), "javac"), os.path.join(self.home, "bin", "javac")):
            if os.access(candidate, os.X_OK):
                return candidate
        return None


def runtime_major(runtime: str) -> int:
    """8 for java8.al2, 21 for java21."""
    match = re.match(r"java(\d+)", runtime)
    return int(match.group(1)) if match else 0


def major_of(version: str) -> int:
    """17 for "17.0.15", 8 for "1.8.0_392"."""
    parts = re.split(r"[._+-]", version)
    try:
        first = int(parts[0])
        return int(parts[1]) if first == 1 and len(parts) > 1 else first
    except ValueError:
        return 0


def _release_version(home: str) -> str | None:
    try:
        with open(os.path.join(home, "release"), encoding="utf-8", errors="replace") as f:
            fields = dict(line.strip().split("=", 1) for line in f if "=" in line)
    except OSError:
        return None
    version = (fields.get("JAVA_RUNTIME_VERSION") or fields.get("JAVA_VERSION") or "").strip('"')
    return version or None


def describe(java: str) -> Jdk | None:
    """The JDK a java program belongs to, from its home's `release` file (else `java -version`)."""
    real = os.path.realpath(java)
    if not os.access(real, os.X_OK):
        return None
    bin_dir = os.path.dirname(real)
    homes = [os.path.dirname(bin_dir)]
    if os.path.basename(homes[0]) == "jre":  # a Java 8 JDK's jre/bin/java
        homes.insert(0, os.path.dirname(homes[0]))
    for home in homes:
        version = _release_version(home)
        if version:
            return Jdk(real, home, major_of(version), version)
    try:
        out = subprocess.run([real, "-version"], capture_output=True, text=True, timeout=20,
                             env=minimal_process_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(out.stderr + out.stdout)
    if not match:
        return None
    return Jdk(real, homes[-1], major_of(match.group(1)), match.group(1))


def candidates() -> list[str]:
    """java programs on this machine: JAVA_HOME's first, then PATH's, then /usr/lib/jvm's."""
    found = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        found.append(os.path.join(java_home, "bin", "java"))
    which = shutil.which("java")
    if which:
        found.append(which)
    for pattern in ("/usr/lib/jvm/*/bin/java", "/usr/local/lib/jvm/*/bin/java", "/opt/java/*/bin/java",
                    os.path.expanduser("~/.sdkman/candidates/java/*/bin/java"),
                    os.path.expanduser("~/.jdks/*/bin/java")):
        found.extend(sorted(glob.glob(pattern)))
    return found


def choose(runtime: str, jdks: list[Jdk]) -> tuple[Jdk, str | None]:
    """The JDK for a runtime and the warning when its major version is not the runtime's."""
    wanted = runtime_major(runtime)
    for jdk in jdks:
        if jdk.major == wanted:
            return jdk, None
    newer = sorted((j for j in jdks if j.major > wanted), key=lambda j: j.major)
    older = sorted((j for j in jdks if j.major < wanted), key=lambda j: -j.major)
    jdk = (newer or older)[0]
    warning = (f"Overcast: {runtime} is not installed on this machine; running this function with "
               f"Java {jdk.major} instead ({jdk.home}).")
    return jdk, warning


def find_jdk(runtime: str) -> tuple[Jdk, str | None]:
    seen: set[str] = set()
    usable: list[Jdk] = []
    without_javac: list[Jdk] = []
    for java in candidates():
        real = os.path.realpath(java)
        if real in seen:
            continue
        seen.add(real)
        jdk = describe(real)
        if jdk is None:
            continue
        (usable if jdk.javac else without_javac).append(jdk)
    if not usable:
        if without_javac:
            raise JavaUnavailable(
                f"Overcast runs {runtime} functions with its own runtime client, compiled once by a JDK's javac, "
                f"and found only a Java runtime without javac ({without_javac[0].java}); install a JDK "
                f"(e.g. openjdk-17-jdk-headless) or point JAVA_HOME at one.")
        raise JavaUnavailable(f"No Java installation found to run {runtime} (looked at JAVA_HOME, PATH and "
                              f"/usr/lib/jvm); install a JDK (e.g. openjdk-21-jdk-headless).")
    jdk, warning = choose(runtime, usable)
    if warning:
        log.warning(warning)
    return jdk, warning


def default_cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "overcast", "java-runtime")


def client_key(jdk: Jdk) -> str:
    digest_of = hashlib.sha256()
    for source in CLIENT_SOURCES:
        with open(source, "rb") as f:
            digest_of.update(os.path.basename(source).encode() + b"\0" + f.read() + b"\0")
    digest = digest_of.hexdigest()[:16]
    return f"{digest}-{re.sub(r'[^A-Za-z0-9._+-]', '_', jdk.version)}"


WORK_PREFIX = ".compiling-"
# A compilation's directory untouched for this long was abandoned (its server killed mid-compile,
# by kill -9 or a power cut): javac is given 300 s, so no live compilation is that old.
ABANDONED_AFTER_S = 3600


def _remove_abandoned(root: str) -> None:
    """Drop the half-written compilations that servers killed while compiling left behind."""
    try:
        names = os.listdir(root)
    except OSError:
        return
    now = time.time()
    for name in names:
        if not name.startswith(WORK_PREFIX):
            continue
        path = os.path.join(root, name)
        try:
            if now - os.lstat(path).st_mtime > ABANDONED_AFTER_S:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def compile_client(jdk: Jdk, cache_roots: list[str]) -> str:
    """The directory holding the runtime client's classes for this JDK, compiled on first use.
    Written to a temporary directory and renamed into place, so servers sharing the cache never
    see half a compilation."""
    key = client_key(jdk)
    for root in cache_roots:
        ready = os.path.join(root, key)
        if os.path.isfile(os.path.join(ready, CLIENT_CLASS + ".class")):
            return ready
    javac = jdk.javac
    if javac is None:
        raise JavaUnavailable(f"{jdk.home} has no javac to compile Overcast's Java runtime client; install a JDK.")
    last_error: OSError | None = None
    for root in cache_roots:
        try:
            os.makedirs(root, exist_ok=True)
            _remove_abandoned(root)
            work = tempfile.mkdtemp(prefix=WORK_PREFIX, dir=root)
        except OSError as e:
            last_error = e
            continue
        try:
            out = subprocess.run([javac, "-nowarn", "-encoding", "UTF-8", "-d", work, *CLIENT_SOURCES],
                                 capture_output=True, text=True, timeout=300, env=minimal_process_env())
            if out.returncode != 0:
                raise JavaUnavailable(f"{javac} could not compile Overcast's Java runtime client: "
                                      f"{(out.stderr or out.stdout).strip()[-2000:]}")
            ready = os.path.join(root, key)
            try:
                os.rename(work, ready)
            except OSError:
                if not os.path.isfile(os.path.join(ready, CLIENT_CLASS + ".class")):
                    raise
            return ready
        except subprocess.TimeoutExpired as e:
            raise JavaUnavailable(f"{javac} took too long to compile Overcast's Java runtime client") from e
        finally:
            shutil.rmtree(work, ignore_errors=True)
    raise JavaUnavailable(f"Overcast could not write its compiled Java runtime client: {last_error}")


def jvm_argv(runtime: str, jdk: Jdk, classes: str, env: dict[str, str], layer_roots: list[str]) -> list[str]:
    """The JVM started as AWS's Java runtimes start it: the heap at 85% of the function's memory,
    the serial collector, and for java17 and later tiered compilation stopped at level 1 (C1), which
    AWS's Java customization guide gives as those runtimes' default. JAVA_TOOL_OPTIONS, when the
    function sets it, reaches the JVM through the environment, as on AWS. java.io.tmpdir is the
    environment's own /tmp, and so is user.home (HOME, as for every runtime here; the JVM would
    take the server user's home from the password file).

    Nothing is written outside the environment: no perf data in the machine's /tmp
    (-XX:-UsePerfData; HotSpot writes /tmp/hsperfdata_<user>/<pid> whatever TMPDIR says), and a
    JVM crash's report goes to stderr, the function's log, as AWS's -XX:+ErrorFileToStderr sends
    it (by default it is written to the working directory: the function's shared code)."""
    try:
        memory_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 128)
    except ValueError:
        memory_mb = 128
    flags = [f"-XX:MaxHeapSize={round(memory_mb * 1024 * 0.85)}k", "-XX:+UseSerialGC", "-Xshare:auto",
             "-Djava.net.preferIPv4Stack=true"]
    if runtime_major(runtime) >= 17:
        flags += ["-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1"]
    flags.append("-XX:-UsePerfData")
    if jdk.major >= 9:
        flags.append("-XX:+ErrorFileToStderr")
    elif env.get("TMPDIR"):  # Java 8 has no ErrorFileToStderr: the environment's /tmp then
        flags.append(f"-XX:ErrorFile={env['TMPDIR']}/hs_err_pid%p.log")
    if env.get("TMPDIR"):
        flags.append(f"-Djava.io.tmpdir={env['TMPDIR']}")
    if env.get("HOME"):
        flags.append(f"-Duser.home={env['HOME']}")
    return [jdk.java, *flags, "-cp", classes, CLIENT_CLASS, *layer_roots]
