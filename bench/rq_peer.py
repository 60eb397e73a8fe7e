"""RQ as the harness drives it, in its own virtualenv (``pip install rq``): its default forking
``Worker``, and ``SimpleWorker`` (no fork) for memory. RQ's defaults otherwise; logging at
WARNING like the others (``--quiet``)."""

from __future__ import annotations

from bench.system import QUEUE, WorkerMode, python_client

WORKER_CLASSES = {"fork": "rq.worker.Worker", "simple": "rq.worker.SimpleWorker"}


class RQPeer:
    name = "RQ"
    bulk_api = "Queue.enqueue_many (one pipeline)"

    def __init__(self, python: str, redis_url: str) -> None:
        self.python = python
        self.redis_url = redis_url

    def client_command(self, *args: str) -> list[str]:
        return python_client(self.python, "bench.jobs_rq", *args)

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        if mode not in WORKER_CLASSES:
            return None
        worker = [self.python, "-m", "rq.cli", "worker", "--quiet", "--url", self.redis_url]
        return [*worker, "--worker-class", WORKER_CLASSES[mode], QUEUE]
