"""Job classes for the scheduler and retry tests. Workers import this module (``--import``).

Like :mod:`tests.jobs.sample_jobs`, they report through Redis lists under ``test:`` so a test
can wait for exactly what it expects instead of sleeping.
"""

from __future__ import annotations

import time
from typing import Any

import jobs
from tests.jobs.sample_jobs import report


class Stamped:
    """Records when it ran (Unix seconds), next to a label: ``label time``."""

    queue = "default"

    @staticmethod
    def perform(label: str) -> None:
        report().rpush("test:ran", f"{label} {time.time():.6f}")


class Flaky(jobs.Job):
    """Fails ``failures`` times with a ConnectionError, then succeeds. Retries quickly
    (0.1 s, 0.2 s, 0.4 s ...) so a real worker gets through them in a test."""

    queue = "default"
    retry = 5
    retry_in = staticmethod(lambda count, error: 0.1 * 2**count)

    def perform(self, token: str, failures: int) -> None:
        attempt = int(report().incr(f"test:attempts:{token}"))
        if attempt <= failures:
            raise ConnectionError(f"attempt {attempt} of {token} failed")
        report().rpush("test:done", f"{token} on attempt {attempt}")


class AlwaysFails(jobs.Job):
    """Never succeeds; two quick retries, then its retries are exhausted."""

    queue = "default"
    retry = 2
    retry_in = staticmethod(lambda count, error: 0)

    def perform(self, token: str) -> None:
        report().incr(f"test:attempts:{token}")
        raise ValueError(f"{token} is broken")

    @classmethod
    def on_retries_exhausted(cls, error: Exception, token: str) -> None:
        report().rpush("test:exhausted", f"{token} {type(error).__name__}: {error}")


class DefaultBackoff(jobs.Job):
    """Fails ``failures`` times, with the default retries and backoff."""

    queue = "default"

    def perform(self, token: str, failures: int) -> None:
        attempt = int(report().incr(f"test:attempts:{token}"))
        if attempt <= failures:
            raise TimeoutError(f"attempt {attempt}")
        report().rpush("test:done", f"{token} on attempt {attempt}")


class OnlyConnectionErrors(jobs.Job):
    """Retries ConnectionError only; anything else fails at once."""

    queue = "default"
    retry_on = (ConnectionError,)

    def perform(self, error: str) -> None:
        raise {"connection": ConnectionError, "value": ValueError}[error](error)


class AsksToRetry:
    """Resque style (no automatic retries), but asks for a retry in 30 s."""

    queue = "default"

    @staticmethod
    def perform(token: str) -> None:
        report().incr(f"test:attempts:{token}")
        raise jobs.Retry(in_seconds=30, reason="the API said: come back later")


class NoRetries(jobs.Job):
    queue = "default"
    retry = False

    def perform(self, *args: Any) -> None:
        raise ValueError("no second chances")


class Maintenance(jobs.Job):
    """What a recurring schedule enqueues in the tests."""

    queue = "maintenance"

    def perform(self, *args: Any) -> None:
        report().rpush("test:done", f"maintenance {args}")
