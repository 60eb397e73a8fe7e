"""Outages: say once that Redis went away, and once that it is back.

When Redis goes, every thread of a worker that talks to it finds out on its own: the loop, and
in thread mode each job thread, settling or fetching. They all report here, and the log shows
one line when Redis goes and one when it is back, each naming it by its URL (password shown as
``***``), instead of a traceback per thread per failed call. The worker's loop waits the outage
out (see :mod:`jobs.worker`); a job thread that lost Redis just lets go of its jobs, which stay
in flight in Redis and are put back once it answers (see :mod:`jobs.housekeeping`).
"""

from __future__ import annotations

import logging
import threading
import time

from jobs.store import CONNECTION_ERRORS, RedisUnavailable

# What a lost Redis raises, wherever a worker talks to it.
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisUnavailable, *CONNECTION_ERRORS)
log = logging.getLogger("jobs.worker")


class OutageLog:
    """Whether Redis is away, as this worker last found it, and the two log lines."""

    def __init__(self, redacted_url: str) -> None:
        self._url = redacted_url
        self._lock = threading.Lock()  # the loop and the job threads report concurrently
        self._lost_at: float | None = None

    @property
    def ongoing(self) -> bool:
        return self._lost_at is not None

    def lost(self, error: Exception) -> None:
        """Some call to Redis failed: log it, unless this outage was already logged."""
        with self._lock:
            if self._lost_at is not None:
                return
            self._lost_at = time.monotonic()
        log.warning("lost Redis at %s (%s); waiting for it", self._url, error)

    def back(self) -> None:
        """A call to Redis succeeded: if an outage was logged, log its end."""
        if self._lost_at is None:  # the usual case, read without the lock
            return
        with self._lock:
            lost_at, self._lost_at = self._lost_at, None
        if lost_at is not None:
            log.warning("Redis is back after %.1fs, at %s", time.monotonic() - lost_at, self._url)
