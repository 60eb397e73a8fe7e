"""Benchmark jobs for our queue (``python -m jobs work --import bench.jobs_ours``)."""

from __future__ import annotations

from bench import job_body

QUEUE = "bench"


class Noop:
    """Does nothing but count itself done."""

    queue = QUEUE

    @staticmethod
    def perform() -> None:
        job_body.count_done()


class Pickup:
    """Records how long it waited between enqueue and perform."""

    queue = QUEUE

    @staticmethod
    def perform(enqueued_at: float) -> None:
        job_body.record_pickup(enqueued_at)
