"""Workers as the Workers, Working and Overview pages show them: one row per worker.

A worker's working record (``{"queue", "run_at", "payload"}``) embeds the job's payload, so it
is as big, and as strange, as the job: megabytes of arguments, JSON nested past what Python
can read back, bytes that are not UTF-8. A page reads at most the first bytes of a record
(:mod:`jobs.store.monitor`) and turns whatever it finds into text: a record it cannot read
becomes a row that shows it raw and cut, never an error page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jobs.registry import WorkerId
from jobs.store import RecordSlice, SilentHost, WorkerReading
from jobs.web.display import (
    args_text,
    duration_text,
    iso_seconds,
    quoted_text,
    raw_text,
    relative_text,
    since,
    time_ago_text,
    time_text,
)

# The start of a working record as the fetch script writes it (see lua/lib/working_record.lua),
# and a payload's class: enough to show a record that was cut.
RECORD_START = re.compile(
    rb'^\{"queue":("(?:[^"\\]|\\.)*"),"run_at":("(?:[^"\\]|\\.)*"),"payload":'
)
CLASS_FIELD = re.compile(rb'"class":("(?:[^"\\]|\\.)*")')


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
    last_beat: str  # "3 s ago"
    processed: int
    failed: int
    job: CurrentJob | None


def current_job(record: RecordSlice | None) -> CurrentJob | None:
    """A worker's working record as the job it is running; None when it is idle."""
    if record is None:
        return None
    if not record.whole:
        return _cut_record(record)
    try:
        body = json.loads(record.head)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        return CurrentJob("", "(unreadable record)", raw_text(record.head), "", "")
    payload = body.get("payload")
    if not isinstance(payload, dict):
        payload = {"raw": payload}
    run_at = str(body.get("run_at", ""))
    return CurrentJob(
        queue=str(body.get("queue", "")),
        class_name=_class_name(payload),
        args=_payload_args(payload),
        run_at=time_text(run_at),
        running_for=duration_text(since(iso_seconds(run_at))),
    )


def _class_name(payload: dict[str, Any]) -> str:
    name = payload.get("class")
    return name if isinstance(name, str) else "(unreadable payload)"


def _payload_args(payload: dict[str, Any]) -> str:
    if "args" in payload:
        return args_text(payload["args"])
    raw = payload.get("raw", "")
    return raw_text(raw.encode()) if isinstance(raw, str) else args_text(raw)


def _cut_record(record: RecordSlice) -> CurrentJob:
    """A record too long to read whole: what its first bytes say, the rest cut."""
    start = RECORD_START.match(record.head)
    if start is None:
        text = raw_text(record.head, length=record.length)
        return CurrentJob("", "(unreadable record)", text, "", "")
    queue, run_at = (quoted_text(group) for group in start.groups())
    rest = record.head[start.end() :]
    found = CLASS_FIELD.search(rest[:2000])
    return CurrentJob(
        queue=queue,
        class_name=quoted_text(found.group(1)) if found else "(payload cut)",
        args=raw_text(rest, length=record.length),
        run_at=time_text(run_at),
        running_for=duration_text(since(iso_seconds(run_at))),
    )


def worker_row(reading: WorkerReading, now_ms: int) -> WorkerRow:
    parsed = WorkerId.parse(reading.id)
    job = current_job(reading.record)
    flags = sorted(reading.flags)
    age = (now_ms - reading.beat_ms) / 1000 if reading.beat_ms is not None else None
    return WorkerRow(
        id=reading.id,
        host=parsed.host if parsed else "?",
        pid=_pid_text(parsed),
        queues=list(parsed.queues) if parsed else [],
        state=worker_state(job is not None, flags),
        flags=flags,
        started=time_ago_text(reading.started, now_ms / 1000) if reading.started else "",
        last_beat=relative_text(age) if age is not None else "never",
        processed=reading.processed,
        failed=reading.failed,
        job=job,
    )


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


@dataclass(frozen=True)
class SilentHostRow:
    host: str
    workers: int
    last_beat: str  # "3 min ago"


def silent_host_row(silent: SilentHost) -> SilentHostRow:
    return SilentHostRow(silent.host, silent.workers, relative_text(silent.silent_ms / 1000))
