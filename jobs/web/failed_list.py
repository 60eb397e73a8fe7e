"""The Failed tab's list: failure records newest first, filtered by class and queue.

Redis cannot filter a list, so filtering means reading records and keeping the matches. It
reads them in bounded chunks from the newest end, stops as soon as the page is full, and
never reads more than :data:`SCAN_LIMIT` records for one page: the page then says how far it
looked, instead of making one request read the whole list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jobs.failures import Failure
from jobs.store import Store
from jobs.web.display import args_text
from jobs.web.paging import Paging

CHUNK = 200
SCAN_LIMIT = 20_000


@dataclass(frozen=True)
class FailureFilter:
    class_contains: str = ""
    queue: str = ""

    @property
    def active(self) -> bool:
        return bool(self.class_contains or self.queue)

    def matches(self, failure: Failure) -> bool:
        class_name = str(failure.payload.get("class", ""))
        if self.class_contains and self.class_contains not in class_name:
            return False
        return not self.queue or failure.queue == self.queue


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
class FailedPage:
    rows: list[FailureRow]
    total: int  # records in the list
    paging: Paging
    has_next: bool
    scanned: int  # records read to build the page
    scan_cut: bool  # True if the scan stopped at SCAN_LIMIT before the list ended


def failure_row(failure: Failure) -> FailureRow:
    payload = failure.payload
    return FailureRow(
        id=failure.id,
        class_name=str(payload.get("class", "(unreadable payload)")),
        args=args_text(payload.get("args", payload.get("raw", []))),
        exception=failure.exception,
        error=failure.error,
        worker=failure.worker,
        queue=failure.queue,
        failed_at=failure.failed_at,
        attempts=str(failure.attempts),
        backtrace=failure.backtrace,
    )


def unreadable_row(stored: bytes) -> FailureRow:
    """A record that is not JSON (someone else wrote it): shown, never fatal."""
    text = stored.decode("utf-8", "replace")[:500]
    return FailureRow("", "(unreadable record)", text, "", "", "", "", "", "", [])


def failed_page(store: Store, paging: Paging, wanted: FailureFilter) -> FailedPage:
    """One page of records, newest first, that match ``wanted``."""
    total = store.failures.count()
    if not wanted.active:
        # No filter: the page is a plain range of the list, however deep it is.
        stored = store.failures.page(-(paging.start + paging.per_page), -(paging.start + 1))
        rows = _matching_rows(reversed(stored), wanted)
        return FailedPage(rows, total, paging, paging.has_next(total), len(rows), False)
    return _filtered_page(store, paging, wanted, total)


def _filtered_page(store: Store, paging: Paging, wanted: FailureFilter, total: int) -> FailedPage:
    skip, scanned = paging.start, 0
    rows: list[FailureRow] = []
    # Read one row more than the page holds, to know whether there is a next page.
    while scanned < min(total, SCAN_LIMIT) and len(rows) <= paging.per_page:
        chunk = store.failures.page(-(scanned + CHUNK), -(scanned + 1))
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


def _matching_rows(records: Iterable[bytes], wanted: FailureFilter) -> list[FailureRow]:
    matched: list[FailureRow] = []
    for stored in records:
        try:
            failure = Failure.parse(stored)
        except (ValueError, AttributeError, TypeError):
            if not wanted.active:
                matched.append(unreadable_row(stored))
            continue
        if wanted.matches(failure):
            matched.append(failure_row(failure))
    return matched
