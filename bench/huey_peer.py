"""Huey as the harness drives it: its thread consumer (``-k thread -w 10``), Huey's defaults
otherwise (RedisHuey: LPUSH to enqueue, BRPOP to fetch)."""

from __future__ import annotations

import sys

from bench.system import THREADS, WorkerMode


class HueyPeer:
    name = "Huey"
    bulk_api = "task.map (one LPUSH per job: Huey has no bulk enqueue)"

    def __init__(self, redis_url: str) -> None:
        # Imported here: the module reads REDIS_URL, which the harness sets once Redis is up.
        from bench import jobs_huey

        self.tasks = jobs_huey

    def enqueue_noop(self) -> None:
        self.tasks.noop()

    def enqueue_noops(self, count: int) -> None:
        self.tasks.noop.map([() for _ in range(count)])

    def enqueue_pickup(self, enqueued_at: float) -> None:
        self.tasks.pickup(enqueued_at)

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        if mode != "thread":
            return None
        consumer = [sys.executable, "-m", "huey.bin.huey_consumer", "bench.jobs_huey.huey"]
        return [*consumer, "--worker-type", "thread", "--workers", str(THREADS), "--quiet"]
