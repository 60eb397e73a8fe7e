"""Unique jobs: at most one copy of a job with the same arguments waits at a time.

    class RecountWords:
        queue = "counts"
        unique = True        # a copy already waiting: enqueue adds nothing
        unique_for = 600     # seconds the lock lives at most (default: an hour)

Enqueueing such a job takes a lock named after its class and arguments, in the same Lua
script that pushes it (``store/lua/enqueue_unique.lua``): if the lock is held, nothing is
pushed and ``enqueue`` returns the id of the copy that waits. The lock is released when a
worker takes the job (``store/lua/fetch.lua``), not when the job ends: a change made while
the job runs may come after what the job already read, so it must be able to queue a copy of
its own. So at most two copies are ever around: one running, one waiting.

A lock always expires (``unique_for``): if its job disappears without a worker taking it
(a queue cleared from the monitor, a Redis that lost the list), enqueueing works again after
that time at the latest. ``jobs.cancel`` and ``jobs.dequeue`` release it at once. A job put
back after a crash goes back whether or not a copy waits: losing no work comes first, so two
copies may then wait for a moment. Delayed and recurring enqueues (``enqueue_in``, schedule
ticks) push without the lock, as a safety net should.

Sidekiq Enterprise (``unique_for``) and resque-loner offer the same idea; Sidekiq's default
releases the lock when the job succeeds, which would lose the change made during the run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from jobs.arguments import check_arguments
from jobs.job_class import NotAJobError

DEFAULT_LOCK_SECONDS = 3600.0


@dataclass(frozen=True)
class UniqueLock:
    """The lock one unique job takes: its name (class and arguments) and how long it lives."""

    name: str
    milliseconds: int


def lock_for(
    job_class: type, class_name: str, args: tuple[Any, ...] | list[Any]
) -> UniqueLock | None:
    """The lock a job of this class with these arguments takes, or None if the class is not
    unique. Raises NotAJobError for a ``unique_for`` that is not a positive number."""
    if getattr(job_class, "unique", False) is not True:
        return None
    seconds = getattr(job_class, "unique_for", DEFAULT_LOCK_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise NotAJobError(
            f"{job_class.__qualname__}.unique_for is {seconds!r}: give the seconds a lock may"
            " live at most, a positive number (e.g. unique_for = 600)"
        )
    return UniqueLock(lock_name(class_name, args), max(1, round(seconds * 1000)))


def lock_name(class_name: str, args: tuple[Any, ...] | list[Any]) -> str:
    """``CLASS:DIGEST``: the class in clear (so ``redis-cli`` shows whose lock it is), and a
    digest of the arguments as JSON sees them (keys sorted, so ``{"a":1,"b":2}`` is one job).
    Arguments JSON cannot carry raise JobArgumentError, naming the argument."""
    check_arguments(class_name, args)
    canonical = json.dumps(list(args), sort_keys=True, separators=(",", ":"))
    return f"{class_name}:{hashlib.sha1(canonical.encode()).hexdigest()}"
