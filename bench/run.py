"""Run every workload against every server, one fresh server at a time, and print the side-by-side table.

    python -m bench [--quick] [--only s3,dynamodb,lambda,large] [--targets overcast,moto]
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
from bench.clientbench import run_client, run_paired
from bench.loadgen import run_load
from bench.procstats import tree_cpu_seconds, tree_rss_bytes
from bench.report import Row, render, write_json
from bench.scenarios import Scenario, ScenarioContext, all_scenarios, failed_rows
from bench.servers import HOST, SPECS, RunningServer, ServerFailed, ServerSpec, start
from bench.workloads import Workload, all_workloads
from bench.workloads.s3 import ensure_bucket

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MIB = 1024 * 1024
GROUPS = ("s3", "dynamodb", "lambda", "apigateway", "large", "lambda-envs", "apigw-proxy", "s3-scale", "dynamodb-scale",
          "start")  # start-up is measured whatever the selection


@dataclass
class Options:
    duration: float
    warmup: float
    connections: int
    large_mib: int
    start_repeats: int
    settle: float
    keep_workdirs: bool
    paired_duration: float = 0.0  # seconds per side when pairing with the floor (0: same as duration)
    max_distinct_requests: int = 1_000_000  # signing costs ~0.5 ms each; --quick signs fewer
    max_calls: int = 100_000
    max_requests: int = 2_000_000
    quick: bool = False
    populate_seconds: float = 180.0  # time allowed to fill the big bucket or table, per server
    populate_max: int = 1_000_000  # and its size at most
    multipart_mib: int = 1024  # the AWS CLI multipart upload (full runs only; 0 skips it)


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


def bench_boto3(server: RunningServer, workload: Workload, client: Any, opts: Options,
                floor: RunningServer | None) -> Row:
    """One client's calls; paired with the do-nothing floor when one is running, for a drift-free ratio."""
    server_cpu = functools.partial(tree_cpu_seconds, server.pid)
    if floor is None:
        result = run_client(client, workload, duration=opts.duration, max_calls=opts.max_calls,
                            warmup_seconds=opts.warmup, server_cpu=server_cpu)
        return _ops_row(workload, workload.client_label, server.spec.name, **_throughput_fields(result, result.server_cpu_seconds))
    floor_client = make_client(workload.service, floor.endpoint)
    result, floor_result = run_paired(client, floor_client, workload, duration=opts.paired_duration or opts.duration,
                                      max_calls=opts.max_calls, warmup_seconds=opts.warmup, server_cpu=server_cpu)
    if floor_result.failed and not result.failed:
        # The floor cannot answer this operation as the client expects: measure alone rather than not at all.
        result = run_client(client, workload, duration=opts.duration, max_calls=opts.max_calls,
                            warmup_seconds=opts.warmup, server_cpu=server_cpu)
    row = _ops_row(workload, workload.client_label, server.spec.name, **_throughput_fields(result, result.server_cpu_seconds))
    if result.completed and floor_result.completed and floor_result.elapsed and not floor_result.failed:
        floor_ops = floor_result.completed / floor_result.elapsed
        row["paired_floor_ops_s"] = floor_ops
        row["vs_floor"] = row["ops_s"] / floor_ops
    return row


def _call_nth(workload: Workload, i: int, client: Any) -> Any:
    return workload.call(client, i)


def bench_server_bound(server: RunningServer, workload: Workload, opts: Options) -> Row:
    distinct = min(workload.distinct_requests, opts.max_distinct_requests)
    if workload.wire is not None:
        requests = [workload.wire(server.endpoint, i) for i in range(distinct)]
    else:
        signer = Signer(workload.service, server.endpoint)
        requests = [signer.sign(functools.partial(_call_nth, workload, i)) for i in range(distinct)]
    run_load(HOST, server.port, requests, connections=opts.connections, duration=opts.warmup,
             max_requests=opts.max_requests)
    cpu_before = tree_cpu_seconds(server.pid)
    result = run_load(HOST, server.port, requests, connections=opts.connections, duration=opts.duration,
                      max_requests=opts.max_requests, min_body=workload.min_response_body)
    cpu = tree_cpu_seconds(server.pid) - cpu_before
    mode = f"server-bound ({opts.connections} conns)"
    return _ops_row(workload, mode, server.spec.name, **_throughput_fields(result, cpu))


def bench_workload(server: RunningServer, workload: Workload, opts: Options, floor: RunningServer | None) -> list[Row]:
    mode_b = f"server-bound ({opts.connections} conns)"
    if not server.spec.serves(workload.service):
        return []  # not a peer for this service: no row rather than a row of n/a
    client = make_client(workload.service, server.endpoint)
    if server.spec.stateful:
        try:
            workload.setup(client)
        except Exception as error:  # noqa: BLE001 - a server that lacks the operation is n/a, not a crash
            reason = f"setup failed: {type(error).__name__}: {error}"
            return [_ops_row(workload, mode, server.spec.name, error=reason) for mode in (workload.client_label, mode_b)]
    rows = [bench_boto3(server, workload, client, opts, floor)]
    if not workload.server_bound:
        return rows
    if rows[0].get("ops"):
        try:
            rows.append(bench_server_bound(server, workload, opts))
        except Exception as error:  # noqa: BLE001 - e.g. a request that cannot be signed: n/a, not a crash
            rows.append(_ops_row(workload, mode_b, server.spec.name, error=f"{type(error).__name__}: {error}"))
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


