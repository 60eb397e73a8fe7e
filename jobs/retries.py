"""Automatic retries: the policy that decides, when a job raises, whether it runs again and when.

1. A job class says how it wants to be retried, with class attributes::

       class CheckSpam(jobs.Job):
           retry = 5                                   # retries after the first run (or False)
           retry_on = (ConnectionError, TimeoutError)  # only these errors retry
           retry_in = staticmethod(lambda count, error: 60 * (count + 1))  # seconds

   ``jobs.Job`` subclasses retry :data:`DEFAULT_RETRIES` times, as Sidekiq does; Resque-style
   classes (a plain class with ``perform``) do not retry unless they set ``retry``.
2. A job may raise :class:`Retry` to ask for a retry after a delay it chooses.
3. :func:`decide` turns (job class, error, retries so far) into :class:`RetryAt` or
   :class:`GiveUp`. It is a pure function: no Redis, no clock, and the jitter comes from a
   random source you can pass in, so it is tested on its own.

What it leaves to others: :mod:`jobs.settle` asks it and settles the job (into the
retries sorted set, or a failure record); :mod:`jobs.payload` holds the retry fields a
waiting retry carries; :mod:`jobs.scheduler` moves a retry back to its
queue when it is due.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_RETRIES = 25  # Sidekiq's: about 20 days of retries with the default backoff

Backoff = Callable[[int, BaseException], float]


class Retry(Exception):
    """Raise from ``perform`` to run the job again later, e.g. when an API says "come back in
    a minute". It counts as an attempt: the class's retry limit still applies (or
    :data:`DEFAULT_RETRIES`, for a class that does not retry on its own)."""

    def __init__(self, in_seconds: float | None = None, reason: str = "") -> None:
        self.in_seconds = in_seconds
        message = reason or "the job asked to be retried"
        if in_seconds is not None:
            message += f" in {in_seconds:g}s"
        super().__init__(message)


def backoff(count: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``count + 1`` (``count`` retries done so far):
    ``count**4 + 15 + jitter``, with jitter uniform in ``[0, 10 * (count + 1))``.

    15 to 25 s, then 16 to 36 s, 31 to 61 s, 96 to 136 s ... 25 retries span about 20 days.
    The jitter spreads out jobs that failed together (say, all at once when an API went
    down), so they do not all come back in the same second.
    """
    jitter = (rng or random).random() * 10 * (count + 1)
    return float(count**4 + 15) + jitter


@dataclass(frozen=True)
class RetryAt:
    """Run the job again in ``in_seconds``; it will then be retry number ``count``."""

    in_seconds: float
    count: int


@dataclass(frozen=True)
class GiveUp:
    """Do not retry. ``exhausted``: the job did retry, as often as it was allowed to;
    ``attempts``: how many times it ran in all."""

    attempts: int
    exhausted: bool


def retry_limit(job_class: type, error: BaseException) -> int:
    """How many retries ``job_class`` gets after ``error`` (0: none)."""
    setting = getattr(job_class, "retry", None)
    if isinstance(error, Retry) and not setting:
        return DEFAULT_RETRIES  # asking explicitly works even where retries are off
    if setting is True:
        return DEFAULT_RETRIES
    if isinstance(setting, bool) or not isinstance(setting, int):
        return 0
    return max(0, setting)


def retries_on(job_class: type, error: BaseException) -> bool:
    """Whether ``error`` is one the class retries on (``retry_on``; every Exception by
    default). A :class:`Retry` always is; so a SystemExit or KeyboardInterrupt never is."""
    if isinstance(error, Retry):
        return True
    kinds: Any = getattr(job_class, "retry_on", (Exception,))
    return isinstance(error, kinds)


def delay_of(job_class: type, error: BaseException, count: int, rng: random.Random | None) -> float:
    """The wait before the next retry: what :class:`Retry` asked for, else the class's
    ``retry_in(count, error)``, else :func:`backoff`. Never negative."""
    if isinstance(error, Retry) and error.in_seconds is not None:
        return max(0.0, error.in_seconds)
    custom: Backoff | None = getattr(job_class, "retry_in", None)
    seconds = custom(count, error) if custom is not None else backoff(count, rng)
    return max(0.0, float(seconds))


def decide(
    job_class: type, error: BaseException, retried: int, rng: random.Random | None = None
) -> RetryAt | GiveUp:
    """What to do with a job of ``job_class`` that raised ``error`` after ``retried`` retries."""
    limit = retry_limit(job_class, error)
    if limit == 0 or not retries_on(job_class, error):
        return GiveUp(attempts=retried + 1, exhausted=False)
    if retried >= limit:
        return GiveUp(attempts=retried + 1, exhausted=True)
    return RetryAt(delay_of(job_class, error, retried, rng), count=retried + 1)
