"""What makes a class a job, whichever style it is written in: its dotted name (how a worker
finds it again), its queue, and what to call with its arguments.

The client, the scheduler and the processor ask this module; the Sidekiq-style base class
:class:`jobs.job.Job` is built on top of it (and of :mod:`jobs.client`), so none of them
needs the base class, and no import goes round in a circle.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any


class NotAJobError(TypeError):
    """The class given to enqueue cannot be run as a job. The message says why."""


@functools.cache
def class_name_of(job_class: type) -> str:
    """The dotted name a worker imports the class by, e.g. ``jobs.dev.demo.Sleeper``."""
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
