"""The scheduler loop: moves jobs whose time has come onto their queues.

1. Delayed jobs (``enqueue_at``/``enqueue_in``) and retries wait in sorted sets scored by when
   they are due. Each :meth:`Scheduler.tick` moves every due one to its queue, a batch per Lua
   call that takes it out of the set and pushes it in one step: with several loops running,
   each job is moved exactly once, and a loop killed mid-move loses nothing.
2. Each recurring schedule's latest tick is enqueued once across all loops, by a
   compare-and-set on the schedule's last tick (see :mod:`jobs.schedule` for the catch-up rule).
3. ``tick`` returns how long the loop may sleep: until the soonest job or tick is due, at most
   :data:`MAX_SLEEP`. Adding a job that is due sooner than all others publishes on the
   scheduler's channel, which ends the sleep early.

"Due" is judged by Redis's clock, inside the scripts, so loops on machines with skewed clocks
agree. Tests pass a ``clock`` instead and move time without sleeping.

The loop runs inside every worker by default (between jobs, on the worker's own thread: it
costs one or two cheap Redis calls a second when idle, and many of them are safe), and on its
own with ``python -m jobs scheduler`` (:func:`run_standalone`). What it leaves to others:
deciding retries (:mod:`jobs.retries`), declaring schedules (:mod:`jobs.schedule`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import time
from collections.abc import Callable

from jobs.job_loader import JobLoader
from jobs.payload import encode
from jobs.schedule import Schedule, default_schedule
from jobs.settings import Settings
from jobs.store import CONNECTION_ERRORS, MOVE_BATCH, DelayedSet, Store, WakeupSubscription

log = logging.getLogger("jobs.scheduler")
MAX_SLEEP = 1.0  # seconds: a job is on its queue within this of its time, even if a wake-up is lost
PUBLISH_EVERY = 60.0  # seconds between re-publishing the recurring definitions for the monitor
SETS: tuple[DelayedSet, ...] = ("scheduled", "retries")

Clock = Callable[[], float]  # Unix seconds


class Scheduler:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        schedule: Schedule | None = None,
        clock: Clock | None = None,
        batch: int = MOVE_BATCH,
    ) -> None:
        self._store = store
        self._settings = settings
        self.schedule = default_schedule if schedule is None else schedule
        self._clock = clock  # None: Redis's clock
        self._batch = batch
        self._tried: dict[str, int] = {}  # schedule name -> the last tick this loop claimed
        self._published_at = -PUBLISH_EVERY

    def tick(self) -> float:
        """Move what is due; return the seconds until this should run again."""
        now_override = None if self._clock is None else int(self._clock() * 1000)
        soonest: list[int] = []
        now_ms = 0
        for name in SETS:
            moved = self._store.delayed.move_due(name, now_override, self._batch)
            while moved.full_batch:
                moved = self._store.delayed.move_due(name, now_override, self._batch)
            now_ms = moved.now_ms
            if moved.next_due_ms is not None:
                soonest.append(moved.next_due_ms)
        soonest += self._recurring(now_ms)
        if not soonest:
            return MAX_SLEEP
        return min(MAX_SLEEP, max(0.0, (min(soonest) - now_ms) / 1000))

    def _recurring(self, now_ms: int) -> list[int]:
        """Enqueue each schedule's latest tick (once: see claim_tick.lua); return their next
        ticks."""
        entries = list(self.schedule.entries.values())
        if entries and time.monotonic() - self._published_at >= PUBLISH_EVERY:
            self._store.recurring.publish({e.name: e.to_json() for e in entries})
            self._published_at = time.monotonic()
        next_ticks = []
        for entry in entries:
            tick = entry.latest_tick(now_ms)
            if self._tried.get(entry.name) != tick:  # each loop asks Redis once per tick
                _, payload = encode(entry.class_name, entry.args, self._settings.max_payload_bytes)
                outcome = self._store.recurring.claim_tick(entry.name, tick, entry.queue, payload)
                self._tried[entry.name] = tick
                if outcome == "enqueued":
                    log.info("enqueued %s (%s) on %s", entry.name, entry.describe(), entry.queue)
            next_ticks.append(entry.next_tick(now_ms))
        return next_ticks


def schedule_with_file(path: str | None, loader: JobLoader) -> Schedule:
    """The schedule declared in code, plus the schedules in a TOML file if ``path`` is given
    (its classes found by ``loader``, so only classes the worker may run)."""
    if not path:
        return default_schedule
    schedule = Schedule()
    for entry in default_schedule.entries.values():
        schedule.add(entry)
    schedule.load_file(path, loader.load)
    return schedule


def scheduler_for_worker(store: Store, settings: Settings, loader: JobLoader) -> Scheduler | None:
    """The scheduler loop a worker runs, unless ``JOBS_SCHEDULER=0``; with the schedule file
    named by ``JOBS_SCHEDULE``, if any."""
    if settings.environ.get("JOBS_SCHEDULER", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    return Scheduler(
        store, settings, schedule_with_file(settings.environ.get("JOBS_SCHEDULE"), loader)
    )


def run_standalone(scheduler: Scheduler, store: Store) -> None:
    """Run the loop in this process until TERM or INT (``python -m jobs scheduler``).

    It sleeps on the scheduler's channel, so a job added sooner than the others wakes it; if
    Redis goes away it says so once and keeps trying."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)
        with contextlib.suppress(BlockingIOError):  # a full pipe wakes the loop anyway
            os.write(wake_write, b"\0")

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    wakeups: WakeupSubscription | None = None
    lost = False
    log.info("scheduler started")
    while not stopping:
        try:
            pause = scheduler.tick()
            if wakeups is None:  # at the start, and after Redis came back
                wakeups = store.queues.wakeups([], False, scheduler=True)
            if lost:
                log.warning("Redis is back")
                lost = False
            wakeups.wait([wake_read], pause)
        except CONNECTION_ERRORS as error:
            if not lost:
                log.warning("lost Redis (%s); trying again every second", error)
            lost = True
            _close(wakeups)
            wakeups = None
            select.select([wake_read], [], [], MAX_SLEEP)
    _close(wakeups)
    log.info("scheduler stopped")


def _close(wakeups: WakeupSubscription | None) -> None:
    """Close a subscription whose connection may already be gone."""
    if wakeups is not None:
        with contextlib.suppress(*CONNECTION_ERRORS):
            wakeups.close()
