"""``python -m bench [--quick] [--only NAME ...] [--redis-py VERSION ...] [--skip PEER ...]``:
run the scenarios and print the tables.

Scenarios (``--only`` picks some): ``enqueue``, ``drain`` (thread mode: one process, two
processes started side by side, and ours as ``--count 2``), ``fork`` (fork per job, and one job
at a time without fork), ``pickup`` (latency), ``calls`` (CPU and Python calls of our hot paths
on each redis-py: :mod:`bench.hot_calls`), ``lateness`` (delayed jobs, ours), ``profile``
(py-spy, our worker), ``metrics`` (our drain with run-time metrics on and off, taking
turns in the same run: what the metrics cost). ``--quick`` runs every scenario with small N:
a smoke test, not a measurement.

Systems: ours with the project's interpreter; ours again on each ``--redis-py`` version (by
default the one the peers' plain install gives them); Sidekiq (Debian's ``ruby-sidekiq``,
installed with apt when missing and possible); Huey and RQ, each in a virtualenv of its own
(:mod:`bench.venvs`). ``--skip`` leaves peers out.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import report, scenarios
from bench.harness import REPO, Bench, run_json, stop_on_signals
from bench.lateness import measure_lateness
from bench.lineup import PEERS, Lineup, lineup
from bench.measure import Measurement
from bench.metrics_cost import measure_metrics_cost
from bench.ours import Ours
from bench.profile import profile_thread_worker, summary
from bench.scenarios import QUICK, Drain, Sizes
from bench.system import System

Runner = Callable[[Bench, list[System], Sizes], list[Measurement]]


def run_enqueue(bench: Bench, systems: list[System], sizes: Sizes) -> list[Measurement]:
    return [m for system in systems for m in scenarios.enqueue(bench, system, sizes.enqueue)]


def run_drain(bench: Bench, systems: list[System], sizes: Sizes) -> list[Measurement]:
    found = []
    for system in systems:
        for run in thread_drains(system, sizes.drain):
            found.append(scenarios.drain(bench, system, run))
    return found


def thread_drains(system: System, count: int) -> list[Drain]:
    """One process, two processes side by side, one process kept on one CPU (the GIL then
    changes hands on one core instead of bouncing between two: see README, "How fast"), and
    for ours ``--count 2``, which the lessons tell people to run."""
    command = system.worker_command("thread")
    if command is None:
        return []
    cpu = max(os.sched_getaffinity(0))
    runs = [
        Drain("drain-thread-1", command, "1 process, 10 threads", 1, count),
        Drain("drain-thread-2", command, "2 processes, 10 threads", 2, count),
        Drain("drain-thread-1-cpu", command, f"1 process, 10 threads, on CPU {cpu}", 1, count, cpu),
    ]
    if isinstance(system, Ours):
        what = "--count 2, 10 threads"
        supervised = system.supervised_command(2)
        runs.append(Drain("drain-count-2", supervised, what, 1, count, children=True))
    return runs


def run_fork(bench: Bench, systems: list[System], sizes: Sizes) -> list[Measurement]:
    found = []
    for system in systems:
        for mode, scenario in (("fork", "drain-fork"), ("simple", "drain-simple")):
            command = system.worker_command(mode)
            if command is not None:
                what = scenarios.describe(mode, 1)
                found.append(
                    scenarios.drain(bench, system, Drain(scenario, command, what, 1, sizes.fork))
                )
    return found


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
NAMES = [*RUNNERS, "calls", "lateness", "profile", "metrics"]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N: a smoke run in seconds")
    parser.add_argument("--only", action="append", choices=NAMES, help="run only these")
    parser.add_argument(
        "--redis-py",
        action="append",
        metavar="VERSION",
        help="ours on this redis-py version too (default: the one the peers get)",
    )
    parser.add_argument("--skip", action="append", default=[], choices=PEERS, help="leave out")
    return parser.parse_args(argv)


def heading(bench: Bench, systems: Lineup) -> str:
    redis_version = bench.redis.info("server")["redis_version"]
    return (
        f"ours at {source_state()}; {', '.join(systems.versions)}; one private Redis"
        f" {redis_version}; Python {platform.python_version()}, {os.cpu_count()} cores,"
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


def hot_calls(bench: Bench, systems: list[System], sizes: Sizes) -> dict[str, Any]:
    """Each of ours' interpreters on our hot paths: what its redis-py costs per job."""
    found = {}
    for system in systems:
        if isinstance(system, Ours):
            command = [system.python, "-m", "bench.hot_calls", str(sizes.calls)]
            found[system.name] = run_json(bench, command, 60 + sizes.calls / 20)
    return found


def print_tables(measurements: list[Measurement], systems: list[str]) -> None:
    found = {(m.scenario, m.system): m for m in measurements}
    print()
    print(report.main_table(found, systems))
    print(report.NOTES)
    print(
        "\nPer job, over each enqueue (the client's own CPU) and each drain (the workers' CPU,"
        " from the first job done to the last):\n"
    )
    print(report.cost_table(measurements))
    print("\nRedis commands per job by name (commands run inside Lua scripts included):\n")
    print(report.commands_table(measurements))


def print_extras(
    calls: Any, lateness: dict[str, float] | None, metrics_cost: list[str], sizes: Sizes
) -> None:
    """The tables of the scenarios that measure something else than a drain or an enqueue."""
    if calls is not None:
        print("\nOur hot paths per job, by redis-py version (CPU of the calling process):\n")
        print(report.hot_calls_table(calls))
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


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    sizes = QUICK if options.quick else Sizes()
    chosen = options.only or NAMES
    stop_on_signals()
    began = time.monotonic()
    measurements: list[Measurement] = []
    with Bench() as bench:
        systems = lineup(bench.url, options.redis_py, options.skip)
        print(heading(bench, systems), flush=True)
        for reason in systems.left_out:
            print(reason, flush=True)
        for name in chosen:
            if name in RUNNERS:
                print(f"... {name}", file=sys.stderr, flush=True)
                measurements += RUNNERS[name](bench, systems.systems, sizes)
        calls = None
        if "calls" in chosen:
            print("... calls", file=sys.stderr, flush=True)
            calls = hot_calls(bench, systems.systems, sizes)
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
    print_tables(measurements, systems.names)
    print_extras(calls, lateness, metrics_cost, sizes)
    if "profile" in chosen:
        print("\nWhere a job's time goes: our worker, 10 threads, under py-spy\n")
        print(summary(profile) if profile else "py-spy is not installed: pip install py-spy")
    print(f"\nran in {time.monotonic() - began:.0f} s; {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
