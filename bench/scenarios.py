"""The scenarios: the same steps for every system, so only the queue differs.

**Enqueue.** N no-op jobs one call at a time, then N with the system's bulk API, into an empty
Redis with no worker running, by the system's own client program (:mod:`bench.enqueuer`, or
``bench/sidekiq/enqueue.rb``) on its own interpreter. Timed by that program from the first call
to the last reply, so its start-up is left out.

**Drain.** How fast workers empty a full queue. The queue is filled first (with the bulk API,
untimed), then the worker processes are started. The clock starts when the first job has
finished (the counter reads at least 1) and stops when the counter reads N; the rate is the
jobs finished in between over that time. So interpreter start-up and imports, which are not
per-job costs and differ between systems, are left out for every system alike; everything a
worker does per job (fetch, run, record, and its background chatter: heartbeats, scheduler
polls) is in. Redis commands, worker CPU and Redis CPU are read over the same interval.

**Pickup latency.** One idle worker; jobs arrive one at a time at a steady rate (100/s). Each
carries ``time.time()`` taken just before its enqueue call, and records the difference when
its ``perform`` starts: enqueue → perform starts, including the enqueue call itself.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.harness import Bench, ClientRun, Workers, run_client, wait_until
from bench.job_body import PICKUP_KEY
from bench.measure import (
    Census,
    Measurement,
    child_pids,
    cpu_seconds,
    peak_rss_mib,
    per_job,
    switches_and_faults,
)
from bench.system import System, WorkerMode

START_TIMEOUT = 60.0  # seconds for workers to start and finish their first job
SLOWEST_RATE = 20.0  # jobs/s; a drain slower than this times out instead of hanging


@dataclass(frozen=True)
class Sizes:
    """How many jobs each scenario uses."""

    enqueue: int = 20_000
    drain: int = 20_000
    fork: int = 2_000
    pickup_seconds: float = 5.0
    pickup_rate: float = 100.0
    calls: int = 3_000  # hot calls timed, per path (bench.hot_calls)
    lateness: int = 1_000  # delayed jobs, due at random times over lateness_spread seconds
    lateness_spread: float = 10.0


QUICK = Sizes(
    enqueue=500,
    drain=500,
    fork=60,
    pickup_seconds=0.5,
    calls=100,
    lateness=50,
    lateness_spread=1.0,
)


def enqueue(bench: Bench, system: System, count: int) -> list[Measurement]:
    """Enqueue one by one, then in bulk."""
    one_by_one = _enqueue(bench, system, "one", count, "enqueue-one", "one call per job")
    bulk = _enqueue(bench, system, "bulk", count, "enqueue-bulk", system.bulk_api)
    bench.flush()
    return [one_by_one, bulk]


def _enqueue(
    bench: Bench, system: System, action: str, count: int, scenario: str, what: str
) -> Measurement:
    """Jobs per second of the client's ``action``, the Redis commands it sent per job, and
    CPU per job: the client's (in the workers' column) and Redis's."""
    census = Census(bench.redis)
    bench.flush()
    start, redis_cpu = census.snapshot(), cpu_seconds(bench.redis_pid)
    run = _client(bench, system, action, count)
    redis_cpu = cpu_seconds(bench.redis_pid) - redis_cpu
    commands = census.commands_between(start, census.snapshot())
    return Measurement(
        scenario,
        system.name,
        what,
        count,
        rate=count / run.seconds,
        commands=per_job(commands, count),
        worker_cpu_ms=run.cpu_seconds * 1000 / count,
        redis_cpu_ms=redis_cpu * 1000 / count,
    )


def _client(bench: Bench, system: System, action: str, count: int, *more: str) -> ClientRun:
    timeout = START_TIMEOUT + count / SLOWEST_RATE
    return run_client(bench, system.client_command(action, str(count), *more), timeout)


@dataclass(frozen=True)
class Drain:
    """One drain: which workers, how many processes, how many jobs."""

    scenario: str
    command: list[str]
    what: str  # the workers, in words
    processes: int = 1
    count: int = 0
    cpu: int | None = None  # keep the one worker on this CPU
    children: bool = False  # measure the workers' children too (a supervisor's workers)


