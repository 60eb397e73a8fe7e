"""Fetch: take the next job off the worker's queues and hand it over as a :class:`Delivery`.

The job moves, in one atomic step, from its queue into the worker's in-flight list, and stays
there until the delivery is acknowledged (done), failed, or put back. It is worse to lose a job
than to run it twice, so a worker that dies holding a delivery leaves it where the other
workers will find it and put it back (see :mod:`jobs.recovery`): delivery is *at least once*.

The processor that runs the job only ever calls ``acknowledge``, ``fail``, ``retry`` or
``requeue``; it never touches Redis keys.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from jobs.failures import failure_record
from jobs.payload import Payload
from jobs.settings import Settings
from jobs.store import RequeueOutcome, RequeueReason, Store, entry_parts

WORKER_DIED = "WorkerDied"
# A worker thread takes as many jobs at a time as it expects to finish in BATCH_SECONDS, going
# by how long its last batch took per job, and never more than MAX_BATCH: one at a time when
# jobs are slow, up to MAX_BATCH when they take well under a few milliseconds each.
BATCH_SECONDS = 0.05
MAX_BATCH = 16
log = logging.getLogger("jobs.worker")


@dataclass
class Delivery:
    """One job held in flight by one worker (``worker_id``) until it is settled."""

    store: Store
    settings: Settings
    worker_id: str
    entry: bytes
    queue: str
    payload: bytes
    _decoded: Payload | None = field(default=None, repr=False, compare=False)
    # Set in a worker thread: acknowledged with the thread's next round trip (see BatchFetcher).
    batch: BatchFetcher | None = field(default=None, repr=False, compare=False)
    # Set in a forked child: settle by writing the outcome here instead of to Redis, and the
    # parent, which holds a connection already, settles it (see ForkRunner). A child then needs
    # no Redis connection of its own, and an outcome survives Redis being away.
    report_to: BinaryIO | None = field(default=None, repr=False, compare=False)
    # When the job started running (time.monotonic()), and when it finished: its run time is
    # recorded as it is settled (see jobs.store.metrics).
    started: float = field(default_factory=time.monotonic, repr=False, compare=False)
    ended: float | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, store: Store, settings: Settings, worker_id: str, entry: bytes) -> Delivery:
        """The delivery of an in-flight entry that ``fetch`` just returned."""
        queue, payload = entry_parts(entry)
        return cls(store, settings, worker_id, entry, queue, payload)

    def decoded(self) -> Payload:
        """The payload, read once (raises :class:`PayloadError` if it cannot be)."""
        if self._decoded is None:
            self._decoded = Payload.decode(self.payload, self.settings.max_payload_bytes)
        return self._decoded

    def run_us(self) -> int | None:
        """How long the job ran, in microseconds, for the metrics (None when they are off)."""
        if not self.settings.metrics:
            return None
        return round(((self.ended or time.monotonic()) - self.started) * 1_000_000)

    def acknowledge(self) -> bool:
        """The job is done. False if another worker had already put it back (see module doc).

        In a worker thread, the acknowledgement waits for the thread's next round trip, which
        also takes its next jobs (see :class:`BatchFetcher`); it returns True, and the
        batch fetcher warns if the job turns out to have been put back."""
        if self.report_to is not None:
            return self._report(["acknowledge"])
        if self.batch is not None:
            self.batch.finished(self)
            return True
        return self.store.queues.acknowledge(self.worker_id, self.entry, self.run_us())

    def fail(
        self, exception: str, error: str, backtrace: list[str], attempts: int | None = None
    ) -> bool:
        if self.report_to is not None:
            return self._report(["fail", exception, error, backtrace, attempts])
        record = failure_record(
            self.payload,
            self.queue,
            self.worker_id,
            exception,
            error,
            backtrace,
            attempts,
            max_bytes=self.settings.max_payload_bytes,
        )
        return self.store.queues.fail(
            self.worker_id, self.entry, record, self.settings.failed_max, self.run_us()
        )

    def retry(self, payload: bytes, in_seconds: float) -> bool:
        """The job failed and runs again in ``in_seconds``: it waits in the retries set with
        ``payload`` (the same job, with its retry count and error). False if it was no longer
        in flight."""
        if self.report_to is not None:
            return self._report(["retry", payload.decode("utf-8", "surrogateescape"), in_seconds])
        delay_ms = round(in_seconds * 1000)
        return self.store.scheduled.retry(
            self.worker_id, self.entry, payload, delay_ms, run_us=self.run_us()
        )

    def _report(self, outcome: list[Any]) -> bool:
        assert self.report_to is not None
        self.report_to.write(json.dumps(outcome).encode())
        self.report_to.flush()
        return True  # whether it was still in flight is for the parent to find out

    def settle_as_reported(self, report: bytes) -> bool:
        """In the parent: settle the job as its child reported (see ``report_to``)."""
        how, *args = json.loads(report)
        if how == "acknowledge":
            return self.acknowledge()
        if how == "fail":
            return self.fail(*args)
        payload, in_seconds = args
        return self.retry(payload.encode("utf-8", "surrogateescape"), in_seconds)

    def requeue(self, reason: RequeueReason, cause: str = "") -> RequeueOutcome:
        """Put the job back (see :func:`requeue_entry`); ``cause``: why its process died."""
        return requeue_entry(
            self.store, self.settings, self.worker_id, self.entry, reason, cause=cause
        )


def requeue_entry(
    store: Store,
    settings: Settings,
    worker_id: str,
    entry: bytes,
    reason: RequeueReason,
    expected_beat: str = "",
    cause: str = "",
) -> RequeueOutcome:
    """Put an in-flight entry back on its queue; after ``crash_limit`` crashes, fail it, with
    ``cause`` (why the worker died, when known) in the failure record."""
    queue, payload = entry_parts(entry)
    limit = settings.crash_limit
    message = (
        f"the worker running this job died {limit} times (killed, or crashed by the job);"
        " it was not put back again"
    )
    if cause:
        message += f" (the last time: {cause})"
    record = failure_record(
        payload, queue, worker_id, WORKER_DIED, message, [], max_bytes=settings.max_payload_bytes
    )
    return store.queues.requeue(
        worker_id,
        entry,
        reason,
        crash_limit=limit,
        crash_record=record,
        keep_failed=settings.failed_max,
        expected_beat=expected_beat,
    )


class Fetcher:
    """Takes jobs for a worker from its queues, highest priority first."""

    def __init__(self, store: Store, settings: Settings, queues: Callable[[], list[str]]) -> None:
        self._store = store
        self._settings = settings
        self._queues = queues

    def fetch(self, worker_id: str) -> Delivery | None:
        entry = self._store.queues.fetch(worker_id, self._queues(), run_at())
        if entry is None:
            return None
        return Delivery.of(self._store, self._settings, worker_id, entry)


def run_at(when: float | None = None) -> str:
    """A ``time.time()`` (default: now), as Resque's working record shows when a job started."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


