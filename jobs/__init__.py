"""A small, crash-safe, Resque-compatible job queue on Redis.

    import jobs

    class Sleeper:
        queue = "sleep"

        @staticmethod
        def perform(seconds):
            time.sleep(seconds)

    jobs.enqueue(Sleeper, 5)     # JSON on the Redis list resque:queue:sleep

and a worker runs it: ``QUEUE=sleep python -m jobs work --import myapp.jobs``.

A job's path, module by module: :mod:`jobs.client` (enqueue) → Redis (:mod:`jobs.store`) →
:mod:`jobs.fetch` → :mod:`jobs.processor` (perform) → :mod:`jobs.settle` (done, retry later,
or failed: :mod:`jobs.failures`).
Workers: :mod:`jobs.worker`, :mod:`jobs.runners`, :mod:`jobs.registry`, :mod:`jobs.recovery`.
Later and again: :mod:`jobs.delayed_jobs` (delayed jobs: for later, and retries),
:mod:`jobs.retries` (the retry policy), :mod:`jobs.schedule` (recurring jobs), and
:mod:`jobs.scheduler`, the loop that puts both on their queues when due.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from jobs import schedule
from jobs.arguments import JobArgumentError
from jobs.client import Client, default_client, set_default_client
from jobs.delayed_jobs import DelayedJobs
from jobs.failures import Failure, Failures
from jobs.job import Job, NotAJobError
from jobs.payload import JobNotFound, PayloadTooLarge
from jobs.retries import Retry
from jobs.schedule import RecurringState
from jobs.settings import Settings
from jobs.status import JobStatus
from jobs.store import RedisUnavailable
from jobs.worker import Worker

__all__ = [
    "Client",
    "Failure",
    "Failures",
    "Job",
    "JobArgumentError",
    "JobNotFound",
    "JobStatus",
    "NotAJobError",
    "PayloadTooLarge",
    "RedisUnavailable",
    "Retry",
    "Settings",
    "Worker",
    "cancel",
    "default_client",
    "delayed",
    "dequeue",
    "enqueue",
    "enqueue_at",
    "enqueue_in",
    "enqueue_many",
    "enqueue_to",
    "failed_jobs",
    "peek",
    "queues",
    "recurring",
    "remove_delayed",
    "retrying",
    "schedule",
    "set_default_client",
    "size",
    "status",
]


def enqueue(job_class: type, *args: Any) -> str | None:
    """Put a job on its class's queue; returns its id (None if a hook vetoed it).
    Arguments must be JSON."""
    return default_client().enqueue(job_class, *args)


def enqueue_to(queue: str, job_class: type, *args: Any) -> str | None:
    """Put a job on the queue you name; returns its id."""
    return default_client().enqueue_to(queue, job_class, *args)


def enqueue_many(job_class: type, many_args: Iterable[Sequence[Any]]) -> list[str]:
    """Enqueue one job per argument list, in bulk; returns their ids."""
    return default_client().enqueue_many(job_class, many_args)


def dequeue(job_class: type, *args: Any) -> int:
    """Remove waiting jobs of this class with exactly these arguments; returns how many."""
    return default_client().dequeue(job_class, *args)


def cancel(job_id: str) -> None:
    """Take a waiting job off its queue (or the delayed jobs, or the retries) by its id: it
    will not run. Raises :class:`JobNotFound` if it waits nowhere (a worker took it)."""
    default_client().cancel(job_id)


def recurring() -> list[RecurringState]:
    """The recurring schedules the scheduler loops run, each with its last and next run."""
    return default_client().recurring()


def status(job_id: str) -> JobStatus | None:
    """What last happened to a job, by the id ``enqueue`` returned: its state (running, done,
    failed, retrying, waiting), times and error. None until a worker takes it."""
    return default_client().status(job_id)


def queues() -> list[str]:
    """Every queue's name."""
    return default_client().queues()


def size(queue: str) -> int:
    """How many jobs wait on ``queue``."""
    return default_client().size(queue)


def peek(queue: str, start: int = 0, count: int = 1) -> list[dict[str, Any]]:
    """Waiting jobs' payloads, oldest first, without taking them."""
    return default_client().peek(queue, start, count)


def failed_jobs() -> Failures:
    """The failure records: list, retry, remove, retry all, clear."""
    return Failures(default_client().store)


def enqueue_at(when: datetime | float, job_class: type, *args: Any) -> str | None:
    """Enqueue a job at ``when`` (an aware datetime, or Unix seconds); a past time: now."""
    return default_client().enqueue_at(when, job_class, *args)


def enqueue_in(seconds: float, job_class: type, *args: Any) -> str | None:
    """Enqueue a job ``seconds`` from now; returns its id."""
    return default_client().enqueue_in(seconds, job_class, *args)


def remove_delayed(job_class: type, *args: Any) -> int:
    """Remove delayed jobs of this class with exactly these arguments; returns how many."""
    return default_client().remove_delayed(job_class, *args)


def delayed() -> DelayedJobs:
    """The delayed jobs: list, remove or enqueue now, by id."""
    return default_client().delayed()


def retrying() -> DelayedJobs:
    """The jobs waiting for an automatic retry: list, remove or enqueue now, by id."""
    return default_client().retrying()


def __getattr__(name: str) -> Any:
    """``jobs.web`` (the monitor) and ``jobs.cli`` (the command line) are imported on first
    use, so ``import jobs`` stays lean. The monitor needs the ``web`` extra; without it, this
    raises :class:`jobs.extras.MissingExtra`, which says what to install."""
    if name not in ("web", "cli"):
        raise AttributeError(f"module 'jobs' has no attribute {name!r}")
    import importlib

    return importlib.import_module(f"jobs.{name}")
