"""Housekeeping: what a worker does once per heartbeat, between jobs.

1. Heartbeat: tell Redis this worker's ids are alive.
2. Look for dead workers and put their jobs back (:mod:`jobs.recovery`) — but not right after
   an outage: when Redis was unreachable (or just restarted) every worker's heartbeat is old,
   and declaring them dead would run every job they hold twice. So heartbeat verdicts wait
   until a full ``JOBS_DEAD_AFTER`` has passed since Redis came back, by this worker's count
   and by Redis's own uptime. (A same-host worker whose process is gone is dead either way.)
3. Put back this worker's own orphans: jobs still in its in-flight lists that no slot is
   running, left behind when a job finished while Redis was unreachable and could not report.
4. Drop failure records older than ``JOBS_FAILED_RETENTION_DAYS``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from jobs.recovery import Recovery
from jobs.registry import Registration
from jobs.settings import Settings
from jobs.settle import put_back
from jobs.store import Store

log = logging.getLogger("jobs.worker")


class Housekeeping:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        registration: Registration,
        running_entries: Callable[[], dict[str, list[bytes] | None]],
    ) -> None:
        self._store = store
        self._settings = settings
        self._registration = registration
        self._running_entries = running_entries
        self._recovery = Recovery(store, settings, registration.worker_ids)
        self._trust_heartbeats_after = 0.0

    def run(self) -> None:
        self._registration.heartbeat()
        now_ms = self._registration.clock.now_ms()
        if self._recovery.recover_dead_workers(now_ms, self._heartbeats_trusted):
            self._trim_failed()  # the recovery lock also spaces out trimming
        self._put_back_orphans()

    def after_outage(self) -> None:
        """Redis is back: register again (a Redis without persistence forgot us), and hold
        heartbeat verdicts for a full ``dead_after``."""
        self._trust_heartbeats_after = time.monotonic() + self._settings.dead_after
        self._registration.register()

    def _heartbeats_trusted(self) -> bool:
        if time.monotonic() < self._trust_heartbeats_after:
            return False
        return self._store.workers.redis_uptime() > self._settings.dead_after

    def _put_back_orphans(self) -> None:
        # Read Redis first, then what the slots run: a job a thread takes in between is then
        # either not yet read here, or already known to its slot (see BatchFetcher.known).
        held_by = {
            worker_id: self._store.queues.inflight(worker_id)
            for worker_id in self._registration.worker_ids
        }
        running = self._running_entries()
        for worker_id, entries in held_by.items():
            known = running.get(worker_id, [])
            if known is None:
                continue  # this slot is taking its next jobs right now; look again next time
            held = Counter(entries)
            held.subtract(known)
            for entry, count in held.items():
                for _ in range(count):
                    outcome = put_back(self._store, self._settings, worker_id, entry, "interrupted")
                    # "gone": its thread settled it after Redis was read here; not an orphan.
                    if outcome != "gone":
                        log.warning("a job that could not report its result was %s", outcome)

    def _trim_failed(self) -> None:
        days = self._settings.failed_retention_days
        cutoff = time.gmtime(time.time() - days * 86400)
        dropped = self._store.failures.trim_older_than(
            time.strftime("%Y/%m/%d %H:%M:%S UTC", cutoff)
        )
        if dropped:
            log.info("dropped %d failure records older than %s days", dropped, days)
