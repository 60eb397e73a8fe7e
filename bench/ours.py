"""Our queue (``jobs/``) as the harness drives it."""

from __future__ import annotations

import sys

from bench.jobs_ours import QUEUE, Noop, Pickup
from bench.system import THREADS, WorkerMode
from jobs.client import Client
from jobs.settings import Settings
from jobs.store import Store


class Ours:
    bulk_api = "Client.enqueue_many"

    def __init__(self, redis_url: str, metrics: bool = True) -> None:
        """``metrics=False``: workers started with ``JOBS_METRICS=0``, recording no run-time
        metrics (to measure what they cost: see bench/metrics_cost.py)."""
        self.client = Client(Store(redis_url), Settings(redis_url=redis_url))
        self.metrics = metrics
        self.name = "ours" if metrics else "ours, metrics off"

    def enqueue_noop(self) -> None:
        self.client.enqueue(Noop)

    def enqueue_noops(self, count: int) -> None:
        self.client.enqueue_many(Noop, [[] for _ in range(count)])

    def enqueue_pickup(self, enqueued_at: float) -> None:
        self.client.enqueue(Pickup, enqueued_at)

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        switch = [] if self.metrics else ["env", "JOBS_METRICS=0"]
        base = [*switch, sys.executable, "-m", "jobs", "work", "--queue", QUEUE]
        base += ["--import", "bench.jobs_ours"]
        if mode == "thread":
            return [*base, "--threads", str(THREADS), "--no-fork"]
        if mode == "fork":
            return [*base, "--threads", "1", "--fork"]
        return [*base, "--threads", "1", "--no-fork"]