def drain(bench: Bench, system: System, run: Drain) -> Measurement:
    """Fill the queue with ``run.count`` no-op jobs, start the workers, time them emptying it."""
    bench.flush()
    _client(bench, system, "bulk", run.count)
    census = Census(bench.redis)
    with Workers(bench) as workers:
        for _ in range(run.processes):
            workers.start(run.command, run.cpu)
        _wait_for_done(census, workers, 1, START_TIMEOUT)
        pids = _measured(workers, run.children)
        start, costs_start = census.snapshot(), _costs(bench, pids)
        _wait_for_done(census, workers, run.count, START_TIMEOUT + run.count / SLOWEST_RATE)
        end, costs_end = census.snapshot(), _costs(bench, pids)
        rss = [peak_rss_mib(pid) for pid in pids]
    jobs = end.done - start.done
    cost = [(after - before) / jobs for before, after in zip(costs_start, costs_end, strict=True)]
    return Measurement(
        run.scenario,
        system.name,
        run.what,
        run.count,
        rate=jobs / (end.at - start.at),
        peak_rss_mib=[mib for mib in rss if mib is not None],
        commands=per_job(Census.commands_between(start, end), jobs),
        worker_cpu_ms=cost[0] * 1000,
        redis_cpu_ms=cost[1] * 1000,
        switches=cost[2],
        faults=cost[3],
    )


def _measured(workers: Workers, children: bool) -> list[int]:
    """The processes whose CPU and memory count: the workers, and with ``children`` theirs."""
    if not children:
        return workers.pids
    return [*workers.pids, *(pid for pid in workers.pids for pid in child_pids(pid))]


def describe(mode: WorkerMode, processes: int) -> str:
    how = {"thread": "10 threads", "fork": "fork per job", "simple": "no fork"}[mode]
    return f"{processes} process{'es' if processes > 1 else ''}, {how}"


def _costs(bench: Bench, pids: list[int]) -> tuple[float, float, int, int]:
    """The workers' CPU, Redis's CPU, the workers' context switches and page faults."""
    counts = [switches_and_faults(pid) for pid in pids]
    return (
        sum(cpu_seconds(pid) for pid in pids),
        cpu_seconds(bench.redis_pid),
        sum(switches for switches, _ in counts),
        sum(faults for _, faults in counts),
    )


def _wait_for_done(census: Census, workers: Workers, count: int, timeout: float) -> None:
    def reached() -> bool:
        workers.check_alive()
        return census.done() >= count

    wait_until(reached, timeout, f"{count} jobs done")


def pickup(bench: Bench, system: System, mode: WorkerMode, sizes: Sizes) -> Measurement | None:
    """Latency from enqueue to perform, with an idle worker and jobs arriving steadily."""
    command = system.worker_command(mode)
    if command is None:
        return None
    bench.flush()
    census = Census(bench.redis)
    arrivals = int(sizes.pickup_seconds * sizes.pickup_rate)
    with Workers(bench) as workers:
        workers.start(command)
        _client(bench, system, "one", 1)  # warm-up: the worker is up and has run a job
        _wait_for_done(census, workers, 1, START_TIMEOUT)
        _client(bench, system, "pickup", arrivals, f"{sizes.pickup_rate:g}")
        _wait_for_done(census, workers, 1 + arrivals, START_TIMEOUT)
        rss = [peak_rss_mib(pid) for pid in workers.pids]
    waits_ms = sorted(float(w) * 1000 for w in bench.redis.lrange(PICKUP_KEY, 0, -1))
    return Measurement(
        f"pickup-{mode}",
        system.name,
        f"{describe(mode, 1)}, {sizes.pickup_rate:g} jobs/s",
        arrivals,
        p50_ms=statistics.median(waits_ms),
        p99_ms=_percentile(waits_ms, 0.99),
        peak_rss_mib=[mib for mib in rss if mib is not None],
    )


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]
