"""Run every workload against every server, one fresh server at a time, and print the side-by-side table.

    python -m bench [--quick] [--only s3,dynamodb,large] [--targets overcast,moto]
    python bench/run.py ...   (the same)
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib.metadata
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import large
from bench.capture import Signer, make_client
from bench.clientbench import run_client
from bench.loadgen import run_load
from bench.procstats import tree_cpu_seconds, tree_rss_bytes
from bench.report import Row, render, write_json
from bench.servers import HOST, SPECS, RunningServer, ServerFailed, ServerSpec, start
from bench.workloads import Workload, all_workloads
from bench.workloads.s3 import ensure_bucket

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MIB = 1024 * 1024
GROUPS = ("s3", "dynamodb", "large", "start")  # start-up is measured whatever the selection


@dataclass
class Options:
    duration: float
    warmup: float
    connections: int
    large_mib: int
    start_repeats: int
    settle: float
    keep_workdirs: bool
    max_calls: int = 100_000
    max_requests: int = 2_000_000


def _percentile(sorted_ns: list[int], fraction: float) -> float | None:
    if not sorted_ns:
        return None
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * fraction))] / 1e6


def _ops_row(workload: Workload, mode: str, target: str, **fields: Any) -> Row:
    return {"kind": "ops", "workload": workload.name, "title": workload.title, "mode": mode, "target": target,
            **fields}


def _throughput_fields(result: Any, server_cpu: float) -> dict[str, Any]:
    latencies = sorted(result.latencies_ns)
    ops = result.completed
    fields: dict[str, Any] = {
        "ops": ops,
        "errors": result.errors,
        "seconds": round(result.elapsed, 3),
        "ops_s": ops / result.elapsed if ops and result.elapsed else None,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "cpu_ms_per_op": server_cpu * 1000 / ops if ops else None,
        "client_cpu_pct": 100 * result.client_cpu_seconds / result.elapsed if result.elapsed else None,
    }
    if result.errors:
        fields["error"] = f"{result.errors} errors; first: {result.first_error}"
    if not ops:
        fields["ops_s"] = None
    return fields


def bench_boto3(server: RunningServer, workload: Workload, client: Any, opts: Options) -> Row:
    cpu_before = tree_cpu_seconds(server.pid)
    result = run_client(client, workload, duration=opts.duration, max_calls=opts.max_calls,
                        warmup_seconds=opts.warmup)
    cpu = tree_cpu_seconds(server.pid) - cpu_before
    return _ops_row(workload, "boto3", server.spec.name, **_throughput_fields(result, cpu))


def _call_nth(workload: Workload, i: int, client: Any) -> Any:
    return workload.call(client, i)


def bench_server_bound(server: RunningServer, workload: Workload, opts: Options) -> Row:
    if workload.wire is not None:
        requests = [workload.wire(server.endpoint, i) for i in range(workload.distinct_requests)]
    else:
        signer = Signer(workload.service, server.endpoint)
        requests = [signer.sign(functools.partial(_call_nth, workload, i)) for i in range(workload.distinct_requests)]
    run_load(HOST, server.port, requests, connections=opts.connections, duration=opts.warmup,
             max_requests=opts.max_requests)
    cpu_before = tree_cpu_seconds(server.pid)
    result = run_load(HOST, server.port, requests, connections=opts.connections, duration=opts.duration,
                      max_requests=opts.max_requests, min_body=workload.min_response_body)
    cpu = tree_cpu_seconds(server.pid) - cpu_before
    mode = f"server-bound ({opts.connections} conns)"
    return _ops_row(workload, mode, server.spec.name, **_throughput_fields(result, cpu))


def bench_workload(server: RunningServer, workload: Workload, opts: Options) -> list[Row]:
    mode_b = f"server-bound ({opts.connections} conns)"
    if not server.spec.serves(workload.service):
        return []  # not a peer for this service: no row rather than a row of n/a
    client = make_client(workload.service, server.endpoint)
    if server.spec.stateful:
        try:
            workload.setup(client)
        except Exception as error:  # noqa: BLE001 - a server that lacks the operation is n/a, not a crash
            reason = f"setup failed: {type(error).__name__}: {error}"
            return [_ops_row(workload, mode, server.spec.name, error=reason) for mode in ("boto3", mode_b)]
    rows = [bench_boto3(server, workload, client, opts)]
    if not workload.server_bound:
        return rows
    if rows[0].get("ops"):
        rows.append(bench_server_bound(server, workload, opts))
    else:
        rows.append(_ops_row(workload, mode_b, server.spec.name, error="skipped: boto3 mode failed"))
    return rows


def bench_large(server: RunningServer, opts: Options) -> list[Row]:
    size = opts.large_mib * MIB
    label = f"{opts.large_mib} MiB"
    rows = []
    try:
        ensure_bucket(make_client("s3", server.endpoint))
    except Exception as error:  # noqa: BLE001
        reason = f"setup failed: {type(error).__name__}: {error}"
        return [{"kind": "large", "workload": w, "title": f"S3 {t} {label}", "target": server.spec.name,
                 "error": reason} for w, t in (("s3-put-large", "PutObject"), ("s3-get-large", "GetObject"))]
    for name, title, transfer in (("s3-put-large", "PutObject", large.upload),
                                  ("s3-get-large", "GetObject", large.download)):
        row: Row = {"kind": "large", "workload": name, "title": f"S3 {title} {label}", "target": server.spec.name,
                    "bytes": size}
        try:
            result = transfer(server.pid, server.port, size)
        except Exception as error:  # noqa: BLE001
            row["error"] = f"{type(error).__name__}: {error}"
            rows.append(row)
            if transfer is large.upload:
                rows.append({"kind": "large", "workload": "s3-get-large", "title": f"S3 GetObject {label}",
                             "target": server.spec.name, "error": "skipped: upload failed"})
                break
            continue
        row.update(mb_s=result.mb_per_s, seconds=result.seconds, rss_growth_mb=result.rss_growth_bytes / MIB,
                   peak_rss_mb=result.peak_rss_bytes / MIB)
        rows.append(row)
    return rows


def bench_target(spec: ServerSpec, workloads: list[Workload], groups: set[str], opts: Options) -> list[Row]:
    missing = spec.missing()
    if missing:
        return [{"kind": "start", "target": spec.name, "error": missing}]
    try:
        server = start(spec, keep_workdir=opts.keep_workdirs)
    except ServerFailed as error:
        return [{"kind": "start", "target": spec.name, "error": str(error)}]
    rows: list[Row] = []
    starts = [server.start_ms] if server.start_ms is not None else []
    try:
        # A server that ticks while idle spends that CPU whatever the load: worth seeing on its own.
        idle_cpu_before = tree_cpu_seconds(server.pid)
        time.sleep(opts.settle)
        idle_cpu_pct = 100 * (tree_cpu_seconds(server.pid) - idle_cpu_before) / opts.settle
        idle_rss = tree_rss_bytes(server.pid) / MIB
        for workload in workloads:
            print(f"  {spec.name}: {workload.title}", file=sys.stderr, flush=True)
            rows += bench_workload(server, workload, opts)
        if "large" in groups and spec.stateful and spec.serves("s3"):
            print(f"  {spec.name}: {opts.large_mib} MiB objects", file=sys.stderr, flush=True)
            rows += bench_large(server, opts)
    finally:
        server.stop()
    for _ in range(opts.start_repeats - 1):
        if server.start_ms is None:
            break
        try:
            again = start(spec)
        except ServerFailed:
            break
        again.stop()
        if again.start_ms is not None:
            starts.append(again.start_ms)
    start_row: Row = {"kind": "start", "target": spec.name, "idle_rss_mb": idle_rss, "idle_cpu_pct": idle_cpu_pct,
                      "start_ms_all": starts,
                      "start_ms": statistics.median(starts) if starts else None}
    if server.start_note:
        start_row["error"] = server.start_note
    return [start_row, *rows]


def _versions() -> dict[str, str]:
    versions = {}
    for package in ("overcast", "boto3", "botocore", "moto", "ministack", "uvloop"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (finishes in under 2 minutes)")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups to run, from {', '.join(GROUPS)} (start-up is always measured)")
    parser.add_argument("--targets", default=",".join(SPECS), help=f"comma-separated, from {', '.join(SPECS)}")
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 5, quick 1)")
    parser.add_argument("--connections", type=int, default=16, help="server-bound connections (default 16)")
    parser.add_argument("--large-mib", type=int, default=256, help="size of the large object (default 256)")
    parser.add_argument("--start-repeats", type=int, help="fresh starts timed per server (default 5, quick 1)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for bench/README.md)")
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/<time>.json and latest.json)")
    parser.add_argument("--keep-workdirs", action="store_true", help="keep each server's temporary directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    groups = {g.strip() for g in args.only.split(",") if g.strip()}
    unknown = groups - set(GROUPS) | ({t.strip() for t in args.targets.split(",")} - set(SPECS))
    if unknown:
        print(f"unknown group or target: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    opts = Options(
        duration=args.duration or (1.0 if args.quick else 5.0),
        warmup=0.3 if args.quick else 1.0,
        connections=args.connections,
        large_mib=args.large_mib,
        start_repeats=args.start_repeats or (1 if args.quick else 5),
        settle=1.0 if args.quick else 3.0,
        keep_workdirs=args.keep_workdirs,
    )
    workloads = [w for w in all_workloads() if w.group in groups and (w.in_quick or not args.quick)]
    targets = [SPECS[t.strip()] for t in args.targets.split(",") if t.strip()]
    started = time.time()
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        print(f"note: load average {load_before[0]:.1f} on {os.cpu_count()} CPUs: other work is running, "
              "ops/s and latency will be noisy (server CPU ms/op is steadier)", file=sys.stderr)
    rows: list[Row] = []
    for spec in targets:
        print(f"{spec.name}:", file=sys.stderr, flush=True)
        rows += bench_target(spec, workloads, groups, opts)
    meta = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "options": {k: v for k, v in vars(opts).items()},
        "groups": sorted(groups),
        "targets": [s.name for s in targets],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": _versions(),
        "wall_seconds": round(time.time() - started, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(render(rows, markdown=args.markdown))
    print(f"({meta['wall_seconds']} s; {meta['machine']['cpus']} CPUs; load average "
          f"{meta['load_average_before'][0]:.1f} before, {meta['load_average_after'][0]:.1f} after; {meta['when']})")
    stamp = meta["when"].replace(":", "").replace("-", "").replace("+0000", "Z")
    outputs = [args.out] if args.out else [RESULTS_DIR / f"run-{stamp}.json", RESULTS_DIR / "latest.json"]
    for path in outputs:
        write_json(path, meta, rows)
    print(f"JSON: {', '.join(str(p) for p in outputs)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
