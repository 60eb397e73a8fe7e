"""The Redis boundary: the only package that talks to Redis.

Everything else in ``jobs`` asks a :class:`Store` for what it needs, in the learner's words
(push a job, fetch one, register a worker), and never sees a key name or a Redis command.
Key names are built in :mod:`jobs.store.keys` (whose docstring is the key map); every change
to several keys at once is a Lua script in ``lua/``, wrapped in :mod:`jobs.store.scripts`.
"""

from __future__ import annotations

import functools

import redis

from jobs.store.browse import KeyBrowser
from jobs.store.clock import RedisClock
from jobs.store.connection import (
    CONNECTION_ERRORS,
    NotReplicated,
    RedisUnavailable,
    connect,
    redact,
)
from jobs.store.delayed import MOVE_BATCH, DelayedSet, DelayedStore
from jobs.store.failures import FailureStore
from jobs.store.keys import Keys
from jobs.store.landing import Landing
from jobs.store.metrics import BUCKET_BOUNDS_US, BUCKETS, ClassRuns, MetricsStore
from jobs.store.monitor import MonitorStore, RecordSlice, SilentHost, WorkerReading
from jobs.store.queues import SCHEDULER_WAKEUP, QueueStore, WakeupSubscription, entry_parts
from jobs.store.recurring import RecurringStore
from jobs.store.scripts import RequeueOutcome, RequeueReason, Scripts
from jobs.store.stats import StatsStore
from jobs.store.status import STATUS_SECONDS, StatusStore
from jobs.store.workers import WorkerStore

__all__ = [
    "BUCKETS",
    "BUCKET_BOUNDS_US",
    "CONNECTION_ERRORS",
    "MOVE_BATCH",
    "SCHEDULER_WAKEUP",
    "ClassRuns",
    "DelayedSet",
    "DelayedStore",
    "FailureStore",
    "KeyBrowser",
    "Keys",
    "Landing",
    "MetricsStore",
    "MonitorStore",
    "NotReplicated",
    "QueueStore",
    "RecordSlice",
    "RecurringStore",
    "RedisClock",
    "RedisUnavailable",
    "RequeueOutcome",
    "RequeueReason",
    "SilentHost",
    "StatsStore",
    "StatusStore",
    "Store",
    "WakeupSubscription",
    "WorkerReading",
    "WorkerStore",
    "entry_parts",
    "open_store",
    "redact",
]


def open_store(url: str, namespace: str = "resque") -> Store:
    """The store at ``url``, under ``namespace``: the one way in for the client, the workers,
    the scheduler and the monitor. Any URL redis-py reads (``redis://``, ``rediss://``,
    ``unix://``), or ``redis+sentinel://`` (see :mod:`jobs.store.connection`)."""
    return Store(url, namespace)


class Store:
    """One Redis connection and namespace, seen as queues, workers, failures, delayed jobs
    (for later, and retries), recurring schedules' ticks, and each job's status."""

    def __init__(self, url: str, namespace: str = "resque") -> None:
        self.url = url
        self.client: redis.Redis = connect(url)
        self.keys = Keys(namespace)
        scripts = Scripts(self.client, self.keys, STATUS_SECONDS)
        self.workers = WorkerStore(self.client, self.keys, scripts)
        self.clock = RedisClock(self.workers.now_ms)
        self.queues = QueueStore(self.client, self.keys, scripts, self.clock.minute)
        self.failures = FailureStore(self.client, self.keys, scripts)
        self.stats = StatsStore(self.client, self.keys)
        self.delayed = DelayedStore(self.client, self.keys, scripts, self.clock.minute)
        self.recurring = RecurringStore(self.client, self.keys, scripts)
        self.status = StatusStore(self.client, self.keys)

    @functools.cached_property
    def monitor(self) -> MonitorStore:
        """The web monitor's reads, each page in a few round trips (and its buttons)."""
        return MonitorStore(self.client, self.keys)

    @functools.cached_property
    def metrics(self) -> MetricsStore:
        """Run-time metrics per job class and minute, and the queues' latency."""
        return MetricsStore(self.client, self.keys)

    @functools.cached_property
    def browser(self) -> KeyBrowser:
        """Any key of this Redis database, for the monitor's keys browser."""
        return KeyBrowser(self.client)

    def stat(self, name: str) -> int:
        """A Resque counter: ``processed`` or ``failed``."""
        return self.stats.total(name)

    def ping(self) -> None:
        """Check that Redis answers; raise :class:`RedisUnavailable` naming the URL if not."""
        try:
            self.client.ping()
        except redis.ConnectionError as error:
            raise RedisUnavailable(f"cannot reach Redis at {redact(self.url)}: {error}") from error
