"""Fetch: take the next job off the worker's queues and hand it over as a :class:`Delivery`.

The job moves, in one atomic step, from its queue into the worker's in-flight list, and stays
there until the delivery is acknowledged (done), failed, or put back. It is worse to lose a job
than to run it twice, so a worker that dies holding a delivery leaves it where the other
workers will find it and put it back (see :mod:`jobs.recovery`): delivery is *at least once*.

What it leaves to others: running the job (:mod:`jobs.processor`) and settling it, done,
failed, retried or put back (:mod:`jobs.settle`); neither touches a Redis key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from jobs.payload import Payload
from jobs.settings import Settings
from jobs.store import Landing, Store, entry_parts

# A worker thread takes as many jobs at a time as it expects to finish in BATCH_SECONDS, going
# by how long its last batch took per job, and never more than MAX_BATCH: one at a time when
# jobs are slow, up to MAX_BATCH when they take well under a few milliseconds each.
BATCH_SECONDS = 0.05
MAX_BATCH = 16
log = logging.getLogger("jobs.worker")


@dataclass
class Delivery:
    """One job held in flight by one worker (``worker_id``), as fetched: its in-flight
    ``entry``, and the ``queue`` and ``payload`` it holds. How it is settled once it has run
    is :mod:`jobs.settle`'s business."""

    store: Store
    settings: Settings
    worker_id: str
    entry: bytes
    queue: str
    payload: bytes
    _decoded: Payload | None = field(default=None, repr=False, compare=False)
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

    When the queues run dry, a thread of a worker on a single queue waits for its next job
    inside Redis (:meth:`wait`, with a blocking move: see :mod:`jobs.store.landing`).

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
        landing: Landing | None = None,
    ) -> None:
        """``landing``: for a worker on a single queue, how an idle thread waits for a job."""
        self._store, self._settings, self.worker_id = store, settings, worker_id
        self.landing = landing
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
        self.confirm_landing()
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

    def wait(self) -> Delivery | None:
        """An idle thread's next job, taken the moment it is pushed: wait for it inside Redis
        (up to a few seconds; None if none came, or the worker ended the wait). Only for a
        worker on a single queue (``landing``), and not while it pauses or stops."""
        assert self.landing is not None, "a worker on a single queue waits in Redis"
        if not self.may_wait():
            return None
        try:
            entry = self.landing.take(run_at(), self.may_wait)
            if entry is None:
                return None
            delivery = Delivery.of(self._store, self._settings, self.worker_id, entry)
            with self._lock:  # the entry is known as this thread's before it lands in flight
                self._shown = delivery
                self._batch_began, self._batch_started = self._clock(), 1
                self._start(delivery)
            self.landing.land()
            if b'"unique"' in delivery.payload:
                # A unique job's lock must be gone before it starts (see jobs.unique): a
                # change made while it runs must be able to queue another copy. (A false
                # match, the word in an argument, only costs waiting for the answer.)
                self.confirm_landing()
        except BaseException:
            self.forget()
            raise
        return delivery

    def may_wait(self) -> bool:
        """Whether this thread may wait for a job inside Redis now: its worker has one queue
        and goes on taking jobs (not pausing or stopping)."""
        return self.landing is not None and bool(self._queues())

    def confirm_landing(self) -> None:
        """Read the answer to the landing of the job :meth:`wait` took, if not read yet:
        whatever this thread does next in Redis about its jobs must come after it."""
        if self.landing is not None and self.landing.confirm() is False:
            log.warning(
                "a job taken from %s had been put back before it landed (this worker was"
                " thought dead); it will run again",
                self.landing.queue,
            )

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
        first job). Returns how many jobs went back. (Called from the worker's loop: a job
        that :meth:`wait` took is never held with others, so its landing is no concern here.)"""
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
