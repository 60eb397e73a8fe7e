"""Failure records: what went wrong with a job, kept so a person can look, retry or remove.

A record has Resque's shape, so Resque's web UI can list it, plus the job's ``id``::

    {"failed_at": "2026/11/26 19:32:07 UTC", "payload": {...}, "exception": "ValueError",
     "error": "bad input", "backtrace": ["app/jobs.py:12 in perform", ...],
     "worker": "host:123:sleep", "queue": "sleep", "id": "3f2a..."}

Records are found by that id, never by their position in the list, which shifts as new
failures arrive and old ones are trimmed.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jobs.payload import Payload, PayloadError, new_job_id
from jobs.store import Store

PAGE = 200


def failure_record(
    payload: bytes, queue: str, worker_id: str, exception: str, error: str, backtrace: list[str]
) -> bytes:
    """Build the JSON record for a job that failed, from its payload exactly as fetched."""
    try:
        decoded = Payload.decode(payload)
        body: dict[str, Any] = decoded.body
        job_id = decoded.job_id or new_job_id()
    except PayloadError:
        body, job_id = {"raw": payload.decode("utf-8", "replace")}, new_job_id()
    record = {
        "failed_at": time.strftime("%Y/%m/%d %H:%M:%S UTC", time.gmtime()),
        "payload": body,
        "exception": exception,
        "error": error,
        "backtrace": backtrace,
        "worker": worker_id,
        "queue": queue,
        "id": job_id,
    }
    return json.dumps(record, separators=(",", ":")).encode()


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

    @classmethod
    def parse(cls, stored: bytes) -> Failure:
        record = json.loads(stored)
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
        )

    def payload_to_retry(self) -> bytes:
        """The job to put back: the same id, a fresh ``enqueued_at``; unreadable payloads go
        back exactly as they came."""
        if set(self.payload) == {"raw"}:
            return str(self.payload["raw"]).encode()
        body = {**self.payload, "enqueued_at": time.time()}
        return json.dumps(body, separators=(",", ":")).encode()


class FailureNotFound(KeyError):
    """No failure record with that id (already retried or removed?)."""


class Failures:
    """Listing, retrying and removing failure records."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def count(self) -> int:
        return self._store.failures.count()

    def newest(self, start: int = 0, count: int = 20) -> list[Failure]:
        """Records newest first: ``start`` counts back from the newest."""
        if count <= 0:
            return []
        page = self._store.failures.page(-(start + count), -(start + 1))
        return [Failure.parse(stored) for stored in reversed(page)]

    def all(self) -> Iterator[Failure]:
        """Every record, oldest first, read in bounded pages."""
        start = 0
        while page := self._store.failures.page(start, start + PAGE - 1):
            yield from (Failure.parse(stored) for stored in page)
            start += len(page)

    def find(self, failure_id: str) -> Failure:
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
        retried = 0
        for failure in list(self.all()):
            retried += self._store.failures.retry(
                failure.stored, failure.payload_to_retry(), failure.queue
            )
        return retried

    def clear(self) -> int:
        return self._store.failures.clear()
