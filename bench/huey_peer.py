"""Huey as the harness drives it, in its own virtualenv (``pip install huey redis``): its thread
consumer (``-k thread -w 10``), Huey's defaults otherwise (RedisHuey: LPUSH to enqueue, BRPOP
to fetch)."""

from __future__ import annotations

from bench.system import THREADS, WorkerMode, python_client


class HueyPeer:
    name = "Huey"
    bulk_api = "task.map (one LPUSH per job: Huey has no bulk enqueue)"

    def __init__(self, python: str) -> None:
        self.python = python

    def client_command(self, *args: str) -> list[str]:
        return python_client(self.python, "bench.jobs_huey", *args)

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        if mode != "thread":
            return None
        consumer = [self.python, "-m", "huey.bin.huey_consumer", "bench.jobs_huey.huey"]
        return [*consumer, "--worker-type", "thread", "--workers", str(THREADS), "--quiet"]
