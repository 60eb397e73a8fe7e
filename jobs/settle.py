"""Settling: how a job ended, and what that does to it in Redis.

1. Whatever ran the job (a worker thread, a forked child, :func:`jobs.testing.drain`) hands
   over an :data:`Outcome`: :class:`Done`, :class:`Failed` (with its error),
   :class:`RetryLater`, :class:`Crashed` (its process died), :class:`Killed` (USR1),
   :class:`TimedOut`, or :class:`PutBack` (the worker is stopping). :func:`outcome_of_error`
   decides between a retry and a failure when a job raises (:mod:`jobs.retries` is the
   policy).
2. A :class:`Settler` applies an outcome to the store: acknowledged (done, counted), a failure
   record, waiting in the retries set, or back on its queue (a crash counts towards
   ``JOBS_CRASH_LIMIT``). A worker thread's :class:`BatchSettler` leaves a done job to its
   batch fetcher, which acknowledges it with the thread's next round trip.
3. A forked child settles nothing itself: it writes its outcome as a short report
   (:func:`report`), and its worker, which holds a Redis connection already, reads it back
   (:func:`read_report`) and settles it. A child then needs no connection of its own, and an
   outcome survives Redis being away.

What it leaves to others: running the job (:mod:`jobs.processor`), the Redis side of each
change (:mod:`jobs.store`, one Lua script each), building failure records (:mod:`jobs.failures`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from jobs.failures import describe_exception, failure_record
from jobs.fetch import BatchFetcher, Delivery
from jobs.hooks import class_hooks
from jobs.payload import Payload, retried_so_far, with_retry
from jobs.retries import RetryAt, decide
from jobs.settings import Settings
from jobs.store import RequeueOutcome, RequeueReason, Store, entry_parts

WORKER_DIED = "WorkerDied"
log = logging.getLogger("jobs.worker")


@dataclass(frozen=True)
class Done:
    """The job returned (or a hook said not to perform it). ``seconds``: how long it ran."""

    class_name: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Failed:
    """The job raised, or could not be run; it becomes a failure record. ``attempts``: how
    many times it ran, for a job that was retried automatically; ``exhausted``: it was, as
    often as its class allows (see :func:`retries_exhausted`)."""

    exception: str
    message: str
    backtrace: list[str] = field(default_factory=list)
    attempts: int | None = None
    exhausted: bool = False


@dataclass(frozen=True)
class RetryLater:
    """The job raised and runs again in ``in_seconds``, as ``payload`` (the same job with its
    retry count and last error)."""

    payload: bytes
    in_seconds: float


@dataclass(frozen=True)
class Crashed:
    """The job's process died while running it (``cause``: how, e.g. "killed by signal
    SIGKILL"); it goes back on its queue, and counts as a crash."""

    cause: str


@dataclass(frozen=True)
class Killed:
    """USR1 killed the job's process; it becomes a failure record."""

    cause: str = "its process was killed by USR1 (kill the running job)"


@dataclass(frozen=True)
class TimedOut:
    """The job ran over its class's ``timeout`` and its process was killed."""

    cause: str


@dataclass(frozen=True)
class PutBack:
    """The worker is stopping before the job ended: it goes back on the front of its queue."""


Outcome = Done | Failed | RetryLater | Crashed | Killed | TimedOut | PutBack
# What a runner calls with each job's outcome: a Settler's settle, or a child's report.
Settle = Callable[[Delivery, Outcome], object]


# -- deciding --------------------------------------------------------------------------------
def outcome_of_error(
    job_class: type, payload: Payload, error: BaseException
) -> Failed | RetryLater:
    """A job of ``job_class`` raised ``error``: retry it later if its class says so
    (:func:`jobs.retries.decide`), else fail it."""
    exception, message, backtrace = describe_exception(error)
    retried = retried_so_far(payload.body)
    decision = decide(job_class, error, retried)
    if isinstance(decision, RetryAt):
        log.info(
            "failed %s%s: %r; retry %d in %.1fs",
            payload.class_name,
            payload.args,
            error,
            decision.count,
            decision.in_seconds,
        )
        retry = with_retry(payload.body, decision.count, f"{exception}: {message}")
        return RetryLater(retry, decision.in_seconds)
    log.info("failed %s%s: %r", payload.class_name, payload.args, error)
    attempts = decision.attempts if retried or decision.exhausted else None
    return Failed(exception, message, backtrace, attempts, decision.exhausted)


def retries_exhausted(job_class: type, error: BaseException, args: list[Any]) -> None:
    """Sidekiq's retries-exhausted callback, called once the failure is settled: the job's
    last chance to react (alert someone, mark a record as failed). An error in it is logged;
    the failure is recorded either way."""
    for hook in class_hooks(job_class, "on_retries_exhausted"):
        try:
            hook(error, *args)
        except Exception:
            log.exception("%s.%s raised", job_class.__qualname__, hook.__name__)


# -- a forked child's report -----------------------------------------------------------------
REPORTED: dict[str, type[Done | Failed | RetryLater]] = {
    kind.__name__: kind for kind in (Done, Failed, RetryLater)
}


