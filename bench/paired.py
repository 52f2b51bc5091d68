"""TransactWriteItems server-bound, Overcast and one peer in alternating slices.

`python -m bench` runs its servers one after another, minutes apart. On a shared machine the
speed of everything drifts over minutes (slow spells take a third off a server's throughput), so
the ratio of two throughputs measured apart moves with the drift as much as with the servers.
Here both servers run at once (the idle one costs nothing) and the measurement alternates:
Overcast's slice and the peer's, then the peer's and Overcast's, and so on. Each round's ratio
compares two slices taken seconds apart, and the median of the rounds' ratios is the figure to
read. Both tables grow by a slice's items each round, alike on both sides.

    python -m bench.paired                      # MiniStack, 5 rounds of 1,500 transactions a side
    python -m bench.paired --peer moto --rounds 3 --slice 500

Each transaction is the dynamodb-scale scenario's: 10 puts of 1 KB items, its own
ClientRequestToken, every request sent once (none is answered from the idempotency cache).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field

from bench.loadgen import run_load
from bench.procstats import tree_cpu_seconds
from bench.scenarios.ddb_scale import signed_transactions
from bench.servers import HOST, SPECS, RunningServer, ServerFailed, start


@dataclass
class Side:
    server: RunningServer
    requests: list[bytes]
    next_request: int = 0
    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def take(self, count: int) -> list[bytes]:
        chunk = self.requests[self.next_request:self.next_request + count]
        self.next_request += count
        return chunk


def prepare(server: RunningServer, count: int) -> Side:
    return Side(server, signed_transactions(server.endpoint, count))


def measure(side: Side, count: int, connections: int) -> None:
    chunk = side.take(count)
    cpu_before = tree_cpu_seconds(side.server.pid)
    result = run_load(HOST, side.server.port, chunk, connections=connections, duration=120, max_requests=len(chunk))
    cpu = tree_cpu_seconds(side.server.pid) - cpu_before
    if not result.completed or result.errors:
        raise RuntimeError(f"{side.server.spec.name}: {result.completed} transactions, {result.errors} errors "
                           f"({result.first_error})")
    side.rates.append(result.completed / result.elapsed)
    side.cpu_ms.append(cpu * 1000 / result.completed)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paired", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer", default="ministack", choices=[n for n in SPECS if n not in ("null", "overcast")])
    parser.add_argument("--rounds", type=_positive, default=5)
    parser.add_argument("--slice", type=_positive, default=1500, help="transactions per side per round")
    parser.add_argument("--warm", type=_positive, default=500, help="transactions per side before measuring")
    parser.add_argument("--connections", type=_positive, default=16)
    args = parser.parse_args(argv)
    per_side = args.warm + args.rounds * args.slice
    missing = SPECS[args.peer].missing()
    if missing:
        print(f"{args.peer} is not available: {missing}", file=sys.stderr)
        return 2
    servers: list[RunningServer] = []
    try:
        servers = [start(SPECS["overcast"]), start(SPECS[args.peer])]
        sides = [prepare(server, per_side) for server in servers]
        for side in sides:
            warm = run_load(HOST, side.server.port, side.take(args.warm), connections=args.connections, duration=60,
                            max_requests=args.warm)
            if warm.errors or not warm.completed:
                raise RuntimeError(f"{side.server.spec.name} warming up: {warm.completed} transactions, "
                                   f"{warm.errors} errors ({warm.first_error})")
        print(f"| round | overcast /s | {args.peer} /s | ratio | overcast CPU ms/tx | {args.peer} CPU ms/tx |")
        print("|---|---|---|---|---|---|")
        for round_number in range(1, args.rounds + 1):
            # Each side goes first in every other round, so a drift inside rounds does not lean
            # every ratio the same way.
            for side in sides if round_number % 2 else reversed(sides):
                measure(side, args.slice, args.connections)
            ours, theirs = sides
            print(f"| {round_number} | {ours.rates[-1]:,.0f} | {theirs.rates[-1]:,.0f} | "
                  f"{ours.rates[-1] / theirs.rates[-1]:.2f}x | {ours.cpu_ms[-1]:.3f} | {theirs.cpu_ms[-1]:.3f} |",
                  flush=True)
        ours, theirs = sides
        ratios = [a / b for a, b in zip(ours.rates, theirs.rates, strict=True)]
        print(f"\nmedian of the rounds' ratios: {statistics.median(ratios):.2f}x "
              f"(range {min(ratios):.2f}x-{max(ratios):.2f}x); medians {statistics.median(ours.rates):,.0f}/s "
              f"against {statistics.median(theirs.rates):,.0f}/s; {args.connections} connections, "
              f"{args.slice} transactions a slice")
    except (ServerFailed, RuntimeError) as error:
        print(f"failed: {error}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
