"""Recurring jobs: a schedule declared in code, or in a TOML file, and when each one is due.

In code, in a module the worker imports (``--import``)::

    jobs.schedule.every(300, ExpireSessions)                       # every 5 minutes
    jobs.schedule.cron("0 3 * * *", SendDigest, "weekly", name="digest")  # 03:00 UTC daily

In a file (``--schedule FILE`` or ``JOBS_SCHEDULE``), one table per schedule::

    [expire_sessions]
    class = "blog_app.jobs.ExpireSessions"
    every = 300                 # or: cron = "*/5 * * * *"
    args = []                   # optional
    queue = "maintenance"       # optional: the class's queue

Ticks are fixed points in time that every scheduler loop computes alike: ``every N`` ticks at
the multiples of N seconds since the Unix epoch; a cron expression (read by ``croniter``,
in UTC) at its matching times. A schedule's first tick is the first one after it was first
seen in Redis. **Missed ticks run once**: after a time with no scheduler running, only the
latest missed tick is enqueued, not one job per missed tick (a maintenance job that runs
"every 5 minutes" needs one run to catch up, not a burst of them).

What it leaves to others: :mod:`jobs.scheduler` enqueues each tick once, across every loop.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobs.arguments import check_arguments
from jobs.job_class import class_name_of, queue_of
from jobs.store import Store


class ScheduleError(ValueError):
    """A schedule that cannot work: bad interval, bad cron expression, duplicate name..."""


def _croniter() -> Any:
    """croniter, imported on first use: it (and what it imports) costs every worker memory and
    tens of milliseconds at start, and most workers have no cron schedule."""
    from croniter import croniter  # type: ignore[import-untyped]

    return croniter


@dataclass(frozen=True)
class Recurring:
    """One recurring job: ``class_name(*args)`` on ``queue``, every ``every`` seconds or at the
    times ``cron`` matches."""

    name: str
    class_name: str
    args: tuple[Any, ...]
    queue: str
    every: float | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ScheduleError(f"schedule {self.name!r}: give either every or cron")
        if self.every is not None and not (math.isfinite(self.every) and self.every >= 1):
            raise ScheduleError(f"schedule {self.name!r}: every must be at least 1 second")
        if self.cron is not None and not _croniter().is_valid(self.cron):
            raise ScheduleError(f"schedule {self.name!r}: {self.cron!r} is not a cron expression")
        check_arguments(self.class_name, self.args)

    def latest_tick(self, now_ms: int) -> int:
        """The last tick at or before ``now_ms`` (Unix ms)."""
        if self.every is not None:
            period = int(self.every * 1000)
            return now_ms // period * period
        # croniter's get_prev is strictly before its start, so start just after now.
        start = _utc(now_ms) + timedelta(milliseconds=1)
        return _ms(_croniter()(self.cron, start).get_prev(datetime))

    def next_tick(self, now_ms: int) -> int:
        """The first tick after ``now_ms``."""
        if self.every is not None:
            period = int(self.every * 1000)
            return (now_ms // period + 1) * period
        return _ms(_croniter()(self.cron, _utc(now_ms)).get_next(datetime))

    def describe(self) -> str:
        """``every 300s`` or ``cron */5 * * * *``, for people."""
        return f"every {self.every:g}s" if self.every is not None else f"cron {self.cron}"

    def to_json(self) -> bytes:
        """The definition as the monitor reads it back (:meth:`from_json`)."""
        body: dict[str, Any] = {"class": self.class_name, "args": list(self.args)}
        body["queue"] = self.queue
        body["every" if self.every is not None else "cron"] = self.every or self.cron
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, name: str, data: bytes) -> Recurring:
        body = json.loads(data)
        return cls(
            name,
            body["class"],
            tuple(body.get("args", [])),
            body["queue"],
            every=body.get("every"),
            cron=body.get("cron"),
        )


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


class Schedule:
    """A set of recurring jobs, by name. :data:`default_schedule` is what workers and
    ``python -m jobs scheduler`` run."""

    def __init__(self) -> None:
        self.entries: dict[str, Recurring] = {}

    def add(self, entry: Recurring) -> Recurring:
        if self.entries.get(entry.name, entry) != entry:
            raise ScheduleError(f"two different schedules are named {entry.name!r}")
        self.entries[entry.name] = entry
        return entry

    def every(
        self,
        seconds: float,
        job_class: type,
        *args: Any,
        name: str | None = None,
        queue: str | None = None,
    ) -> Recurring:
        """Enqueue ``job_class(*args)`` every ``seconds`` (at multiples of it since the epoch)."""
        return self._declare(job_class, args, name, queue, every=float(seconds))

    def cron(
        self,
        expression: str,
        job_class: type,
        *args: Any,
        name: str | None = None,
        queue: str | None = None,
    ) -> Recurring:
        """Enqueue ``job_class(*args)`` at the times a cron expression matches, in UTC."""
        return self._declare(job_class, args, name, queue, cron=expression)

    def _declare(
        self,
        job_class: type,
        args: tuple[Any, ...],
        name: str | None,
        queue: str | None,
        **when: Any,
    ) -> Recurring:
        class_name = class_name_of(job_class)
        entry = Recurring(
            name or class_name, class_name, args, queue or queue_of(job_class), **when
        )
        return self.add(entry)

    def load_file(self, path: str | Path, load_class: Callable[[str], type]) -> None:
        """Add the schedules in a TOML file. ``load_class`` finds a class by its dotted name
        (the worker's :class:`~jobs.job_loader.JobLoader`, so the file can name only classes
        the worker may run)."""
        try:
            tables = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ScheduleError(f"cannot read the schedule file {path}: {error}") from error
        for name, table in tables.items():
            if not isinstance(table, dict) or not isinstance(table.get("class"), str):
                raise ScheduleError(f'{path}: [{name}] needs class = "module.Class"')
            job_class = load_class(table["class"])
            self._declare(
                job_class,
                tuple(table.get("args", [])),
                name,
                table.get("queue"),
                every=table.get("every"),
                cron=table.get("cron"),
            )


default_schedule = Schedule()
every = default_schedule.every
cron = default_schedule.cron


@dataclass(frozen=True)
class RecurringState:
    """A recurring schedule as the scheduler loops published it, with its runs (Unix ms)."""

    entry: Recurring
    last_run_ms: int | None  # None: not run yet
    next_run_ms: int


def recurring_states(store: Store, now_ms: int | None = None) -> list[RecurringState]:
    """Every published recurring schedule, by name. ``now_ms`` (default: Redis's clock) is
    the moment the next runs are counted from."""
    now = store.clock.now_ms() if now_ms is None else now_ms
    last = store.recurring.last_ticks()
    states = []
    for name, definition in sorted(store.recurring.definitions().items()):
        try:
            entry = Recurring.from_json(name, definition)
        except (ValueError, KeyError, TypeError, ScheduleError):
            continue  # written by something else, or by a newer version: not ours to show
        last_run = last.get(name)
        ran = last_run if last_run is not None and last_run > 0 else None
        states.append(RecurringState(entry, ran, entry.next_tick(now)))
    return states
