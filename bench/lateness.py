"""Lateness of delayed jobs: how long after its due time a job starts running.

:func:`measure_lateness` schedules ``n`` jobs (``enqueue_at``) due at random moments over
``spread`` seconds, runs one worker process (which runs the scheduler loop), and reports the
percentiles of (time the job started - its due time), in seconds. Each job carries its own
due time, so nothing else needs to be matched up afterwards.

The worker runs jobs in its own process (``--no-fork``) by default: 1,000 jobs in 10 s is
100 a second, and a fork per job (about 20 ms on a small VM) would make this a measure of
fork throughput, not of the scheduler. ``fork=True`` measures that case.

    python -m bench.lateness        # against REDIS_URL, or the project's own Redis

Run it against a Redis nobody else is using: it empties nothing, but reads the list
``bench:lateness`` that its jobs write to.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from jobs.client import Client
from jobs.settings import Settings
from jobs.store import Store

QUEUE = "lateness"
RESULTS = "bench:lateness"
ROOT = Path(__file__).resolve().parents[1]
_connections: dict[int, redis.Redis] = {}


class LateProbe:
    """Records how late it started: now - ``due`` (Unix seconds)."""

    queue = QUEUE

    @staticmethod
    def perform(due: float) -> None:
        late = time.time() - due
        pid = os.getpid()
        if pid not in _connections:  # a forked child must not share its parent's socket
            _connections[pid] = redis.Redis.from_url(os.environ["REDIS_URL"])
        _connections[pid].rpush(RESULTS, f"{late:.6f}")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def measure_lateness(
    redis_url: str, n: int = 1000, spread: float = 10.0, fork: bool = False
) -> dict[str, float]:
    """p50, p99 and max lateness (seconds) of ``n`` jobs due over ``spread`` seconds, run by
    one worker."""
    client = Client(Store(redis_url), Settings(redis_url=redis_url))
    raw = client.store.client
    raw.delete(RESULTS)
    env = {**os.environ, "REDIS_URL": redis_url, "JOBS_IMPORT": "bench.lateness"}
    command = [sys.executable, "-m", "jobs", "work", "--queue", QUEUE]
    command.append("--fork" if fork else "--no-fork")
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait(lambda: any(f":{worker.pid}:" in w for w in client.store.workers.ids()), 30, "worker")
        start = time.time() + 1.0  # scheduling all of them takes well under a second
        for due in sorted(start + random.random() * spread for _ in range(n)):
            client.enqueue_at(due, LateProbe, due)
        _wait(lambda: raw.llen(RESULTS) >= n, spread + 60, f"{n} jobs to run")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
    lateness = [float(value) for value in raw.lrange(RESULTS, 0, -1)]  # type: ignore[union-attr]
    raw.delete(RESULTS)
    return {
        "jobs": float(n),
        "p50": _percentile(lateness, 0.50),
        "p99": _percentile(lateness, 0.99),
        "max": max(lateness),
    }


if __name__ == "__main__":
    result = measure_lateness(Settings.from_env().resolved_redis_url())
    print(", ".join(f"{name} {value:.4f}" for name, value in result.items()))
