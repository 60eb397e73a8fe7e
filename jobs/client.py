"""Enqueueing jobs and looking at queues: the producer's side of the queue.

    client = Client.from_env()
    client.enqueue(Sleeper, 5)              # on Sleeper.queue
    client.enqueue_to("urgent", Sleeper, 1)  # on a queue you name
    client.enqueue_many(Sleeper, [[1], [2], [3]])
    client.enqueue_in(60, Sleeper, 5)       # in a minute (the scheduler loop moves it)
    client.enqueue_at(when, Sleeper, 5)     # at an aware datetime, or Unix seconds

The module-level functions in :mod:`jobs` (``jobs.enqueue`` ...) use a default client built
from the environment on first use, as Resque does; apps and tests can build their own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from jobs import unique
from jobs.delayed_jobs import DelayedJobs, unix_seconds
from jobs.hooks import EnqueueCall, Hooks, default_hooks
from jobs.job_class import class_name_of, queue_of
from jobs.payload import JobNotFound, Payload, PayloadError, encode, encode_many
from jobs.schedule import RecurringState, recurring_states
from jobs.settings import Settings
from jobs.status import JobStatus
from jobs.store import CONNECTION_ERRORS, RedisUnavailable, Store, open_store, redact

# Resque splits worker ids ("host:pid:queue1,queue2") on ':' and ','.
FORBIDDEN_IN_QUEUE_NAMES = frozenset(":,* \t\r\n")
PAGE = 500
T = TypeVar("T")


class InvalidQueueName(ValueError):
    """A queue name Resque could not read back."""


@functools.lru_cache(maxsize=1024)
def check_queue_name(name: str) -> str:
    if not name or FORBIDDEN_IN_QUEUE_NAMES & set(name) or any(c.isspace() for c in name):
        raise InvalidQueueName(
            f"queue name {name!r} must be non-empty and contain no spaces or any of : , *"
        )
    return name


class Client:
    def __init__(self, store: Store, settings: Settings, hooks: Hooks | None = None) -> None:
        self.store = store
        self.settings = settings
        self.hooks = hooks or default_hooks

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> Client:
        settings = settings or Settings.from_env()
        return cls(open_store(settings.resolved_redis_url(), settings.namespace), settings)

    def enqueue(self, job_class: type, *args: Any) -> str | None:
        """Put a job on its class's queue. Returns the job's id (None if a hook vetoed it)."""
        return self.enqueue_to(queue_of(job_class), job_class, *args)

    def enqueue_to(self, queue: str, job_class: type, *args: Any) -> str | None:
        """Put a job on ``queue``. Arguments must be JSON; nothing is written if not.
        A unique job (:mod:`jobs.unique`) whose copy waits already is not pushed again:
        the id returned is the waiting copy's."""
        check_queue_name(queue)
        class_name = class_name_of(job_class)
        lock = unique.lock_for(job_class, class_name, args)
        if lock is not None:
            return self._enqueue_unique(EnqueueCall(job_class, args, queue), lock)
        job = encode(class_name, args, self.settings.max_payload_bytes)
        if not self.hooks.has_enqueue_hooks(job_class):
            self._push(queue, [job[1]])
            return job[0]
        return self._through_hooks(EnqueueCall(job_class, args, queue), job)

    def _enqueue_unique(self, call: EnqueueCall, lock: unique.UniqueLock) -> str | None:
        limit = self.settings.max_payload_bytes
        job_id, payload = encode(class_name_of(call.job_class), call.args, limit, lock.name)

        def push() -> str:
            return self._reaching_redis(
                "enqueue",
                lambda: self.store.queues.push_unique(
                    call.queue, payload, job_id=job_id, lock=lock.name, lock_ms=lock.milliseconds
                ),
            )

        return self.hooks.run_enqueue(call, push)

    def enqueue_many(
        self, job_class: type, many_args: Iterable[Sequence[Any]], queue: str | None = None
    ) -> list[str]:
        """Enqueue one job per argument list. Every list is checked first: one bad list and
        none is written. Without enqueue hooks the jobs are written in a few round trips;
        with hooks, each job goes through them and is written as it passes."""
        queue = check_queue_name(queue or queue_of(job_class))
        class_name, limit = class_name_of(job_class), self.settings.max_payload_bytes
        arg_lists = [argument_list(args) for args in many_args]
        jobs = encode_many(class_name, arg_lists, limit)
        if unique.lock_for(job_class, class_name, []) is not None:  # each takes its own lock
            ids = [self.enqueue_to(queue, job_class, *args) for args in arg_lists]
            return [job_id for job_id in ids if job_id is not None]
        if not self.hooks.has_enqueue_hooks(job_class):
            self._push(queue, [payload for _, payload in jobs])
            return [job_id for job_id, _ in jobs]
        calls = [EnqueueCall(job_class, tuple(args), queue) for args in arg_lists]
        ids = [self._through_hooks(call, job) for call, job in zip(calls, jobs, strict=True)]
        return [job_id for job_id in ids if job_id is not None]

    def _through_hooks(self, call: EnqueueCall, job: tuple[str, bytes]) -> str | None:
        job_id, payload = job

        def push() -> str:
            self._push(call.queue, [payload])
            return job_id

        return self.hooks.run_enqueue(call, push)

    def _push(self, queue: str, payloads: list[bytes]) -> None:
        # _reaching_redis's work, written out: this is every enqueue's path.
        try:
            self.store.queues.push(queue, payloads, **self._replicas())
        except CONNECTION_ERRORS as error:
            raise self._unreachable("enqueue", error) from error

    def _reaching_redis(self, what: str, write: Callable[[], T]) -> T:
        """``write()``, with Redis out of reach reported as RedisUnavailable naming the URL."""
        try:
            return write()
        except CONNECTION_ERRORS as error:
            raise self._unreachable(what, error) from error

    def _unreachable(self, what: str, error: Exception) -> RedisUnavailable:
        return RedisUnavailable(
            f"cannot {what}: Redis at {redact(self.store.url)} is unreachable ({error})"
        )

    def _replicas(self) -> dict[str, int]:
        """How many replicas must have a job before enqueue returns (``JOBS_ENQUEUE_REPLICAS``)."""
        timeout_ms = int(self.settings.enqueue_replicas_timeout * 1000)
        return {"replicas": self.settings.enqueue_replicas, "timeout_ms": timeout_ms}

    def enqueue_at(self, when: datetime | float, job_class: type, *args: Any) -> str | None:
        """Put a job on its class's queue at ``when``: a timezone-aware datetime, or Unix
        seconds. A time that has passed enqueues it now. Returns the job's id."""
        at_ms = round(unix_seconds(when) * 1000)
        return self._schedule(job_class, args, {"at_ms": at_ms})

    def enqueue_in(self, seconds: float, job_class: type, *args: Any) -> str | None:
        """Put a job on its class's queue ``seconds`` from now, by Redis's clock (so every
        machine agrees on when that is). Returns the job's id."""
        return self._schedule(job_class, args, {"in_ms": round(seconds * 1000)})

    def _schedule(self, job_class: type, args: tuple[Any, ...], when: dict[str, int]) -> str | None:
        """Hold a job in the scheduled set; the enqueue hooks run now, when it is scheduled,
        not again when the scheduler moves it to its queue."""
        queue = check_queue_name(queue_of(job_class))
        job_id, payload = encode(class_name_of(job_class), args, self.settings.max_payload_bytes)

        def schedule() -> str:
            self._reaching_redis(
                "schedule",
                lambda: self.store.delayed.schedule(queue, payload, **when, **self._replicas()),
            )
            return job_id

        return self.hooks.run_enqueue(EnqueueCall(job_class, args, queue), schedule)

    def delayed(self) -> DelayedJobs:
        """The delayed jobs (``enqueue_at``/``enqueue_in``): list, remove, enqueue now."""
        return DelayedJobs(self.store, "scheduled")

    def retrying(self) -> DelayedJobs:
        """The jobs waiting for an automatic retry: list, remove, enqueue now."""
        return DelayedJobs(self.store, "retries")

    def recurring(self, now_ms: int | None = None) -> list[RecurringState]:
        """The recurring schedules the scheduler loops run, each with its last and next run."""
        return recurring_states(self.store, now_ms)

    def remove_delayed(self, job_class: type, *args: Any) -> int:
        """Remove delayed jobs of this class with exactly these arguments (as
        resque-scheduler's ``remove_delayed``); returns how many."""
        return self.delayed().remove_matching(class_name_of(job_class), list(args))

    def dequeue(self, job_class: type, *args: Any) -> int:
        """Remove waiting jobs of this class with exactly these arguments, whatever else
        their payloads carry. Returns how many were removed."""
        queue, class_name = queue_of(job_class), class_name_of(job_class)
        wanted = list(args)
        removed = 0
        for data in self._waiting_where(queue, lambda data: _matches(data, class_name, wanted)):
            removed += self._take_off(queue, data)
        return removed

    def _take_off(self, queue: str, data: bytes) -> int:
        """Remove one waiting payload; a unique job's lock goes with it, so that the job can
        be enqueued again at once."""
        removed = self.store.queues.remove_payload(queue, data)
        if removed:
            body = _readable(data)
            lock, job_id = body.get("unique"), body.get("id")
            if isinstance(lock, str) and isinstance(job_id, str):
                self.store.queues.release_unique(lock, job_id)
        return removed

    def cancel(self, job_id: str) -> None:
        """Take the job with this id off wherever it waits: a queue, the delayed jobs or the
        retries; it will not run. Raises :class:`~jobs.payload.JobNotFound` if it waits
        nowhere: a worker took it (it runs, or has run), or there is no such job."""
        for queue in self.queues():
            for data in self._with_id(queue, job_id):
                if self._take_off(queue, data):
                    return
        for waiting in (self.delayed(), self.retrying()):
            try:
                waiting.remove(job_id)
                return
            except JobNotFound:
                continue
        raise JobNotFound(job_id)

    def _with_id(self, queue: str, job_id: str) -> list[bytes]:
        # A cheap look for the id's text first; only the payloads that hold it are decoded.
        needle = f'"id":"{job_id}"'.encode()
        return self._waiting_where(
            queue, lambda data: needle in data and _job_id_of(data) == job_id
        )

    def _waiting_where(self, queue: str, wanted: Callable[[bytes], bool]) -> list[bytes]:
        """The payloads waiting on ``queue`` that ``wanted`` keeps, read a page at a time."""
        found: list[bytes] = []
        start = 0
        while page := self.store.queues.peek(queue, start, PAGE):
            found += [data for data in page if wanted(data)]
            start += len(page)
        return found

    def status(self, job_id: str) -> JobStatus | None:
        """What last happened to the job with this id (see :mod:`jobs.status`). None when it
        has no status: no worker has taken it yet, its status has expired, or no such job."""
        fields = self.store.status.read(job_id)
        return JobStatus.from_fields(job_id, fields) if fields else None

    def queues(self) -> list[str]:
        return self.store.queues.names()

    def size(self, queue: str) -> int:
        return self.store.queues.size(queue)

    def peek(self, queue: str, start: int = 0, count: int = 1) -> list[dict[str, Any]]:
        """Waiting jobs' payloads, oldest first, without taking them (unreadable ones as
        ``{"raw": text}``)."""
        return [_readable(data) for data in self.store.queues.peek(queue, start, count)]

    def remove_queue(self, queue: str) -> int:
        """Remove a queue and the jobs waiting on it; returns how many jobs were removed."""
        return self.store.queues.remove_queue(queue)


def _matches(data: bytes, class_name: str, args: list[Any]) -> bool:
    try:
        return Payload.decode(data).matches(class_name, args)
    except PayloadError:
        return False


def _job_id_of(data: bytes) -> str | None:
    try:
        return Payload.decode(data).job_id
    except PayloadError:
        return None


def argument_list(args: Sequence[Any]) -> list[Any]:
    """One job's arguments in a bulk enqueue: a list or tuple (a string is not one)."""
    if type(args) is list or type(args) is tuple:  # the usual case, without an ABC's check
        return list(args)
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise TypeError(f"enqueue_many takes a list of argument lists; got {args!r} as one")
    return list(args)


def _readable(data: bytes) -> dict[str, Any]:
    try:
        return Payload.decode(data).body
    except PayloadError:
        return {"raw": data.decode("utf-8", "replace")}


_default: Client | None = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The client the module-level functions use, built from the environment once."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Client.from_env()
        return _default


def current_default_client() -> Client | None:
    """The default client if one has been built or set, without building one."""
    with _default_lock:
        return _default


def set_default_client(client: Client | None) -> None:
    """Replace (or with None, forget) the default client, e.g. in an app factory or a test."""
    global _default
    with _default_lock:
        _default = client
