"""Benchmark job functions for RQ (``rq worker``): plain functions, as RQ jobs are; and how the
benchmark enqueues them (:mod:`bench.enqueuer`)."""

from __future__ import annotations

import functools
import os

import redis
from rq import Queue

from bench import job_body
from bench.system import QUEUE


def noop() -> None:
    job_body.count_done()


def pickup(enqueued_at: float) -> None:
    job_body.record_pickup(enqueued_at)


@functools.cache
def queue() -> Queue:
    # REDIS_URL is required: the benchmark must never reach a Redis it did not start.
    return Queue(QUEUE, connection=redis.Redis.from_url(os.environ["REDIS_URL"]))


def enqueue_one() -> None:
    queue().enqueue(noop)


def enqueue_many(count: int) -> None:
    queue().enqueue_many([Queue.prepare_data(noop) for _ in range(count)])


def enqueue_pickup(enqueued_at: float) -> None:
    queue().enqueue(pickup, enqueued_at)
