"""Benchmark tasks for Huey (``huey_consumer bench.jobs_huey.huey``): Huey's defaults, on the
benchmark's Redis (``REDIS_URL``); and how the benchmark enqueues them (:mod:`bench.enqueuer`)."""

from __future__ import annotations

import os

from huey import RedisHuey

from bench import job_body

# REDIS_URL is required: the benchmark must never reach a Redis it did not start.
huey = RedisHuey("bench", url=os.environ["REDIS_URL"])


@huey.task()
def noop() -> None:
    job_body.count_done()


@huey.task()
def pickup(enqueued_at: float) -> None:
    job_body.record_pickup(enqueued_at)


def enqueue_one() -> None:
    noop()


def enqueue_many(count: int) -> None:
    # Huey has no bulk enqueue: task.map sends one LPUSH per job.
    noop.map([() for _ in range(count)])


def enqueue_pickup(enqueued_at: float) -> None:
    pickup(enqueued_at)
