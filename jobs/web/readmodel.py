"""What the monitor's pages show, gathered from the queue's :class:`~jobs.store.Store`.

1. Each page asks one method here for plain data (dataclasses of text and numbers), so views
   stay thin and templates never see Redis, bytes or JSON.
2. It reads through the store's API only (:mod:`jobs.store.monitor` for what pages read in
   batches), never a key name: the monitor sees Redis the way the queue does.
3. Every list is read a bounded page at a time, and a page costs the same with 50,000 queues
   and 5,000 workers as with five: totals are counted inside Redis, and the Overview shows
   the first :data:`OVERVIEW_ROWS` queues and busy workers, saying so when there are more.

Failures have their own module (:mod:`jobs.web.failed_list`), and so do workers' rows
(:mod:`jobs.web.worker_rows`), the scheduler's lists (:mod:`jobs.web.scheduler_lists`) and the keys
browser (:mod:`jobs.store.browse`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from jobs.payload import Payload, PayloadError
from jobs.store import Store
from jobs.web.display import args_text, raw_text, time_ago_text
from jobs.web.metrics_view import queue_latencies, redis_now
from jobs.web.names import QueueName
from jobs.web.paging import Paging
from jobs.web.worker_rows import SilentHostRow, WorkerRow, silent_host_row, worker_row

CHART_MINUTES = 60
# How many queues and busy workers the Overview (and its live refresh) shows at most.
OVERVIEW_ROWS = 20
# The waiting total sums this many queues at most (a few milliseconds of Redis's time); with
# more queues, the page says it is a partial sum.
WAITING_SUM_LIMIT = 10_000
# How far around a job's last known position "remove" looks for it: workers take jobs from
# the front meanwhile, so it may have moved forward, but never further than this.
REMOVE_WINDOW = 500
# A host is shown as silent when none of its workers has sent a heartbeat for this long: five
# missed heartbeats at the default JOBS_HEARTBEAT_INTERVAL (2 s). Live workers elsewhere put its
# jobs back after JOBS_DEAD_AFTER; with no live worker anywhere, the page is how anyone finds out.
SILENT_AFTER_S = 10.0
Row = TypeVar("Row")


@dataclass(frozen=True)
class QueueRow:
    name: QueueName
    size: int
    latency: str = ""  # how long its oldest waiting job has waited (the Queues tab's)


@dataclass(frozen=True)
class JobRow:
    """A waiting job. ``digest`` names its exact payload, for the remove button."""

    position: int
    class_name: str
    args: str
    enqueued_at: str
    digest: str


@dataclass(frozen=True)
class Totals:
    processed: int
    failed: int
    waiting: int
    failures_kept: int
    workers: int
    working: int
    queues: int
    waiting_summed_over: int  # queues: fewer than ``queues`` when the sum was cut short

    @property
    def waiting_is_partial(self) -> bool:
        return self.waiting_summed_over < self.queues


@dataclass(frozen=True)
class Overview:
    totals: Totals
    queues: list[QueueRow]  # the first OVERVIEW_ROWS, by name
    working: list[WorkerRow]  # the first OVERVIEW_ROWS busy workers, by id
    history: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class QueuePage:
    name: QueueName
    size: int
    jobs: list[JobRow]
    paging: Paging


@dataclass(frozen=True)
class Listing(Generic[Row]):
    """One page of a longer list: its rows, and how long the whole list is."""

    rows: list[Row]
    total: int
    paging: Paging

    @property
    def has_next(self) -> bool:
        return self.paging.has_next(self.total)


def payload_digest(payload: bytes) -> str:
    return hashlib.sha1(payload).hexdigest()


def job_row(position: int, payload: bytes) -> JobRow:
    try:
        body = Payload.decode(payload).body
    except PayloadError:
        return JobRow(
            position, "(unreadable payload)", raw_text(payload), "", payload_digest(payload)
        )
    return JobRow(
        position,
        str(body.get("class")),
        args_text(body.get("args", [])),
        time_ago_text(body.get("enqueued_at")),
        payload_digest(payload),
    )


class ReadModel:
    """Page data for the monitor, read from one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads = store.monitor

    # -- queues ---------------------------------------------------------------------------
    def queues(self, paging: Paging) -> Listing[QueueRow]:
        names = self.reads.queue_names(paging.start, paging.per_page)
        sizes = self.reads.queue_sizes(names)
        rows = [QueueRow(QueueName(name), size) for name, size in zip(names, sizes, strict=True)]
        return Listing(rows, self.reads.queue_count(), paging)

    def queues_with_latency(self, paging: Paging) -> Listing[QueueRow]:
        """One page of queues, each with the age of its oldest waiting job."""
        names = self.reads.queue_names(paging.start, paging.per_page)
        rows = [
            QueueRow(queue.name, queue.size, queue.latency)
            for queue in queue_latencies(self.store, names, redis_now(self.store))
        ]
        return Listing(rows, self.reads.queue_count(), paging)

    def queue_page(self, name: QueueName, paging: Paging) -> QueuePage:
        payloads = self.reads.peek(name.raw, paging.start, paging.per_page)
        jobs = [job_row(paging.start + i, payload) for i, payload in enumerate(payloads)]
        [size] = self.reads.queue_sizes([name.raw])
        return QueuePage(name, size, jobs, paging)

    def find_payload(self, name: QueueName, digest: str, near: int) -> bytes | None:
        """The waiting payload with this digest, looked for around position ``near``."""
        start = max(0, near - REMOVE_WINDOW)
        for payload in self.reads.peek(name.raw, start, 2 * REMOVE_WINDOW + 1):
            if payload_digest(payload) == digest:
                return payload
        return None

    # -- workers --------------------------------------------------------------------------
    def workers(self, paging: Paging) -> Listing[WorkerRow]:
        ids = self.store.workers.ids()
        return Listing(
            self._rows(ids[paging.start : paging.start + paging.per_page]), len(ids), paging
        )

    def silent_hosts(self) -> list[SilentHostRow]:
        """Hosts whose workers all went silent, however many workers there are."""
        silent = self.reads.silent_hosts(silent_after_ms=int(SILENT_AFTER_S * 1000))
        return [silent_host_row(host) for host in silent]

    def working(self, paging: Paging) -> Listing[WorkerRow]:
        total, ids = self.reads.working_page(paging.start, paging.per_page)
        return Listing(self._rows(ids), total, paging)

    def worker(self, worker_id: str) -> WorkerRow | None:
        if not self.reads.is_worker(worker_id):
            return None
        return self._rows([worker_id])[0]

    def _rows(self, ids: list[str]) -> list[WorkerRow]:
        now_ms = self.store.workers.now_ms()
        return [worker_row(reading, now_ms) for reading in self.reads.workers(ids)]

    # -- overview -------------------------------------------------------------------------
    def totals(self, working: int | None = None) -> Totals:
        """The counts; ``working`` if the caller has counted the busy workers already."""
        if working is None:
            working = self.reads.working_page(0, 0)[0]
        waiting, summed_over = self.reads.waiting_total(WAITING_SUM_LIMIT)
        return Totals(
            processed=self.store.stats.total("processed"),
            failed=self.store.stats.total("failed"),
            waiting=waiting,
            failures_kept=self.store.failures.count(),
            workers=self.reads.worker_count(),
            working=working,
            queues=self.reads.queue_count(),
            waiting_summed_over=summed_over,
        )

    def overview(self) -> Overview:
        first = Paging(1, OVERVIEW_ROWS)
        working = self.working(first)
        return Overview(
            self.totals(working.total), self.queues(first).rows, working.rows, self.history()
        )

    def history(self, minutes: int = CHART_MINUTES) -> list[tuple[int, int, int]]:
        """(minute, processed, failed) for the last ``minutes`` minutes, oldest first."""
        return self.store.stats.history(int(time.time() // 60), minutes)
