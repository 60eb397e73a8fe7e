"""``python -m bench.many_workers [--sizes 1,16,64,256] [--idle 20] [--jobs 1000]
[--no-scheduler]``: what the queue costs Redis as workers grow, counted by Redis itself
(``INFO commandstats``, ``INFO cpu``).

For each size N: N forking worker processes (``COUNT=N``, default settings: a heartbeat every
2 s, an idle wake-up every 5 s, and the scheduler loop, which looks for due jobs every second)
register and sit idle for ``--idle`` seconds, then drain ``--jobs`` no-op jobs.
``--no-scheduler`` measures the same with ``JOBS_SCHEDULER=0``. Commands are what Redis
counted (those a Lua script runs included), so the figures do not depend on how busy the
machine is; Redis's CPU time does a little. Prints one Markdown table (the README's).

What to look for: idle commands per second per worker stays flat as N grows (each worker
heartbeats for itself; only the holder of the recovery lock reads every heartbeat, once per
interval for all), so idle cost grows linearly, and Redis CPU per idle worker with it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

import redis

from bench.harness import Bench, Workers, stop_on_signals, wait_until
from bench.job_body import DONE_KEY
from bench.jobs_ours import QUEUE, Noop
from jobs.client import Client
from jobs.settings import Settings
from jobs.store import open_store


@dataclass(frozen=True)
class Cost:
    commands: int
    seconds: float  # by Redis's clock
    cpu: float  # Redis's own CPU seconds (user + sys)
    top: str  # the commands it ran most, with their share
    every: dict[str, int]  # each command's count


@dataclass(frozen=True)
class Row:
    workers: int
    idle: Cost
    busy: Cost
    jobs: int


def counted(client: redis.Redis) -> tuple[dict[str, int], float, float]:
    """Redis's command counts, its clock (s) and its CPU time (s), in one go."""
    stats = client.info("commandstats")
    cpu = client.info("cpu")
    seconds, micros = client.time()
    calls = {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}
    return calls, seconds + micros / 1e6, float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


def cost_of(
    client: redis.Redis, before: tuple[dict[str, int], float, float], own_gets: int = 0
) -> Cost:
    """What Redis ran since ``before``, less this script's own INFO, TIME and ``own_gets``."""
    calls, at, cpu = counted(client)
    delta = {name: n - before[0].get(name, 0) for name, n in calls.items()}
    delta["get"] = delta.get("get", 0) - own_gets
    delta = {name: n for name, n in delta.items() if n > 0 and name not in ("info", "time")}
    total = sum(delta.values())
    top = sorted(delta.items(), key=lambda item: -item[1])[:3]
    shares = ", ".join(f"{name} {n * 100 // max(total, 1)}%" for name, n in top)
    return Cost(total, at - before[1], cpu - before[2], shares, delta)


def wait_for_jobs(client: redis.Redis, jobs: int) -> int:
    """Wait until ``jobs`` jobs counted themselves done; returns how many GETs that took (a
    look every 50 ms: few, and subtracted from the figures)."""
    looks, deadline = 0, time.monotonic() + 600
    while int(client.get(DONE_KEY) or 0) < jobs:
        looks += 1
        if time.monotonic() > deadline:
            raise TimeoutError(f"{jobs} jobs not done in 600 s")
        time.sleep(0.05)
    return looks + 1


def measure(bench: Bench, size: int, idle_s: float, jobs: int) -> Row:
    bench.flush()
    client = bench.redis
    with Workers(bench) as workers:
        command = [sys.executable, "-m", "jobs", "work", "--import", "bench.jobs_ours"]
        workers.start([*command, "--queue", QUEUE, "--count", str(size)])
        wait_until(lambda: client.scard("resque:workers") == size, 300, f"{size} workers")
        time.sleep(4.0)  # two heartbeats: every worker past its start-up
        before = counted(client)
        time.sleep(idle_s)  # the window measured: nothing to synchronise with, only time
        idle = cost_of(client, before)

        queue_client = Client(open_store(bench.url), Settings(redis_url=bench.url))
        before = counted(client)
        queue_client.enqueue_many(Noop, [[] for _ in range(jobs)])
        busy = cost_of(client, before, own_gets=wait_for_jobs(client, jobs))
        workers.check_alive()
    return Row(size, idle, busy, jobs)


def table(rows: list[Row]) -> str:
    lines = [
        "| workers | idle: commands/s | per worker | Redis CPU, idle | busy: commands per job"
        " | busy: commands/s | most run (busy) |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        idle_rate = row.idle.commands / row.idle.seconds
        lines.append(
            f"| {row.workers} | {idle_rate:.0f} | {idle_rate / row.workers:.2f}"
            f" | {row.idle.cpu / row.idle.seconds * 100:.2f}%"
            f" | {row.busy.commands / row.jobs:.1f} | {row.busy.commands / row.busy.seconds:.0f}"
            f" | {row.busy.top} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,16,64,256")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle measured")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="JOBS_SCHEDULER=0: the workers leave the scheduler loop to a process of its own",
    )
    options = parser.parse_args()
    if options.no_scheduler:
        os.environ["JOBS_SCHEDULER"] = "0"  # the workers' environment is a copy of ours
    stop_on_signals()
    rows = []
    with Bench() as bench:
        for size in (int(text) for text in options.sizes.split(",")):
            rows.append(measure(bench, size, options.idle, options.jobs))
            print(f"{size} workers: idle {rows[-1].idle}\n  busy {rows[-1].busy}", flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
