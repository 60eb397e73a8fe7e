"""What a job is.

Resque style: any class with a ``perform`` static or class method and a ``queue`` attribute::

    class Sleeper:
        queue = "sleep"

        @staticmethod
        def perform(seconds):
            time.sleep(seconds)

    jobs.enqueue(Sleeper, 5)

Sidekiq style: subclass :class:`Job` for ``Sleeper.perform_async(5)`` (and ``perform_in(60, 5)``,
``perform_at(when, 5)``); ``perform`` may then be an ordinary method, and each run gets a
fresh instance. Such jobs retry automatically when they raise (:mod:`jobs.retries`).

Either way the worker finds the class again by its dotted name (``module.Class``), so a job
class must live at the top level of an importable module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from jobs.client import default_client
from jobs.job_class import NotAJobError, class_name_of, perform_callable, queue_of
from jobs.retries import DEFAULT_RETRIES

__all__ = ["Job", "NotAJobError", "class_name_of", "perform_callable", "queue_of"]


class Job:
    """Base class for Sidekiq-style jobs: ``MyJob.perform_async(*args)``, ``perform_in``,
    ``perform_at``. Like Sidekiq's, these retry when they raise: ``retry`` times (25 unless
    the class says otherwise; ``retry = False`` for none), with growing pauses (see
    :mod:`jobs.retries`)."""

    queue: ClassVar[str] = "default"
    retry: ClassVar[int | bool] = DEFAULT_RETRIES

    def perform(self, *args: Any) -> None:
        raise NotImplementedError(f"{type(self).__qualname__} must define perform()")

    @classmethod
    def perform_async(cls, *args: Any) -> str | None:
        """Enqueue this job on its queue with the default client; returns the job's id
        (None if an enqueue hook vetoed it)."""
        return default_client().enqueue(cls, *args)

    @classmethod
    def perform_in(cls, seconds: float, *args: Any) -> str | None:
        """Enqueue this job ``seconds`` from now (by Redis's clock); returns its id."""
        return default_client().enqueue_in(seconds, cls, *args)

    @classmethod
    def perform_at(cls, when: datetime | float, *args: Any) -> str | None:
        """Enqueue this job at ``when`` (an aware datetime, or Unix seconds); returns its id."""
        return default_client().enqueue_at(when, cls, *args)
