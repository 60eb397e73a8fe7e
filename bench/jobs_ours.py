"""Benchmark jobs for our queue (``python -m jobs work --import bench.jobs_ours``), and how the
benchmark enqueues them (:mod:`bench.enqueuer`)."""

from __future__ import annotations

import functools
import os

from bench import job_body
from bench.system import QUEUE
from jobs.client import Client
from jobs.settings import Settings
from jobs.store import Store


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


@functools.cache
def client() -> Client:
    # REDIS_URL is required: the benchmark must never reach a Redis it did not start.
    url = os.environ["REDIS_URL"]
    return Client(Store(url), Settings(redis_url=url))


def enqueue_one() -> None:
    client().enqueue(Noop)


def enqueue_many(count: int) -> None:
    client().enqueue_many(Noop, [[] for _ in range(count)])


def enqueue_pickup(enqueued_at: float) -> None:
    client().enqueue(Pickup, enqueued_at)
