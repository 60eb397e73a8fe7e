"""The Scheduled, Retries and Recurring tabs: jobs that wait for a time, not for a worker.

The scheduler (``enqueue_at``/``enqueue_in``, automatic retries, recurring schedules) is not
built yet, so every list here is empty and the page says the tab arrives with it. When it
lands, :func:`scheduled_page` is the one function to fill in: read one page of the sorted set
for ``kind`` from the store and return :class:`ScheduledRow` s; the tabs, paging, and the
"enqueue now" and "remove" buttons already use whatever it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jobs.store import Store
from jobs.web.paging import Paging

ScheduleKind = Literal["scheduled", "retries", "recurring"]
KINDS: tuple[ScheduleKind, ...] = ("scheduled", "retries", "recurring")
TITLES = {"scheduled": "Scheduled", "retries": "Retries", "recurring": "Recurring"}


@dataclass(frozen=True)
class ScheduledRow:
    """A job waiting for its time. ``ref`` identifies it for the buttons."""

    ref: str
    due: str
    class_name: str
    args: str
    queue: str


@dataclass(frozen=True)
class ScheduledPage:
    kind: ScheduleKind
    available: bool  # False until the scheduler exists
    rows: list[ScheduledRow]
    total: int
    paging: Paging


class NotAvailable(LookupError):
    """The scheduler does not exist yet, so there is nothing to enqueue or remove."""


def scheduled_page(store: Store, kind: ScheduleKind, paging: Paging) -> ScheduledPage:
    """One page of ``kind``'s jobs, soonest due first."""
    return ScheduledPage(kind, available=False, rows=[], total=0, paging=paging)


def enqueue_now(store: Store, kind: ScheduleKind, ref: str) -> str:
    """Move a waiting job to its queue now; returns the queue."""
    raise NotAvailable("the scheduler is not there yet")


def remove(store: Store, kind: ScheduleKind, ref: str) -> None:
    raise NotAvailable("the scheduler is not there yet")