class BatchFetcher:
    """Takes jobs for one worker thread, several at a time when they are quick.

    One round trip acknowledges the jobs the thread finished and takes its next ones, all into
    its own in-flight list, so a batch is as crash-safe as a single job: a worker killed with
    jobs taken but not started, or finished but not yet acknowledged, leaves them in flight,
    and they are put back and run again (at least once).

    The batch size follows the jobs (see ``BATCH_SECONDS``). Quick jobs are where a round trip
    per job is the cost that matters; a slow job taken with others could hold them up, so the
    worker's loop gives back what a thread holds when its current job runs long, and when the
    worker pauses or stops (:meth:`give_back`). The loop also reads :meth:`known` to tell these
    jobs from orphans, so every change of state happens under a lock.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        worker_id: str,
        queues: Callable[[], list[str]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store, self._settings, self.worker_id = store, settings, worker_id
        self._clock = clock  # times the jobs, to size the next batch
        self._queues = queues  # where to take the next jobs from; [] while paused or stopping
        self._lock = threading.Lock()
        self._current: Delivery | None = None
        self._current_since = 0.0  # time.time() it started
        self._shown: Delivery | None = None  # the job the working record names
        self._held: deque[Delivery] = deque()  # taken, not started
        self._done: list[Delivery] = []  # finished, not yet acknowledged
        self._in_round_trip = False
        self._batch_began, self._batch_started = clock(), 0
        self._size = 1

    def begin(self, delivery: Delivery) -> None:
        """The thread is handed ``delivery``, which the worker's loop fetched for it."""
        delivery.batch = self
        with self._lock:
            self._start(delivery)
            self._shown = delivery
        self._batch_began, self._batch_started = self._clock(), 1

    def _start(self, delivery: Delivery | None) -> Delivery | None:
        self._current, self._current_since = delivery, time.time()
        if delivery is not None:
            delivery.started = time.monotonic()
        return delivery

    def finished(self, delivery: Delivery) -> None:
        """``delivery`` is done: acknowledge it with the next round trip."""
        delivery.ended = time.monotonic()
        with self._lock:
            self._done.append(delivery)
            self._current = None

    def next(self) -> Delivery | None:
        """The thread's next job: one it holds, else one from a new round trip (None once the
        queues are empty, or the worker is pausing or stopping)."""
        queues = self._queues()
        with self._lock:
            if queues and self._held:
                self._batch_started += 1
                return self._start(self._held.popleft())
            self._in_round_trip = True
            finished, self._done, self._current = self._done, [], None
        try:
            if not queues:  # pausing or stopping: what it holds goes back for other workers
                self.give_back()
            taken = self._round_trip(finished, queues)
        except BaseException:
            self.forget()
            raise
        with self._lock:
            self._in_round_trip = False
            self._held.extend(taken[1:])
            self._shown = taken[0] if taken else None
            return self._start(self._shown)

    def _round_trip(self, finished: list[Delivery], queues: list[str]) -> list[Delivery]:
        wanted = self._next_size() if queues else 0
        if not (finished or wanted):  # nothing to acknowledge or to take: no need to ask Redis
            self._batch_started = 0
            return []
        run_us = [us for job in finished if (us := job.run_us()) is not None]
        acknowledged, entries = self._store.queues.acknowledge_and_fetch(
            self.worker_id,
            [job.entry for job in finished],
            queues,
            run_at(),
            wanted,
            run_us if self._settings.metrics else None,
        )
        for job, done in zip(finished, acknowledged, strict=True):
            if not done:
                log.warning(
                    "a job from %s finished, but another worker had already put it back (this"
                    " worker was thought dead); it will run again",
                    job.queue,
                )
        taken = [Delivery.of(self._store, self._settings, self.worker_id, e) for e in entries]
        for delivery in taken:
            delivery.batch = self
        self._batch_began, self._batch_started = self._clock(), min(1, len(taken))
        return taken

    def _next_size(self) -> int:
        """As many jobs as the last batch suggests take BATCH_SECONDS (1 to MAX_BATCH), unless
        the settings fix the size."""
        if self._settings.batch_size:
            return self._settings.batch_size
        if self._batch_started:
            per_job = (self._clock() - self._batch_began) / self._batch_started
            self._size = max(1, min(MAX_BATCH, int(BATCH_SECONDS / max(per_job, 1e-6))))
        return self._size

    def forget(self) -> None:
        """Let go of every job this thread holds, after losing Redis while settling or fetching.
        They are still in its in-flight list, where housekeeping finds them, now orphans, and
        puts them back once Redis answers (finished ones run again: at least once)."""
        with self._lock:
            self._current, self._held, self._done = None, deque(), []
            self._in_round_trip = False

    def known(self) -> list[bytes] | None:
        """The entries this thread holds in flight (running, waiting, finished); None in the
        middle of a round trip, when its in-flight list may hold jobs it has not heard of."""
        with self._lock:
            if self._in_round_trip:
                return None
            running = [self._current] if self._current is not None else []
            return [job.entry for job in [*running, *self._held, *self._done]]

    def give_back(self, if_running_for: float = 0.0) -> int:
        """Put the jobs held but not started back on their queues for other workers; with
        ``if_running_for``, only if the current job has run that many seconds. The working
        record is set to the running job if it names another (a batch's record names its
        first job). Returns how many jobs went back."""
        with self._lock:
            running = self._current
            if if_running_for and (
                running is None or time.time() - self._current_since < if_running_for
            ):
                return 0
            held, self._held = [job.entry for job in self._held], deque()
            show = running if running is not None and running is not self._shown else None
            self._shown = show or self._shown
            since = self._current_since
        if not (held or show):
            return 0
        return self._store.queues.give_back(
            self.worker_id, held, show.entry if show else b"", run_at(since)
        )
