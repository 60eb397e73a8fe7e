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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from jobs.failures import failure_record
from jobs.payload import Payload
from jobs.settings import Settings
from jobs.store import Store, entry_parts
from jobs.store.scripts import RequeueOutcome, RequeueReason

WORKER_DIED = "WorkerDied"


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
    # Set by a thread runner that wants its thread to go straight on to the next job: called
    # as the job is acknowledged, it names the queues to take that job from ([] for none).
    continue_with: Callable[[], list[str]] | None = field(default=None, repr=False, compare=False)
    next_delivery: Delivery | None = field(default=None, repr=False, compare=False)
    # Set in a forked child: settle by writing the outcome here instead of to Redis, and the
    # parent, which holds a connection already, settles it (see ForkRunner). A child then needs
    # no Redis connection of its own, and an outcome survives Redis being away.
    report_to: BinaryIO | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, store: Store, settings: Settings, worker_id: str, entry: bytes) -> Delivery:
        """The delivery of an in-flight entry that ``fetch`` just returned."""
        queue, payload = entry_parts(entry)
        return cls(store, settings, worker_id, entry, queue, payload)

    def decoded(self) -> Payload:
        """The payload, read once (raises :class:`PayloadError` if it cannot be)."""
        if self._decoded is None:
            self._decoded = Payload.decode(self.payload)
        return self._decoded

    def acknowledge(self) -> bool:
        """The job is done. False if another worker had already put it back (see module doc).

        With ``continue_with`` set, the same round trip also takes this worker's next job, which
        becomes ``next_delivery``: a busy thread pays one round trip per job."""
        if self.report_to is not None:
            return self._report(["acknowledge"])
        queues = self.continue_with() if self.continue_with is not None else []
        if not queues:
            return self.store.queues.acknowledge(self.worker_id, self.entry)
        acknowledged, entry = self.store.queues.acknowledge_and_fetch(
            self.worker_id, self.entry, queues, run_at_now()
        )
        if entry is not None:
            self.next_delivery = Delivery.of(self.store, self.settings, self.worker_id, entry)
        return acknowledged

    def fail(
        self, exception: str, error: str, backtrace: list[str], attempts: int | None = None
    ) -> bool:
        if self.report_to is not None:
            return self._report(["fail", exception, error, backtrace, attempts])
        record = failure_record(
            self.payload, self.queue, self.worker_id, exception, error, backtrace, attempts
        )
        return self.store.queues.fail(self.worker_id, self.entry, record, self.settings.failed_max)

    def retry(self, payload: bytes, in_seconds: float) -> bool:
        """The job failed and runs again in ``in_seconds``: it waits in the retries set with
        ``payload`` (the same job, with its retry count and error). False if it was no longer
        in flight."""
        if self.report_to is not None:
            return self._report(["retry", payload.decode("utf-8", "surrogateescape"), in_seconds])
        delay_ms = round(in_seconds * 1000)
        return self.store.scheduled.retry(self.worker_id, self.entry, payload, delay_ms)

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

    def requeue(self, reason: RequeueReason, expected_beat: str = "") -> RequeueOutcome:
        return requeue_entry(
            self.store, self.settings, self.worker_id, self.entry, reason, expected_beat
        )


def requeue_entry(
    store: Store,
    settings: Settings,
    worker_id: str,
    entry: bytes,
    reason: RequeueReason,
    expected_beat: str = "",
) -> RequeueOutcome:
    """Put an in-flight entry back on its queue; after ``crash_limit`` crashes, fail it."""
    queue, payload = entry_parts(entry)
    limit = settings.crash_limit
    message = (
        f"the worker running this job died {limit} times (killed, or crashed by the job);"
        " it was not put back again"
    )
    record = failure_record(payload, queue, worker_id, WORKER_DIED, message, [])
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
        entry = self._store.queues.fetch(worker_id, self._queues(), run_at_now())
        if entry is None:
            return None
        return Delivery.of(self._store, self._settings, worker_id, entry)


def run_at_now() -> str:
    """Now, as Resque's working record shows when a job started."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
