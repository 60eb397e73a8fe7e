"""Failure records: what went wrong with a job, kept so a person can look, retry or remove.

A record has Resque's shape, so Resque's web UI can list it, plus the job's ``id``::

    {"failed_at": "2026/11/26 19:32:07 UTC", "payload": {...}, "exception": "ValueError",
     "error": "bad input", "backtrace": ["app/jobs.py:12 in perform", ...],
     "worker": "host:123:sleep", "queue": "sleep", "id": "3f2a..."}

Records are found by that id, never by their position in the list, which shifts as new
failures arrive and old ones are trimmed.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jobs.payload import (
    JobNotFound,
    Payload,
    PayloadError,
    new_job_id,
    retried_so_far,
    without_retry,
)
from jobs.store import Store

PAGE = 200
RAW_KEPT = 4096  # bytes of an unreadable or oversized payload that its failure record keeps


def failure_record(
    payload: bytes,
    queue: str,
    worker_id: str,
    exception: str,
    error: str,
    backtrace: list[str],
    attempts: int | None = None,
    *,
    max_bytes: int | None = None,
) -> bytes:
    """Build the JSON record for a job that failed, from its payload exactly as fetched.
    ``attempts``: how many times it ran, for a job that was retried automatically. A payload
    that cannot be read as a job, or is bigger than ``max_bytes``, is kept as its text, cut to
    ``RAW_KEPT`` bytes: a record stays small whatever someone pushed."""
    try:
        decoded = Payload.decode(payload, max_bytes)
        body: dict[str, Any] = decoded.body
        job_id = decoded.job_id or new_job_id()
    except PayloadError:
        body, job_id = {"raw": raw_text(payload)}, new_job_id()
    record: dict[str, Any] = {
        "failed_at": time.strftime("%Y/%m/%d %H:%M:%S UTC", time.gmtime()),
        "payload": body,
        "exception": exception,
        "error": error,
        "backtrace": backtrace,
        "worker": worker_id,
        "queue": queue,
        "id": job_id,
    }
    if attempts is not None:
        record["attempts"] = attempts
    return json.dumps(record, separators=(",", ":")).encode()


def raw_text(payload: bytes) -> str:
    """A payload a record keeps as text: whole if short, else its first ``RAW_KEPT`` bytes
    and how long it was (retried by hand, a cut payload fails again: it is not the job)."""
    if len(payload) <= RAW_KEPT:
        return payload.decode("utf-8", "replace")
    text = payload[:RAW_KEPT].decode("utf-8", "replace")
    return f"{text}... (cut: {len(payload)} bytes in all)"


def describe_exception(error: BaseException) -> tuple[str, str, list[str]]:
    """An exception as (class name, message, backtrace lines) for a failure record."""
    frames = traceback.extract_tb(error.__traceback__)
    backtrace = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames]
    return type(error).__name__, str(error), backtrace


@dataclass(frozen=True)
class Failure:
    id: str
    failed_at: str
    payload: dict[str, Any]
    exception: str
    error: str
    backtrace: list[str]
    worker: str
    queue: str
    stored: bytes
    attempts: int = 1

    @classmethod
    def parse(cls, stored: bytes) -> Failure:
        """Read a stored record. One that is not a JSON object (someone else wrote it) still
        reads, as an "UnreadableRecord" with an id of its own, so it can be seen and removed."""
        try:
            record = json.loads(stored)
        except (ValueError, RecursionError):  # someone else wrote it, maybe to break readers
            record = None
        if not isinstance(record, dict):
            return cls._unreadable(stored)
        return cls(
            id=str(record.get("id", "")),
            failed_at=str(record.get("failed_at", "")),
            payload=record.get("payload") or {},
            exception=str(record.get("exception", "")),
            error=str(record.get("error", "")),
            backtrace=list(record.get("backtrace") or []),
            worker=str(record.get("worker", "")),
            queue=str(record.get("queue", "")),
            stored=stored,
            attempts=_attempts(record),
        )

    @classmethod
    def _unreadable(cls, stored: bytes) -> Failure:
        return cls(
            id="unreadable-" + hashlib.sha1(stored).hexdigest()[:24],
            failed_at="",
            payload={"raw": stored.decode("utf-8", "replace")},
            exception="UnreadableRecord",
            error="this failure record is not a JSON object",
            backtrace=[],
            worker="",
            queue="",
            stored=stored,
        )

    def payload_to_retry(self) -> bytes:
        """The job to put back: the same id, a fresh ``enqueued_at``; unreadable payloads go
        back exactly as they came."""
        if set(self.payload) == {"raw"}:
            return str(self.payload["raw"]).encode()
        # Retried by hand: its automatic retries start afresh.
        body = {**without_retry(self.payload), "enqueued_at": time.time()}
        return json.dumps(body, separators=(",", ":")).encode()


def _attempts(record: dict[str, Any]) -> int:
    """How many times the job ran: the record's ``attempts`` when its retries ran out, else
    once plus the automatic retries its payload had had (``retry_count``)."""
    attempts = record.get("attempts")
    if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts > 0:
        return attempts
    payload = record.get("payload")
    return 1 + (retried_so_far(payload) if isinstance(payload, dict) else 0)


class FailureNotFound(JobNotFound):
    """No failure record with that id (already retried or removed?)."""


class Failures:
    """Listing, retrying and removing failure records."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def count(self) -> int:
        return self._store.failures.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Failure]:
        """Every record, newest first (as :meth:`all`)."""
        return self.all()

    def newest(self, start: int = 0, count: int = 20) -> list[Failure]:
        """Records newest first: ``start`` counts back from the newest."""
        if count <= 0:
            return []
        page = self._store.failures.page(-(start + count), -(start + 1))
        return [Failure.parse(stored) for stored in reversed(page)]

    def all(self) -> Iterator[Failure]:
        """Every record, newest first, read in bounded pages."""
        start = 0
        while page := self.newest(start, PAGE):
            yield from page
            start += len(page)

    def find(self, failure_id: str) -> Failure:
        """The record with this id, looking from the newest (the ones people retry)."""
        for failure in self.all():
            if failure.id == failure_id:
                return failure
        raise FailureNotFound(failure_id)

    def retry(self, failure_id: str) -> str:
        """Put the failed job back on its queue and remove its record. Returns the queue."""
        failure = self.find(failure_id)
        if not self._store.failures.retry(
            failure.stored, failure.payload_to_retry(), failure.queue
        ):
            raise FailureNotFound(failure_id)
        return failure.queue

    def remove(self, failure_id: str) -> None:
        if not self._store.failures.remove(self.find(failure_id).stored):
            raise FailureNotFound(failure_id)

    def retry_all(self) -> int:
        """Retry every record there is now, oldest first, a page at a time (records of jobs
        that fail again meanwhile are new ones, and wait for the next retry-all)."""
        remaining, retried = self.count(), 0
        while remaining > 0:
            page = [Failure.parse(stored) for stored in self._store.failures.page(0, PAGE - 1)]
            page = page[:remaining]
            moved = sum(self._retry_record(failure) for failure in page)
            remaining -= len(page)
            retried += moved
            if not page:
                break
        return retried

    def _retry_record(self, failure: Failure) -> bool:
        if failure.exception == "UnreadableRecord":
            return False  # nothing to put back
        return self._store.failures.retry(failure.stored, failure.payload_to_retry(), failure.queue)

    def clear(self) -> int:
        return self._store.failures.clear()
