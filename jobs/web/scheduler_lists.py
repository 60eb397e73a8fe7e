"""The Scheduled, Retries and Recurring tabs: jobs that wait for a time, not for a worker.

* Scheduled: delayed jobs (``enqueue_at``/``enqueue_in``), soonest first.
* Retries: jobs that failed and will run again, with how many retries so far and the last error.
* Recurring: the schedules the scheduler loops run, with their last and next runs.

Each reads one page through the public API (:mod:`jobs.delayed_jobs`, and :mod:`jobs.schedule`
for the recurring ones), never Redis keys; the tabs keep Resque's name, "Scheduled", for the
delayed jobs enqueued for later. Buttons
name a job by its id and a schedule by its name, never by a position: the scheduler moves
jobs out of these lists while a person looks at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jobs.delayed_jobs import DelayedJob, DelayedJobs, NotDelayed
from jobs.payload import encode
from jobs.schedule import RecurringState, recurring_states
from jobs.settings import Settings
from jobs.store import DelayedSet, Store
from jobs.web.display import args_text, raw_text, time_ago_text
from jobs.web.paging import Paging

ScheduleKind = Literal["scheduled", "retries", "recurring"]
KINDS: tuple[ScheduleKind, ...] = ("scheduled", "retries", "recurring")
TITLES = {"scheduled": "Scheduled", "retries": "Retries", "recurring": "Recurring"}


@dataclass(frozen=True)
class ScheduledRow:
    """A job waiting for its time. ``ref`` identifies it for the buttons: a job's id, or a
    recurring schedule's name."""

    ref: str
    due: str
    class_name: str
    args: str
    queue: str
    detail: str = ""  # retries: "retry 3: ValueError: ..."; recurring: "every 300s"
    last: str = ""  # recurring: its last run


@dataclass(frozen=True)
class ScheduledPage:
    kind: ScheduleKind
    available: bool
    rows: list[ScheduledRow]
    total: int
    paging: Paging


class NotAvailable(LookupError):
    """Nothing to act on: the job ran or was removed meanwhile, or the action does not apply."""


def _waiting(store: Store, kind: ScheduleKind) -> DelayedJobs:
    return DelayedJobs(store, "retries" if kind == "retries" else "scheduled")


def _job_row(member: bytes, due_ms: int) -> ScheduledRow:
    try:
        job = DelayedJob.parse(member, due_ms)
    except (RecursionError, AttributeError):  # an entry someone else wrote, not as ours are
        return ScheduledRow("", time_ago_text(due_ms / 1000), "(unreadable)", raw_text(member), "")
    detail = ""
    if "retry_count" in job.body:
        detail = f"retry {job.body['retry_count']}: {job.body.get('error', '')}"
    class_name = job.class_name or "(unreadable)"
    if job.class_name:
        args = args_text(job.args)
    else:
        args = raw_text(str(job.body.get("raw", "")).encode())
    return ScheduledRow(job.id or "", time_ago_text(job.due), class_name, args, job.queue, detail)


def _recurring_row(state: RecurringState) -> ScheduledRow:
    entry = state.entry
    last = "" if state.last_run_ms is None else time_ago_text(state.last_run_ms / 1000)
    return ScheduledRow(
        ref=entry.name,
        due=time_ago_text(state.next_run_ms / 1000),
        class_name=entry.class_name,
        args=args_text(list(entry.args)),
        queue=entry.queue,
        detail=f"{entry.name}: {entry.describe()}",
        last=last or "not yet",
    )


def scheduled_page(store: Store, kind: ScheduleKind, paging: Paging) -> ScheduledPage:
    """One page of ``kind``'s jobs, soonest due first."""
    if kind == "recurring":
        states = recurring_states(store)
        rows = [_recurring_row(state) for state in states]
        window = rows[paging.start : paging.start + paging.per_page]
        return ScheduledPage(kind, True, window, len(rows), paging)
    # Read through the store, not DelayedJobs.page: each entry is parsed on its own, so one
    # that cannot be read is shown raw instead of failing the whole page.
    name: DelayedSet = "retries" if kind == "retries" else "scheduled"
    entries = store.delayed.page(name, paging.start, paging.per_page)
    rows = [_job_row(member, due_ms) for member, due_ms in entries]
    return ScheduledPage(kind, True, rows, store.delayed.count(name), paging)


def enqueue_now(store: Store, kind: ScheduleKind, ref: str) -> str:
    """Put a waiting job on its queue now (or run a recurring job once now); returns the
    queue."""
    if kind == "recurring":
        for state in recurring_states(store):
            if state.entry.name == ref:
                return _enqueue_recurring(store, state)
        raise NotAvailable("no such recurring schedule")
    try:
        return _waiting(store, kind).enqueue_now(ref)
    except NotDelayed:
        raise NotAvailable("that job is no longer waiting (it may have run)") from None


def _enqueue_recurring(store: Store, state: RecurringState) -> str:
    """One extra run, now; the schedule's own ticks are unchanged."""
    entry = state.entry
    _, payload = encode(entry.class_name, entry.args, Settings().max_payload_bytes)
    store.queues.push(entry.queue, [payload])
    return entry.queue


def remove(store: Store, kind: ScheduleKind, ref: str) -> None:
    """Remove a waiting job; for a recurring schedule, its published entry (a scheduler that
    still declares it in code publishes it again)."""
    if kind == "recurring":
        if not store.recurring.forget(ref):
            raise NotAvailable("no such recurring schedule")
        return
    try:
        _waiting(store, kind).remove(ref)
    except NotDelayed:
        raise NotAvailable("that job is no longer waiting (it may have run)") from None
