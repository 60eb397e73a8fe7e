"""Our queue (``jobs/``) as the harness drives it: with the project's interpreter, or with one
whose redis-py is another version (:func:`bench.venvs.ours_python`)."""

from __future__ import annotations

import sys

from bench.system import QUEUE, THREADS, WorkerMode, python_client


class Ours:
    bulk_api = "Client.enqueue_many"

    def __init__(
        self, python: str = sys.executable, name: str = "ours", metrics: bool = True
    ) -> None:
        """``metrics=False``: workers started with ``JOBS_METRICS=0``, recording no run-time
        metrics (to measure what they cost: see bench/metrics_cost.py)."""
        self.python = python
        self.name = name if metrics else f"{name}, metrics off"
        self.metrics = metrics

    def client_command(self, *args: str) -> list[str]:
        return python_client(self.python, "bench.jobs_ours", *args)

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        switch = [] if self.metrics else ["env", "JOBS_METRICS=0"]
        base = [*switch, self.python, "-m", "jobs", "work", "--queue", QUEUE]
        base += ["--import", "bench.jobs_ours"]
        if mode == "thread":
            return [*base, "--threads", str(THREADS), "--no-fork"]
        if mode == "fork":
            return [*base, "--threads", "1", "--fork"]
        return [*base, "--threads", "1", "--no-fork"]

    def supervised_command(self, count: int) -> list[str]:
        """``COUNT=count``: one ``jobs work`` that starts and supervises ``count`` workers."""
        command = self.worker_command("thread")
        assert command is not None
        return [*command, "--count", str(count)]
