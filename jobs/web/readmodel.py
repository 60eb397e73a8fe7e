"""What the monitor's pages show, gathered from the queue's :class:`~jobs.store.Store`.

1. Each page asks one method here for plain data (dataclasses of text and numbers), so views
   stay thin and templates never see Redis, bytes or JSON.
2. It reads through the store's own API only (queues, workers, failures, stats), never a key
   name: the monitor sees Redis the way the queue does.
3. Every list is read a bounded page at a time.

Failures have their own module (:mod:`jobs.web.failed_list`), and so do the scheduler's lists
(:mod:`jobs.web.schedule`) and the keys browser (:mod:`jobs.store.browse`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from jobs.payload import Payload, PayloadError
from jobs.registry import WorkerId
from jobs.store import Store
from jobs.web.display import args_text, duration_text, iso_seconds, since, unix_time_text
from jobs.web.paging import Paging

CHART_MINUTES = 60
# How far around a job's last known position "remove" looks for it: workers take jobs from
# the front meanwhile, so it may have moved forward, but never further than this.
REMOVE_WINDOW = 500


@dataclass(frozen=True)
class QueueRow:
    name: str
    size: int


@dataclass(frozen=True)
class JobRow:
    """A waiting job. ``digest`` names its exact payload, for the remove button."""

    position: int
    class_name: str
    args: str
    enqueued_at: str
    digest: str


@dataclass(frozen=True)
class CurrentJob:
    queue: str
    class_name: str
    args: str
    run_at: str
    running_for: str


@dataclass(frozen=True)
class WorkerRow:
    id: str
    host: str
    pid: str
    queues: list[str]
    state: str  # idle, working, paused, overdue
    flags: list[str]
    started: str
    last_beat: str  # "3s ago"
    processed: int
    failed: int
    job: CurrentJob | None


@dataclass(frozen=True)
class Totals:
    processed: int
    failed: int
    waiting: int
    failures_kept: int
    workers: int
    working: int


@dataclass(frozen=True)
class Overview:
    totals: Totals
    queues: list[QueueRow]
    working: list[WorkerRow]
    history: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class QueuePage:
    name: str
    size: int
    jobs: list[JobRow]
    paging: Paging


def payload_digest(payload: bytes) -> str:
    return hashlib.sha1(payload).hexdigest()


def job_row(position: int, payload: bytes) -> JobRow:
    try:
        body = Payload.decode(payload).body
    except PayloadError:
        text = payload.decode("utf-8", "replace")
        return JobRow(position, "(unreadable payload)", text[:500], "", payload_digest(payload))
    return JobRow(
        position,
        str(body.get("class")),
        args_text(body.get("args", [])),
        unix_time_text(body.get("enqueued_at")),
        payload_digest(payload),
    )


def current_job(record: bytes | None) -> CurrentJob | None:
    """A worker's working record (``{"queue", "run_at", "payload"}``) as a current job."""
    if record is None:
        return None
    try:
        body: dict[str, Any] = json.loads(record)
        payload = body.get("payload") or {}
        run_at = str(body.get("run_at", ""))
    except (ValueError, AttributeError):
        return CurrentJob("", "(unreadable record)", record.decode("utf-8", "replace"), "", "")
    if not isinstance(payload, dict):
        payload = {"raw": payload}
    return CurrentJob(
        queue=str(body.get("queue", "")),
        class_name=str(payload.get("class", "(raw payload)")),
        args=args_text(payload.get("args", payload.get("raw", []))),
        run_at=run_at,
        running_for=duration_text(since(iso_seconds(run_at))),
    )


class ReadModel:
    """Page data for the monitor, read from one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- queues ---------------------------------------------------------------------------
    def queues(self) -> list[QueueRow]:
        return [QueueRow(name, self.store.queues.size(name)) for name in self.store.queues.names()]

    def queue_page(self, name: str, paging: Paging) -> QueuePage:
        payloads = self.store.queues.peek(name, paging.start, paging.per_page)
        jobs = [job_row(paging.start + i, payload) for i, payload in enumerate(payloads)]
        return QueuePage(name, self.store.queues.size(name), jobs, paging)

    def find_payload(self, queue: str, digest: str, near: int) -> bytes | None:
        """The waiting payload with this digest, looked for around position ``near``."""
        start = max(0, near - REMOVE_WINDOW)
        for payload in self.store.queues.peek(queue, start, 2 * REMOVE_WINDOW + 1):
            if payload_digest(payload) == digest:
                return payload
        return None

    # -- workers --------------------------------------------------------------------------
    def workers(self) -> list[WorkerRow]:
        beats = dict(self.store.workers.heartbeats())
        now_ms = self.store.workers.now_ms()
        return [self._worker(worker_id, beats.get(worker_id), now_ms) for worker_id in self._ids()]

    def worker(self, worker_id: str) -> WorkerRow | None:
        if worker_id not in self._ids():
            return None
        beat = self.store.workers.heartbeat_of(worker_id)
        return self._worker(worker_id, beat, self.store.workers.now_ms())

    def _ids(self) -> list[str]:
        return self.store.workers.ids()

    def _worker(self, worker_id: str, beat_ms: str | None, now_ms: int) -> WorkerRow:
        workers = self.store.workers
        parsed = WorkerId.parse(worker_id)
        job = current_job(workers.working_record(worker_id))
        flags = sorted(workers.flags(worker_id))
        age = (now_ms - float(beat_ms)) / 1000 if beat_ms else None
        return WorkerRow(
            id=worker_id,
            host=parsed.host if parsed else "?",
            pid=_pid_text(parsed),
            queues=list(parsed.queues) if parsed else [],
            state=worker_state(job is not None, flags),
            flags=flags,
            started=workers.started(worker_id) or "",
            last_beat=f"{duration_text(age)} ago" if age is not None else "never",
            processed=workers.stat("processed", worker_id),
            failed=workers.stat("failed", worker_id),
            job=job,
        )

    # -- overview -------------------------------------------------------------------------
    def overview(self) -> Overview:
        queues = self.queues()
        workers = self.workers()
        working = [worker for worker in workers if worker.job is not None]
        totals = Totals(
            processed=self.store.stats.total("processed"),
            failed=self.store.stats.total("failed"),
            waiting=sum(queue.size for queue in queues),
            failures_kept=self.store.failures.count(),
            workers=len(workers),
            working=len(working),
        )
        return Overview(totals, queues, working, self.history())

    def history(self, minutes: int = CHART_MINUTES) -> list[tuple[int, int, int]]:
        """(minute, processed, failed) for the last ``minutes`` minutes, oldest first."""
        return self.store.stats.history(int(time.time() // 60), minutes)


def _pid_text(parsed: WorkerId | None) -> str:
    """The process id, with the thread number in thread mode (``4242-3``)."""
    if parsed is None:
        return "?"
    return str(parsed.pid) if parsed.thread is None else f"{parsed.pid}-{parsed.thread}"


def worker_state(working: bool, flags: list[str]) -> str:
    """One word for the worker's state; an overdue or paused flag says more than working."""
    for flag in ("overdue", "paused"):
        if flag in flags:
            return flag
    return "working" if working else "idle"


def group_by_host(workers: list[WorkerRow]) -> list[tuple[str, list[WorkerRow]]]:
    hosts: dict[str, list[WorkerRow]] = {}
    for worker in workers:
        hosts.setdefault(worker.host, []).append(worker)
    return sorted(hosts.items())
