"""The Failed tab's list: failure records newest first, filtered by class and queue.

Redis cannot filter a list, so filtering means reading records and keeping the matches. It
reads them in bounded chunks from the newest end, stops as soon as the page is full, and
never reads more than :data:`SCAN_LIMIT` records for one page: the page then says how far it
looked, instead of making one request read the whole list.

A record can be megabytes (a job with huge arguments, recorded by an older version or another
Resque), so records are read cut: a long one comes as its first and last bytes
(:meth:`jobs.store.monitor.MonitorStore.failure_slices`). Our records, and Resque's, put the
payload second and the facts after it (exception, error, backtrace, worker, queue, id), so the
last bytes hold what a row shows and the first bytes the job's class and the start of its
arguments. A record that cannot be read either way is shown raw, cut: never an error page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jobs.failures import Failure
from jobs.store import MonitorStore, RecordSlice, Store
from jobs.web.display import args_text, quoted_text, raw_text, time_ago_text
from jobs.web.paging import Paging
from jobs.web.worker_rows import CLASS_FIELD

CHUNK = 200
SCAN_LIMIT = 20_000


@dataclass(frozen=True)
class FailureRow:
    id: str
    class_name: str
    args: str
    exception: str
    error: str
    worker: str
    queue: str
    failed_at: str
    attempts: str
    backtrace: list[str]


@dataclass(frozen=True)
class FailureFilter:
    class_contains: str = ""
    queue: str = ""

    @property
    def active(self) -> bool:
        return bool(self.class_contains or self.queue)

    def matches(self, row: FailureRow) -> bool:
        if self.class_contains and self.class_contains not in row.class_name:
            return False
        return not self.queue or row.queue == self.queue


@dataclass(frozen=True)
class FailedPage:
    rows: list[FailureRow]
    total: int  # records in the list
    paging: Paging
    has_next: bool
    scanned: int  # records read to build the page
    scan_cut: bool  # True if the scan stopped at SCAN_LIMIT before the list ended


# The facts after the payload, and the time before it, in a record too long to read whole.
FACTS_START = b',"exception":'
FAILED_AT = re.compile(rb'"failed_at":("(?:[^"\\]|\\.)*")')
PAYLOAD_START = b'"payload":'


def failure_row(failure: Failure) -> FailureRow:
    payload = failure.payload
    if not isinstance(payload, dict):
        payload = {"raw": payload}
    class_name = payload.get("class", "(unreadable payload)")
    return FailureRow(
        id=failure.id,
        class_name=str(class_name),
        args=args_text(payload.get("args", payload.get("raw", []))),
        exception=failure.exception,
        error=failure.error,
        worker=failure.worker,
        queue=failure.queue,
        failed_at=time_ago_text(failure.failed_at),
        attempts=str(failure.attempts),
        backtrace=failure.backtrace,
    )


def slice_row(record: RecordSlice) -> FailureRow:
    """The row of one record: read whole if it is whole and readable, else from its ends."""
    if record.whole:
        try:
            failure = Failure.parse(record.head)
        except (ValueError, AttributeError, TypeError, RecursionError):
            pass  # not the shape of a record
        else:
            # Failure.parse calls a record it cannot read an UnreadableRecord with an id of its
            # own. One that is JSON nested too deep for Python still ends with its own fields
            # (id, exception...): read from there, its buttons act on the record.
            if failure.exception != "UnreadableRecord" or not _facts(record.head):
                return failure_row(failure)
    return _row_from_ends(record)


def _row_from_ends(record: RecordSlice) -> FailureRow:
    """A row made of what a record's first and last bytes say; its payload shown raw, cut."""
    tail = record.tail or record.head
    facts = _facts(tail)
    head = record.head
    payload_at = head.find(PAYLOAD_START)
    payload = head[payload_at + len(PAYLOAD_START) :] if payload_at >= 0 else head
    class_found = CLASS_FIELD.search(payload[:2000])
    failed_at = FAILED_AT.search(head[:2000])
    return FailureRow(
        id=_text(facts.get("id")),
        class_name=quoted_text(class_found.group(1)) if class_found else "(unreadable record)",
        args=raw_text(payload, length=record.length)
        if facts
        else raw_text(head, length=record.length),
        exception=_text(facts.get("exception")),
        error=_text(facts.get("error")),
        worker=_text(facts.get("worker")),
        queue=_text(facts.get("queue")),
        failed_at=time_ago_text(quoted_text(failed_at.group(1))) if failed_at else "",
        attempts=_text(facts.get("attempts", 1)),
        backtrace=[_text(line) for line in facts.get("backtrace") or [] if isinstance(line, str)],
    )


def _facts(tail: bytes) -> dict[str, Any]:
    """The record's fields after its payload, if its last bytes hold them all."""
    at = tail.rfind(FACTS_START)
    if at < 0:
        return {}
    try:
        facts = json.loads(b"{" + tail[at + 1 :])
    except (ValueError, RecursionError):
        return {}
    return facts if isinstance(facts, dict) else {}


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def failed_page(store: Store, paging: Paging, wanted: FailureFilter) -> FailedPage:
    """One page of records, newest first, that match ``wanted``."""
    reads = store.monitor
    total = store.failures.count()
    if not wanted.active:
        # No filter: the page is a plain range of the list, however deep it is.
        stored = reads.failure_slices(-(paging.start + paging.per_page), -(paging.start + 1))
        rows = _matching_rows(reversed(stored), wanted)
        return FailedPage(rows, total, paging, paging.has_next(total), len(rows), False)
    return _filtered_page(reads, paging, wanted, total)


def _filtered_page(
    reads: MonitorStore, paging: Paging, wanted: FailureFilter, total: int
) -> FailedPage:
    skip, scanned = paging.start, 0
    rows: list[FailureRow] = []
    # Read one row more than the page holds, to know whether there is a next page.
    while scanned < min(total, SCAN_LIMIT) and len(rows) <= paging.per_page:
        chunk = reads.failure_slices(-(scanned + CHUNK), -(scanned + 1))
        if not chunk:
            break
        for row in _matching_rows(reversed(chunk), wanted):
            if skip:
                skip -= 1
            else:
                rows.append(row)
        scanned += len(chunk)
    scanned = min(scanned, total)
    full = len(rows) > paging.per_page
    return FailedPage(
        rows=rows[: paging.per_page],
        total=total,
        paging=paging,
        has_next=full,
        scanned=scanned,
        scan_cut=not full and scanned < total,
    )


def _matching_rows(records: Iterable[RecordSlice], wanted: FailureFilter) -> list[FailureRow]:
    rows = [slice_row(record) for record in records]
    return [row for row in rows if wanted.matches(row)]
