"""``python -m bench [--quick] [--only NAME ...]``: run the scenarios and print the tables.

Scenarios (``--only`` picks some): ``enqueue``, ``drain`` (thread mode, one and two worker
processes started by the harness itself, not through ``--count``), ``fork`` (fork per job,
and one job at a time without fork), ``pickup`` (latency), ``lateness`` (delayed jobs, ours),
``profile`` (py-spy, our worker), ``metrics`` (our drain with run-time metrics on and off,
taking turns in the same run: what the metrics cost).
``--quick`` runs every scenario with small N in seconds: a smoke test, not a measurement.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

from bench import report, scenarios
from bench.harness import REPO, Bench, stop_on_signals
from bench.huey_peer import HueyPeer
from bench.lateness import measure_lateness
from bench.measure import Measurement
from bench.metrics_cost import measure_metrics_cost
from bench.ours import Ours
from bench.profile import profile_thread_worker, summary
from bench.rq_peer import RQPeer
from bench.scenarios import QUICK, Sizes
from bench.system import System

Runner = Callable[[Bench, list[System], Sizes], list[Measurement]]


def run_enqueue(bench: Bench, systems: list[System], sizes: Sizes) -> list[Measurement]:
    return [m for system in systems for m in scenarios.enqueue(bench, system, sizes.enqueue)]


def run_drain(bench: Bench, systems: list[System], sizes: Sizes) -> list[Measurement]:
    found = []
    for system in systems:
        for processes in (1, 2):
            name = f"drain-thread-{processes}"
            found.append(scenarios.drain(bench, system, "thread", processes, sizes.drain, name))
        # The same single process, its threads kept on one CPU: the GIL then changes hands
        # on one core instead of bouncing between two (see README, "How fast").
        cpu = max(os.sched_getaffinity(0))
        found.append(
            scenarios.drain(bench, system, "thread", 1, sizes.drain, "drain-thread-1-cpu", cpu)
        )
    return [m for m in found if m is not None]


def run_fork(bench: Bench, systems: list[System], sizes: Sizes) -> list[Measurement]:
    found = []
    for system in systems:
        found.append(scenarios.drain(bench, system, "fork", 1, sizes.fork, "drain-fork"))
        found.append(scenarios.drain(bench, system, "simple", 1, sizes.fork, "drain-simple"))
    return [m for m in found if m is not None]


def run_pickup(bench: Bench, systems: list[System], sizes: Sizes) -> list[Measurement]:
    found = [
        scenarios.pickup(bench, s, mode, sizes) for s in systems for mode in ("thread", "fork")
    ]
    return [m for m in found if m is not None]


RUNNERS: dict[str, Runner] = {
    "enqueue": run_enqueue,
    "drain": run_drain,
    "fork": run_fork,
    "pickup": run_pickup,
}
NAMES = [*RUNNERS, "lateness", "profile", "metrics"]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N: a smoke run in seconds")
    parser.add_argument("--only", action="append", choices=NAMES, help="run only these")
    return parser.parse_args(argv)


def heading(bench: Bench) -> str:
    redis_version = bench.redis.info("server")["redis_version"]
    return (
        f"ours ({source_state()}) vs Huey {version('huey')} and RQ {version('rq')}, one private"
        f" Redis {redis_version}; Python {platform.python_version()}, {os.cpu_count()} cores,"
        f" {load_average()}"
    )


def source_state() -> str:
    """The commit measured, and whether ``jobs/`` had changes not yet committed."""
    git = ["git", "-C", str(REPO)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True)
        changed = subprocess.run([*git, "status", "--porcelain", "jobs"], capture_output=True)
    except OSError:
        return "not a git checkout"
    dirty = " + uncommitted changes in jobs/" if changed.stdout.strip() else ""
    return f"{commit.stdout.decode().strip() or 'unknown commit'}{dirty}"


def load_average() -> str:
    """Other programs share the 2 cores; a high load makes every number lower."""
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    sizes = QUICK if options.quick else Sizes()
    chosen = options.only or NAMES
    stop_on_signals()
    began = time.monotonic()
    measurements: list[Measurement] = []
    with Bench() as bench:
        print(heading(bench), flush=True)
        systems: list[System] = [Ours(bench.url), HueyPeer(bench.url), RQPeer(bench.url)]
        for name in chosen:
            if name in RUNNERS:
                print(f"... {name}", file=sys.stderr, flush=True)
                measurements += RUNNERS[name](bench, systems, sizes)
        lateness = None
        if "lateness" in chosen:
            print("... lateness", file=sys.stderr, flush=True)
            lateness = measure_lateness(bench.url, sizes.lateness, sizes.lateness_spread)
        metrics_cost = []
        if "metrics" in chosen:
            print("... metrics", file=sys.stderr, flush=True)
            metrics_cost = measure_metrics_cost(bench, sizes, options.quick)
        profile = None
        if "profile" in chosen:
            print("... profile", file=sys.stderr, flush=True)
            profile = profile_thread_worker(bench, sizes.drain)
    found = {(m.scenario, m.system): m for m in measurements}
    print()
    print(report.main_table(found))
    print(report.NOTES)
    print("\nPer job, over each drain (from the first job done to the last):\n")
    print(report.cost_table(measurements))
    print("\nRedis commands per job by name (commands run inside Lua scripts included):\n")
    print(report.commands_table(measurements))
    if lateness is not None:
        print(
            f"\nLateness of delayed jobs ({lateness['jobs']:.0f} due at random times over"
            f" {sizes.lateness_spread:g} s, one thread-mode worker, judged by Redis's clock):"
            f" p50 {lateness['p50'] * 1000:.1f} ms, p99 {lateness['p99'] * 1000:.1f} ms,"
            f" max {lateness['max'] * 1000:.1f} ms"
        )
    if metrics_cost:
        print("\nWhat the run-time metrics cost, our drain with them on and off in turns:\n")
        print("\n".join(metrics_cost))
    if "profile" in chosen:
        print("\nWhere a job's time goes: our worker, 10 threads, under py-spy\n")
        print(summary(profile) if profile else "py-spy is not installed: pip install py-spy")
    print(f"\nran in {time.monotonic() - began:.0f} s; {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
