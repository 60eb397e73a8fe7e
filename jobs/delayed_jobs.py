"""Delayed jobs, as people see them: jobs enqueued for later, and jobs waiting to be retried.

Both wait for a time, not for a worker (jobs on a queue wait for a worker: see
:mod:`jobs.client`); recurring schedules are :mod:`jobs.schedule`'s.

    delayed = jobs.delayed()            # or jobs.retrying()
    delayed.count()
    delayed.page(0, 20)                 # soonest due first: DelayedJob(id, due, queue, ...)
    delayed.remove(job_id)              # it will not run
    delayed.enqueue_now(job_id)         # it runs now, whenever it was due

Jobs are named by their id (kept across retries), never by position: the sets change as the
scheduler moves jobs out of them. What it leaves to others: :mod:`jobs.store.delayed` holds
the sets, :mod:`jobs.scheduler` moves due jobs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.payload import JobNotFound, Payload, PayloadError
from jobs.store import DelayedSet, Store, entry_parts

PAGE = 500


class NotDelayed(JobNotFound):
    """No delayed job with that id (it ran, or was removed, meanwhile)."""


def unix_seconds(when: datetime | float) -> float:
    """``when`` as Unix seconds. A datetime must say its timezone: a naive one could mean the
    server's local time or UTC, and a job would run hours early or late."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError(
                f"{when!r} has no timezone; use an aware datetime, e.g. datetime.now(UTC)"
            )
        return when.timestamp()
    if isinstance(when, bool) or not isinstance(when, (int, float)) or not math.isfinite(when):
        raise TypeError(f"when must be an aware datetime or Unix seconds, not {when!r}")
    return float(when)


@dataclass(frozen=True)
class DelayedJob:
    id: str | None
    due: float  # Unix seconds
    queue: str
    class_name: str
    args: list[Any]
    body: dict[str, Any]  # the whole payload; a retry's also has retry_count, error, failed_at
    member: bytes  # exactly as stored

    @classmethod
    def parse(cls, member: bytes, due_ms: int) -> DelayedJob:
        try:
            queue, payload = entry_parts(member)
        except (ValueError, TypeError):
            text = member.decode("utf-8", "replace")
            return cls(None, due_ms / 1000, "", "", [], {"raw": text}, member)
        try:
            decoded = Payload.decode(payload)
        except PayloadError:
            text = payload.decode("utf-8", "replace")
            return cls(None, due_ms / 1000, queue, "", [], {"raw": text}, member)
        body = decoded.body
        return cls(
            decoded.job_id, due_ms / 1000, queue, decoded.class_name, decoded.args, body, member
        )


class DelayedJobs:
    """One of the sets of waiting jobs: ``scheduled`` (delayed) or ``retries``."""

    def __init__(self, store: Store, name: DelayedSet) -> None:
        self._store = store
        self.name = name

    def count(self) -> int:
        return self._store.delayed.count(self.name)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[DelayedJob]:
        """Every waiting job, soonest due first, read a page at a time."""
        start = 0
        while page := self.page(start, PAGE):
            yield from page
            start += len(page)

    def page(self, start: int = 0, count: int = 20) -> list[DelayedJob]:
        """Waiting jobs ``start`` .. ``start + count - 1``, soonest due first."""
        rows = self._store.delayed.page(self.name, start, count)
        return [DelayedJob.parse(member, due_ms) for member, due_ms in rows]

    def find(self, job_id: str) -> DelayedJob:
        """The waiting job with this id (searched for on the server, not read page by page)."""
        if job_id:
            for member in self._store.delayed.find(self.name, job_id):
                job = DelayedJob.parse(member, 0)
                if job.id == job_id:
                    return job
        raise NotDelayed(job_id)

    def remove(self, job_id: str) -> None:
        """Remove the job: it will not run. Raises :class:`NotDelayed` if it is not there."""
        if not self._store.delayed.remove(self.name, self.find(job_id).member):
            raise NotDelayed(job_id)

    def enqueue_now(self, job_id: str) -> str:
        """Put the job on its queue now; returns the queue."""
        job = self.find(job_id)
        if not self._store.delayed.enqueue_now(self.name, job.member):
            raise NotDelayed(job_id)
        return job.queue

    def remove_matching(self, class_name: str, args: list[Any]) -> int:
        """Remove every waiting job of this class with exactly these arguments."""
        found: list[bytes] = []
        start = 0
        while rows := self._store.delayed.page(self.name, start, PAGE):
            for member, _ in rows:
                try:
                    if Payload.decode(entry_parts(member)[1]).matches(class_name, args):
                        found.append(member)
                except (ValueError, TypeError):  # PayloadError is a ValueError
                    continue
            start += len(rows)
        return sum(self._store.delayed.remove(self.name, member) for member in found)
