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

import functools
import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from jobs.retries import DEFAULT_RETRIES


class NotAJobError(TypeError):
    """The class given to enqueue cannot be run as a job. The message says why."""


@functools.cache
def class_name_of(job_class: type) -> str:
    """The dotted name a worker imports the class by, e.g. ``jobs.demo.Sleeper``."""
    module, qualname = job_class.__module__, job_class.__qualname__
    if not callable(getattr(job_class, "perform", None)):
        raise NotAJobError(f"{qualname} has no perform method, so it is not a job")
    if "." in qualname:  # inside a function ("<locals>") or inside another class
        raise NotAJobError(
            f"{qualname} is defined inside a function or another class; a worker finds job"
            " classes by module and name. Define job classes at the top level of a module."
        )
    if module == "__main__":
        raise NotAJobError(
            f"{qualname} is defined in the script being run (__main__); a worker cannot"
            " import it. Move it into a module and import it from there."
        )
    return f"{module}.{qualname}"


def queue_of(job_class: type) -> str:
    queue = getattr(job_class, "queue", None)
    if not isinstance(queue, str) or not queue:
        raise NotAJobError(
            f'{job_class.__qualname__} has no queue; give it one, e.g. queue = "default"'
        )
    return queue


def perform_callable(job_class: type) -> Callable[..., Any]:
    """What to call with the job's arguments: ``perform`` on the class if it is a static or
    class method (Resque), else ``perform`` on a fresh instance (Sidekiq)."""
    if _performs_on_the_class(job_class):
        return job_class.perform  # type: ignore[attr-defined,no-any-return]
    return job_class().perform  # type: ignore[no-any-return]


@functools.cache
def _performs_on_the_class(job_class: type) -> bool:
    raw = inspect.getattr_static(job_class, "perform")
    return isinstance(raw, (staticmethod, classmethod))


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
        from jobs.client import default_client

        return default_client().enqueue(cls, *args)

    @classmethod
    def perform_in(cls, seconds: float, *args: Any) -> str | None:
        """Enqueue this job ``seconds`` from now (by Redis's clock); returns its id."""
        from jobs.client import default_client

        return default_client().enqueue_in(seconds, cls, *args)

    @classmethod
    def perform_at(cls, when: datetime | float, *args: Any) -> str | None:
        """Enqueue this job at ``when`` (an aware datetime, or Unix seconds); returns its id."""
        from jobs.client import default_client

        return default_client().enqueue_at(when, cls, *args)