def report(outcome: Outcome) -> bytes:
    """A child's outcome as JSON, for its worker to settle (see :func:`read_report`)."""
    fields = asdict(outcome)
    if isinstance(outcome, RetryLater):
        fields["payload"] = outcome.payload.decode("utf-8", "surrogateescape")
    return json.dumps([type(outcome).__name__, fields]).encode()


def read_report(data: bytes) -> Outcome:
    """In the worker: the outcome its child reported (see :func:`report`)."""
    kind, fields = json.loads(data)
    if kind == "RetryLater":
        fields["payload"] = fields["payload"].encode("utf-8", "surrogateescape")
    return REPORTED[kind](**fields)


# -- settling --------------------------------------------------------------------------------
class Settler:
    """Settles outcomes in Redis, one job at a time, at once."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def settle(self, delivery: Delivery, outcome: Outcome) -> None:
        """Apply ``outcome`` to the job held in flight by ``delivery``, and say so in the log."""
        if isinstance(outcome, Done):
            self._done(delivery, outcome)
        elif isinstance(outcome, Failed):
            self.fail(delivery, outcome)
        elif isinstance(outcome, RetryLater):
            self.retry(delivery, outcome)
        elif isinstance(outcome, Crashed):
            result = self.put_back(delivery, "crash", cause=outcome.cause)
            log.warning("a job's process %s; the job was %s", outcome.cause, result)
        elif isinstance(outcome, PutBack):
            self.put_back(delivery, "interrupted")
            log.warning("put an unfinished job back on %s", delivery.queue)
        else:
            exception = "JobTimeout" if isinstance(outcome, TimedOut) else "JobKilled"
            self.fail(delivery, Failed(exception, f"the job {outcome.cause}"))
            log.warning("a job %s", outcome.cause)

    def _done(self, delivery: Delivery, outcome: Done) -> None:
        if not self.acknowledge(delivery):
            log.warning(
                "%s finished, but another worker had already put it back on %s (this worker was"
                " thought dead); it will run again",
                outcome.class_name,
                delivery.queue,
            )
        elif log.isEnabledFor(logging.INFO):
            log.info("done %s in %.3fs", outcome.class_name, outcome.seconds)

    def acknowledge(self, delivery: Delivery) -> bool:
        """The job is done. False if another worker had already put it back (it was thought
        dead: see :mod:`jobs.recovery`)."""
        return self.store.queues.acknowledge(delivery.worker_id, delivery.entry, delivery.run_us())

    def fail(self, delivery: Delivery, failed: Failed) -> bool:
        """Record a failure. False if the job was no longer in flight."""
        record = failure_record(
            delivery.payload,
            delivery.queue,
            delivery.worker_id,
            failed.exception,
            failed.message,
            failed.backtrace,
            failed.attempts,
            max_bytes=self.settings.max_payload_bytes,
        )
        keep = self.settings.failed_max
        return self.store.queues.fail(
            delivery.worker_id, delivery.entry, record, keep, delivery.run_us()
        )

    def retry(self, delivery: Delivery, retry: RetryLater) -> bool:
        """Move the job to the retries set. False if it was no longer in flight."""
        delay_ms = round(retry.in_seconds * 1000)
        return self.store.delayed.retry(
            delivery.worker_id, delivery.entry, retry.payload, delay_ms, run_us=delivery.run_us()
        )

    def put_back(
        self, delivery: Delivery, reason: RequeueReason, cause: str = ""
    ) -> RequeueOutcome:
        """Put the job back on its queue (see :func:`put_back`)."""
        worker_id, entry = delivery.worker_id, delivery.entry
        return put_back(self.store, self.settings, worker_id, entry, reason, cause=cause)


class BatchSettler(Settler):
    """A worker thread's settler: a done job is acknowledged with the thread's next round trip,
    which also takes its next jobs (see :class:`~jobs.fetch.BatchFetcher`); the batch fetcher
    warns if it turns out to have been put back. Every other outcome is settled at once."""

    def __init__(self, store: Store, settings: Settings, fetcher: BatchFetcher) -> None:
        super().__init__(store, settings)
        self.fetcher = fetcher

    def settle(self, delivery: Delivery, outcome: Outcome) -> None:
        # A job the thread took with a wait in Redis lands with a command whose answer it
        # has not read yet: whatever settles the job must reach Redis after it.
        self.fetcher.confirm_landing()
        super().settle(delivery, outcome)

    def acknowledge(self, delivery: Delivery) -> bool:
        self.fetcher.finished(delivery)
        return True


def put_back(
    store: Store,
    settings: Settings,
    worker_id: str,
    entry: bytes,
    reason: RequeueReason,
    expected_beat: str = "",
    cause: str = "",
) -> RequeueOutcome:
    """Put an in-flight entry back on its queue; after ``crash_limit`` crashes, fail it, with
    ``cause`` (why the worker died, when known) in the failure record. Used for a job whose
    worker stops or dies, found by that worker, by housekeeping or by recovery."""
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
