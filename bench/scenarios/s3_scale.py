"""S3 at scale: list pages over a big bucket, the static website endpoint, a 1 GiB multipart upload.

The claim tested by the list pages is that a page's cost does not grow with the bucket's size:
pages of 1,000 keys are timed at the start, the middle and the end of the key space (StartAfter),
sent as raw pre-signed requests on one keep-alive connection and read to the last byte.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.capture import ACCESS_KEY, REGION, SECRET_KEY, Signer, make_client
from bench.loadgen import run_load
from bench.procstats import PeakRssSampler, tree_cpu_seconds, tree_rss_bytes
from bench.scenarios import Row, Scenario, ScenarioContext, metric, p50_ms
from bench.scenarios.fastsign import EmptyPutSigner
from bench.scenarios.populate import populate
from bench.scenarios.rawhttp import RawConnection
from bench.servers import HOST

LIST_BUCKET = "bench-list"
SITE_BUCKET = "bench-site"
MPU_BUCKET = "bench-mpu"
PAGE = 1000
SITE_MARKER = b"bench-website-page"
SITE_PAGE = b"<!doctype html><html><body><h1>" + SITE_MARKER + b"</h1>" + b"<p>lorem ipsum</p>" * 50 + b"</body></html>"
SITE_PAGE_KEY = "index.html"
MIB = 1024 * 1024


def list_key(n: int) -> str:
    return f"k/{n:08d}"  # zero-padded: lexicographic order is numeric order, so StartAfter finds a position


def count_keys(body: bytes) -> int:
    return body.count(b"<Key>")


def _ensure_bucket(client: object, bucket: str) -> None:
    try:
        client.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - already there is fine, anything else shows in the next call
        if "BucketAlreadyOwnedByYou" not in str(error):
            raise


def _list_page(after: str | None, client: Any) -> Any:
    return client.list_objects_v2(Bucket=LIST_BUCKET, MaxKeys=PAGE, **({"StartAfter": after} if after else {}))


def _list_pages(ctx: ScenarioContext) -> list[Row]:
    client = make_client("s3", ctx.endpoint)
    _ensure_bucket(client, LIST_BUCKET)
    signer = EmptyPutSigner(f"{HOST}:{ctx.port}")
    filled = populate(ctx.port, lambda first, count: [signer.put(LIST_BUCKET, list_key(n))
                                                      for n in range(first, first + count)],
                      units_per_request=1, max_units=ctx.populate_max, seconds=ctx.populate_seconds,
                      connections=ctx.connections, chunk_requests=10_000)
    size = filled.units
    if size < 3 * PAGE:
        raise RuntimeError(f"only {size} keys written in {filled.seconds:.0f} s; first error: {filled.first_error}")
    lister = Signer("s3", ctx.endpoint)
    positions = {"start": None, "middle": list_key(size // 2), "end": list_key(size - PAGE - 1)}
    requests = {where: lister.sign(functools.partial(_list_page, after)) for where, after in positions.items()}
    connection = RawConnection(ctx.port)
    samples: dict[str, list[float]] = {where: [] for where in positions}
    keys_seen: dict[str, int] = {}
    rounds = 15 if ctx.quick else 50
    stop_at = time.monotonic() + (20 if ctx.quick else 90)
    for r in range(rounds + 2):  # the first two rounds warm up, not counted
        if time.monotonic() > stop_at:
            break
        for where, request in requests.items():  # positions interleaved: the same drift for each
            response, elapsed = connection.exchange(request)
            if response.status != 200:
                raise AssertionError(f"ListObjectsV2 HTTP {response.status}: {response.body[:200]!r}")
            keys_seen[where] = count_keys(response.body)
            if r >= 2:
                samples[where].append(elapsed)
    connection.close()
    fill_note = (f"bucket of {size:,} keys filled at {filled.per_second:,.0f} keys/s in {filled.seconds:.0f} s"
                 + (f"; {filled.requests_failed} PUTs failed" if filled.requests_failed else ""))
    rows = [metric(LIST, ctx, "bucket size reached (keys)", float(size), "keys", "higher", fill_note)]
    for where in positions:
        rows.append(metric(LIST, ctx, f"p50 page of 1,000 keys at the {where}", p50_ms(samples[where]), "ms", "lower",
                           f"{len(samples[where])} pages of {keys_seen.get(where, 0)} keys, raw pre-signed GET"))
    return rows


def website_host(target: str, port: int) -> str:
    # Overcast: <bucket>.s3-website.localhost; MiniStack: <bucket>.s3-website.<region>.<base host> (its app.py).
    # MiniStack stores the website configuration but answers this host form with its REST API (GET / lists the
    # bucket), so the page is asked for by name: the same request for every server.
    if target == "ministack":
        return f"{SITE_BUCKET}.s3-website.{REGION}.localhost:{port}"
    return f"{SITE_BUCKET}.s3-website.localhost:{port}"


def _website(ctx: ScenarioContext) -> list[Row]:
    client = make_client("s3", ctx.endpoint)
    _ensure_bucket(client, SITE_BUCKET)
    try:  # public website content: allow a public policy where the server enforces Block Public Access
        client.delete_public_access_block(Bucket=SITE_BUCKET)
    except Exception:  # noqa: BLE001, S110 - servers without the operation need nothing removed
        pass
    client.put_bucket_policy(Bucket=SITE_BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{SITE_BUCKET}/*"}]}))
    client.put_object(Bucket=SITE_BUCKET, Key=SITE_PAGE_KEY, Body=SITE_PAGE, ContentType="text/html")
    client.put_bucket_website(Bucket=SITE_BUCKET, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    request = f"GET /{SITE_PAGE_KEY} HTTP/1.1\r\nHost: {website_host(ctx.target, ctx.port)}\r\n\r\n".encode()
    connection = RawConnection(ctx.port)
    response, _ = connection.exchange(request)
    connection.close()
    if response.status != 200 or SITE_MARKER not in response.body:
        raise AssertionError(f"website GET /{SITE_PAGE_KEY} answered HTTP {response.status}, not the index page: "
                             f"{response.body[:150]!r}")
    run_load(HOST, ctx.port, [request], connections=ctx.connections, duration=0.3)
    cpu_before = tree_cpu_seconds(ctx.pid)
    result = run_load(HOST, ctx.port, [request], connections=ctx.connections, duration=ctx.duration,
                      min_body=len(SITE_PAGE))
    cpu = tree_cpu_seconds(ctx.pid) - cpu_before
    latencies = sorted(result.latencies_ns)
    note = f"server-bound, {ctx.connections} conns, GET /{SITE_PAGE_KEY} ({len(SITE_PAGE)} bytes)"
    if result.errors:
        note += f"; {result.errors} errors, first: {result.first_error}"
    return [
        metric(WEBSITE, ctx, "requests/s", result.completed / result.elapsed if result.elapsed else None, "/s",
               "higher", note),
        metric(WEBSITE, ctx, "p50", latencies[len(latencies) // 2] / 1e6 if latencies else None, "ms", "lower"),
        metric(WEBSITE, ctx, "server CPU per request", cpu * 1000 / result.completed if result.completed else None,
               "ms", "lower"),
    ]


_SOURCE_FILES: dict[int, Path] = {}


def _source_file(mib: int) -> Path:
    """One random file per size for the whole run, shared by every server, removed at exit."""
    if mib not in _SOURCE_FILES:
        directory = Path(tempfile.mkdtemp(prefix="bench-mpu-"))
        atexit.register(shutil.rmtree, directory, True)
        path = directory / f"object-{mib}MiB.bin"
        block = os.urandom(MIB)
        with path.open("wb") as f:
            for _ in range(mib):
                f.write(block)
        _SOURCE_FILES[mib] = path
    return _SOURCE_FILES[mib]


def aws_cli() -> list[str]:
    found = shutil.which("aws")
    return [found] if found else [sys.executable, "-m", "awscli"]


def cli_environment(config_dir: Path) -> dict[str, str]:
    """A private AWS config with the part size and concurrency of the goal, set through `aws configure set`."""
    env = {**os.environ, "AWS_CONFIG_FILE": str(config_dir / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "credentials"), "AWS_ACCESS_KEY_ID": ACCESS_KEY,
           "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""}
    for setting, value in (("default.s3.multipart_chunksize", "8MB"), ("default.s3.multipart_threshold", "8MB"),
                           ("default.s3.max_concurrent_requests", "10")):
        subprocess.run([*aws_cli(), "configure", "set", setting, value], env=env, check=True, timeout=60)
    return env


def _multipart(ctx: ScenarioContext) -> list[Row]:
    if not ctx.multipart_mib:
        return [metric(MULTIPART, ctx, name, None, unit, better, "full runs only")
                for name, unit, better in MULTIPART.metrics]
    client = make_client("s3", ctx.endpoint)
    _ensure_bucket(client, MPU_BUCKET)
    source = _source_file(ctx.multipart_mib)
    with tempfile.TemporaryDirectory(prefix="bench-awscfg-") as config_dir:
        env = cli_environment(Path(config_dir))
        command = [*aws_cli(), "--endpoint-url", ctx.endpoint, "s3", "cp", str(source), f"s3://{MPU_BUCKET}/big",
                   "--only-show-errors"]
        baseline = tree_rss_bytes(ctx.pid)
        with PeakRssSampler(ctx.pid) as sampler:
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, timeout=600)
            seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"aws s3 cp exit {done.returncode}: {done.stderr.decode(errors='replace')[-200:]}")
    size = client.head_object(Bucket=MPU_BUCKET, Key="big")["ContentLength"]
    if size != ctx.multipart_mib * MIB:
        raise AssertionError(f"object is {size} bytes after upload of {ctx.multipart_mib} MiB")
    note = f"{ctx.multipart_mib} MiB, 8 MiB parts, 10 concurrent; includes the CLI's start (~0.5 s)"
    return [
        metric(MULTIPART, ctx, "aws s3 cp MB/s", ctx.multipart_mib / seconds, "MB/s", "higher", note),
        metric(MULTIPART, ctx, "server RSS growth (peak - before)", (sampler.peak - baseline) / MIB, "MB", "lower",
               f"peak {sampler.peak / MIB:.0f} MB"),
    ]


LIST = Scenario("s3-list-big", "s3-scale", "s3", "S3 ListObjectsV2 over a big bucket", _list_pages,
                metrics=(("bucket size reached (keys)", "keys", "higher"),
                         ("p50 page of 1,000 keys at the start", "ms", "lower"),
                         ("p50 page of 1,000 keys at the middle", "ms", "lower"),
                         ("p50 page of 1,000 keys at the end", "ms", "lower")))
WEBSITE = Scenario("s3-website-get", "s3-scale", "s3", "S3 website GET of a small page", _website,
                   metrics=(("requests/s", "/s", "higher"), ("p50", "ms", "lower"),
                            ("server CPU per request", "ms", "lower")))
MULTIPART = Scenario("s3-multipart-cli", "s3-scale", "s3", "S3 multipart upload with the AWS CLI", _multipart,
                     metrics=(("aws s3 cp MB/s", "MB/s", "higher"),
                              ("server RSS growth (peak - before)", "MB", "lower")))
SCENARIOS = [LIST, WEBSITE, MULTIPART]
