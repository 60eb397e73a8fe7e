"""Recovery: find workers that died holding jobs, and put those jobs back on their queues.

A worker is dead when its last heartbeat is older than ``JOBS_DEAD_AFTER`` seconds (by Redis's
clock), or, faster, when it ran on this same host and its process no longer exists. Every live
worker looks, once per heartbeat, but a short-lived lock means only one of them does the work
at a time. Each job is moved back by a Lua script that first checks the heartbeat it was judged
by is unchanged, so a worker that was only slow, not dead, keeps its jobs.

A job that was running each time ``JOBS_CRASH_LIMIT`` workers died is failed instead of put back:
it may be what is killing them. Only a job known to have been running counts: the one job a
dead worker held. A thread's batch holds several, and Redis cannot tell which one was running
(the thread moves from one to the next without a word to Redis, which is what makes batches
quick), so they all go back uncounted, marked to run alone next time, when a death is certain
to be the job's own (see ``lua/requeue.lua``, 'suspect').
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from jobs.registry import WorkerId
from jobs.settings import Settings
from jobs.settle import put_back
from jobs.store import RequeueReason, Store

log = logging.getLogger("jobs.recovery")


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return True


class Recovery:
    def __init__(self, store: Store, settings: Settings, own_ids: list[str]) -> None:
        self._store = store
        self._settings = settings
        self._own_ids = set(own_ids)
        self._host = settings.host

    def recover_dead_workers(
        self, now_ms: int, trust_heartbeats: Callable[[], bool] = lambda: True
    ) -> bool:
        """Look for dead workers (if no one else is looking) and put their jobs back.
        Returns whether this worker held the lock and looked. With ``trust_heartbeats``
        False (just after an outage), only same-host workers whose process is gone count."""
        lock_ms = max(100, int(self._settings.heartbeat_interval * 1000))
        if not self._store.workers.try_lock_recovery(f"{self._host}:{os.getpid()}", lock_ms):
            return False
        for worker_id, beat in self._store.workers.heartbeats():
            if worker_id in self._own_ids:
                continue
            silent_s = (now_ms - int(beat)) / 1000
            if self._process_gone(worker_id):
                self.recover_worker(worker_id, beat, "its process was gone")
            elif silent_s > self._settings.dead_after and trust_heartbeats():
                self.recover_worker(worker_id, beat, f"no heartbeat for {silent_s:.0f}s")
        return True

    def _process_gone(self, worker_id: str) -> bool:
        parsed = WorkerId.parse(worker_id)
        return parsed is not None and parsed.host == self._host and not process_exists(parsed.pid)

    def recover_worker(self, worker_id: str, expected_beat: str, cause: str = "") -> int:
        """Put back every job ``worker_id`` holds and unregister it, unless it turns out to be
        alive (its heartbeat moved). ``cause``: why it is thought dead, for a failure record.
        Returns how many jobs were put back or failed."""
        moved = 0
        held = self._store.queues.inflight(worker_id)
        reason: RequeueReason = "crash" if len(held) == 1 else "suspect"
        for entry in held:
            outcome = put_back(
                self._store, self._settings, worker_id, entry, reason, expected_beat, cause
            )
            if outcome == "alive":
                return moved
            moved += outcome in ("requeued", "failed")
            log.warning("worker %s is dead; its job was %s", worker_id, outcome)
        moved += self.return_landing(worker_id)
        self._store.workers.unregister(worker_id, expected_beat)
        return moved

    def return_landing(self, worker_id: str) -> int:
        """Put back what a worker on a single queue left in its landing list: a job its idle
        thread had taken but not landed when it died (see :mod:`jobs.store.landing`)."""
        parsed = WorkerId.parse(worker_id)
        if parsed is None or len(parsed.queues) != 1 or parsed.queues[0] == "*":
            return 0
        returned = self._store.queues.return_landing(worker_id, parsed.queues[0])
        if returned:
            log.warning("worker %s is dead; %d job(s) it was taking went back", worker_id, returned)
        return returned