def run_scenario(server: RunningServer, scenario: Scenario, opts: Options) -> list[Row]:
    if not server.spec.serves(scenario.service) or not server.spec.stateful:
        return []
    reason = scenario.unsupported.get(server.spec.name)
    if reason:
        return failed_rows(scenario, server.spec.name, reason)
    print(f"  {server.spec.name}: {scenario.title}", file=sys.stderr, flush=True)
    ctx = ScenarioContext(target=server.spec.name, endpoint=server.endpoint, port=server.port, pid=server.pid,
                          quick=opts.quick, connections=opts.connections, duration=opts.duration,
                          populate_seconds=opts.populate_seconds, populate_max=opts.populate_max,
                          multipart_mib=opts.multipart_mib)
    try:
        return scenario.run(ctx)
    except Exception as error:  # noqa: BLE001 - a server that lacks an operation is n/a, not a crash
        return failed_rows(scenario, server.spec.name, f"{type(error).__name__}: {error}")


def _run_workload(server: RunningServer, workload: Workload, opts: Options, floor: RunningServer | None) -> list[Row]:
    if server.spec.serves(workload.service):
        print(f"  {server.spec.name}: {workload.title}", file=sys.stderr, flush=True)
    return bench_workload(server, workload, opts, floor if server.spec.stateful else None)


def bench_target(spec: ServerSpec, workloads: list[Workload], groups: set[str], opts: Options,
                 floor: RunningServer | None = None, scenarios: list[Scenario] | None = None) -> list[Row]:
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
        # S3 first and the large objects right after, before Lambda environments or other state inflate the
        # process tree whose RSS the large-object rows report.
        for workload in [w for w in workloads if w.group == "s3"]:
            rows += _run_workload(server, workload, opts, floor)
        if "large" in groups and spec.stateful and spec.serves("s3"):
            print(f"  {spec.name}: {opts.large_mib} MiB objects", file=sys.stderr, flush=True)
            rows += bench_large(server, opts)
        for workload in [w for w in workloads if w.group != "s3"]:
            rows += _run_workload(server, workload, opts, floor)
        for scenario in scenarios or []:
            rows += run_scenario(server, scenario, opts)
        end_rss = tree_rss_bytes(server.pid) / MIB
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
                      "end_rss_mb": end_rss,
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
    parser.add_argument("--quick", action="store_true", help="short runs (about 3.5 minutes on a busy 2-core machine)")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups to run, from {', '.join(GROUPS)} (start-up is always measured)")
    parser.add_argument("--targets", default=",".join(n for n, s in SPECS.items() if s.in_default_run),
                        help=f"comma-separated, from {', '.join(SPECS)} (default: all but overcast-nofsync)")
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 5, quick 1)")
    parser.add_argument("--connections", type=int, default=16, help="server-bound connections (default 16)")
    parser.add_argument("--large-mib", type=int, default=256, help="size of the large object (default 256)")
    parser.add_argument("--start-repeats", type=int, help="fresh starts timed per server (default 5, quick 1)")
    parser.add_argument("--populate-seconds", type=float,
                        help="seconds allowed to fill the big bucket and table per server (default 180, quick 15)")
    parser.add_argument("--populate-max", type=int,
                        help="most keys/items in the big bucket and table (default 1,000,000, quick 20,000)")
    parser.add_argument("--multipart-mib", type=int, default=1024,
                        help="AWS CLI multipart upload size, full runs only (default 1024; 0 skips it)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for bench/README.md)")
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/<time>.json and latest.json)")
    parser.add_argument("--no-pairing", action="store_true",
                        help="do not pair boto3-mode measurements with a do-nothing floor server")
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
        settle=0.5 if args.quick else 3.0,
        keep_workdirs=args.keep_workdirs,
        # --quick must stay under 2 minutes on a busy 2-core machine: half the time per side when paired.
        paired_duration=0.5 if args.quick and not args.duration else 0.0,
        max_distinct_requests=100 if args.quick else 1_000_000,
        quick=args.quick,
        # --quick: 20,000 keys or items, but never more than 15 s of filling per server (moto is slow).
        populate_seconds=args.populate_seconds or (15.0 if args.quick else 180.0),
        populate_max=args.populate_max or (20_000 if args.quick else 1_000_000),
        multipart_mib=0 if args.quick else args.multipart_mib,
    )
    workloads = [w for w in all_workloads() if w.group in groups and (w.in_quick or not args.quick)]
    scenarios = [s for s in all_scenarios() if s.group in groups]
    targets = [SPECS[t.strip()] for t in args.targets.split(",") if t.strip()]
    started = time.time()
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        print(f"note: load average {load_before[0]:.1f} on {os.cpu_count()} CPUs: other work is running, "
              "ops/s and latency will be noisy (server CPU ms/op is steadier)", file=sys.stderr)
    rows: list[Row] = []
    # A second do-nothing server, idle but for the floor slices that alternate with each boto3 measurement.
    floor = None if args.no_pairing or not workloads else start(SPECS["null"])
    try:
        for spec in targets:
            print(f"{spec.name}:", file=sys.stderr, flush=True)
            target_started = time.time()
            rows += bench_target(spec, workloads, groups, opts, floor, scenarios)
            print(f"  {spec.name}: {time.time() - target_started:.1f} s", file=sys.stderr, flush=True)
    finally:
        if floor is not None:
            floor.stop()
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
