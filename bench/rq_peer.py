"""RQ as the harness drives it: its default forking ``Worker``, and ``SimpleWorker`` (no fork)
for memory. RQ's defaults otherwise; logging at WARNING like the others (``--quiet``)."""

from __future__ import annotations

import sys

import redis
from rq import Queue

from bench import jobs_rq
from bench.jobs_ours import QUEUE
from bench.system import WorkerMode

WORKER_CLASSES = {"fork": "rq.worker.Worker", "simple": "rq.worker.SimpleWorker"}


class RQPeer:
    name = "RQ"
    bulk_api = "Queue.enqueue_many (one pipeline)"

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.queue = Queue(QUEUE, connection=redis.Redis.from_url(redis_url))

    def enqueue_noop(self) -> None:
        self.queue.enqueue(jobs_rq.noop)

    def enqueue_noops(self, count: int) -> None:
        self.queue.enqueue_many([Queue.prepare_data(jobs_rq.noop) for _ in range(count)])

    def enqueue_pickup(self, enqueued_at: float) -> None:
        self.queue.enqueue(jobs_rq.pickup, enqueued_at)

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        if mode not in WORKER_CLASSES:
            return None
        worker = [sys.executable, "-m", "rq.cli", "worker", "--quiet", "--url", self.redis_url]
        return [*worker, "--worker-class", WORKER_CLASSES[mode], QUEUE]
