"""The worker: one process that takes jobs from its queues and runs them, until told to stop.

Its loop, on a single thread (so that forking a child per job is safe):

1. heartbeat, and now and then look for dead workers (see :mod:`jobs.recovery`);
2. collect the jobs that finished; put back the ones whose child process died;
3. fetch a job for every free slot, highest-priority queue first;
4. wait — for a wake-up published by enqueue, a finished job, a signal, or the next
   heartbeat — and go round again.

An idle worker is waiting on a subscription, not polling, so it picks a new job up within
milliseconds. Signals, as in Resque: QUIT finishes the running jobs and exits; TERM and INT stop
now, putting unfinished jobs back on their queues.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from types import FrameType

from jobs.fetch import Delivery, Fetcher, requeue_entry
from jobs.job_loader import JobLoader
from jobs.processor import process
from jobs.recovery import Recovery
from jobs.registry import Registration, WorkerId
from jobs.runners import Finished, ForkRunner, ThreadRunner
from jobs.settings import Settings
from jobs.store import Store, WakeupSubscription

log = logging.getLogger("jobs.worker")
WILDCARD_REFRESH = 1.0  # seconds; how soon a worker on "*" notices a queue nobody woke it for


class QueueSelector:
    """The queues to fetch from, in priority order. ``*`` stands for every queue not named
    before it, alphabetically, re-read at most once a second (and when a wake-up names a
    queue not seen yet)."""

    def __init__(self, store: Store, names: list[str]) -> None:
        self.names = names
        self.every_queue = "*" in names
        self._store = store
        self._resolved: list[str] = [name for name in names if name != "*"]
        self._read_at = -WILDCARD_REFRESH

    def current(self) -> list[str]:
        if self.every_queue and time.monotonic() - self._read_at >= WILDCARD_REFRESH:
            self.refresh()
        return self._resolved

    def refresh(self) -> None:
        named = [name for name in self.names if name != "*"]
        others = [name for name in self._store.queues.names() if name not in named]
        position = self.names.index("*") if self.every_queue else len(named)
        self._resolved = named[:position] + others + named[position:]
        self._read_at = time.monotonic()

    def notice(self, queue: str) -> None:
        if self.every_queue and queue not in self._resolved:
            self.refresh()


class Worker:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        queues: list[str],
        loader: JobLoader,
        *,
        threads: int = 1,
        fork_per_job: bool = True,
        interval: float = 5.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.loader = loader
        self.interval = interval
        self.queues = QueueSelector(store, queues)
        self.fork_per_job = fork_per_job and threads == 1
        base = WorkerId(socket.gethostname(), os.getpid(), tuple(queues))
        if threads == 1:
            self.ids = [str(base)]
        else:
            self.ids = [
                str(WorkerId(base.host, base.pid, base.queues, n)) for n in range(1, threads + 1)
            ]
        self.fetcher = Fetcher(store, settings, self.queues.current)
        self.recovery = Recovery(store, settings, self.ids)
        self.stopping: str | None = None  # None, "graceful" or "now"
        self._wake_read, self._wake_write = os.pipe()
        for fd in (self._wake_read, self._wake_write):
            os.set_blocking(fd, False)
        self.runner: ForkRunner | ThreadRunner
        if self.fork_per_job:
            self.runner = ForkRunner(self.ids[0], self._run_in_child)
        else:
            self.runner = ThreadRunner(self.ids, self._perform, self._wake)

    # -- life cycle ---------------------------------------------------------------------------
    def run(self) -> None:
        """Work until stopped by a signal (or, with interval 0, until the queues are empty)."""
        self._install_signal_handlers()
        self.registration = Registration(self.store, self.ids)
        self._recover_previous_self()
        self.registration.register()
        self.wakeups: WakeupSubscription = self.store.queues.wakeups(
            self.queues.names, self.queues.every_queue
        )
        log.info("worker %s started (%s)", self.ids[0], self._mode())
        try:
            self._loop()
        finally:
            self._shut_down()

    def _mode(self) -> str:
        return "fork per job" if self.fork_per_job else f"{len(self.ids)} threads"

    def _recover_previous_self(self) -> None:
        """A dead worker may have had our id (pids get reused, e.g. pid 1 in containers):
        put back what it held before we take the id over."""
        for worker_id in self.ids:
            beat = self.store.workers.heartbeat_of(worker_id)
            if beat is not None:
                self.recovery.recover_worker(worker_id, beat)

    def _loop(self) -> None:
        next_beat = 0.0
        while True:
            if time.monotonic() >= next_beat:
                self._heartbeat()
                next_beat = time.monotonic() + self.settings.heartbeat_interval
            self._settle(self.runner.collect())
            if self.stopping == "now" or (self.stopping and not self.runner.running()):
                return
            found_all = self.stopping is None and self._fill_free_slots()
            if self.interval == 0 and not found_all and not self.runner.running():
                return
            self._wait(min(next_beat - time.monotonic(), self._idle_timeout()))

    def _heartbeat(self) -> None:
        self.registration.heartbeat()
        self.recovery.recover_dead_workers(self.registration.clock.now_ms())

    def _fill_free_slots(self) -> bool:
        """Fetch a job for every free slot. False once the queues ran dry."""
        for slot in self.runner.free_slots():
            delivery = self.fetcher.fetch(slot)
            if delivery is None:
                return False
            self.runner.start(slot, delivery)
        return True

    def _idle_timeout(self) -> float:
        timeout = self.interval if self.interval > 0 else 0.1
        return min(timeout, WILDCARD_REFRESH) if self.queues.every_queue else timeout

    def _wait(self, timeout: float) -> None:
        for queue in self.wakeups.wait([self._wake_read], max(0.0, timeout)):
            self.queues.notice(queue)
        try:
            while os.read(self._wake_read, 4096):
                pass
        except BlockingIOError:
            pass

    def _settle(self, finished: list[Finished]) -> None:
        for done in finished:
            if done.crashed is None:
                continue
            outcome = done.delivery.requeue("crash")
            log.warning("a job's process %s; job %s", done.crashed, outcome)

    def _shut_down(self) -> None:
        self.runner.stop_now()
        for slot, delivery in self.runner.running().items():
            delivery.requeue("shutdown")
            log.info("put an unfinished job back on %s (%s)", delivery.queue, slot)
        for worker_id in self.ids:  # anything else still in flight, e.g. a thread's last job
            for entry in self.store.queues.inflight(worker_id):
                requeue_entry(self.store, self.settings, worker_id, entry, "shutdown")
        self.registration.unregister()
        self.wakeups.close()
        log.info("worker %s stopped", self.ids[0])

    # -- running jobs -------------------------------------------------------------------------
    def _perform(self, delivery: Delivery) -> bool:
        return process(delivery, self.loader)

    def _run_in_child(self, delivery: Delivery) -> int:
        process(delivery, self.loader)
        return 0

    # -- signals ------------------------------------------------------------------------------
    def _install_signal_handlers(self) -> None:
        signal.set_wakeup_fd(self._wake_write)  # a signal ends the wait in select at once
        signal.signal(signal.SIGQUIT, self._stop_graceful)
        signal.signal(signal.SIGTERM, self._stop_now)
        signal.signal(signal.SIGINT, self._stop_now)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # wakes the loop to reap

    def _stop_graceful(self, signum: int, frame: FrameType | None) -> None:
        log.info("QUIT: finishing running jobs, then exiting")
        self.stopping = self.stopping or "graceful"

    def _stop_now(self, signum: int, frame: FrameType | None) -> None:
        log.info(
            "%s: stopping now; unfinished jobs go back on their queues", signal.Signals(signum).name
        )
        self.stopping = "now"

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe will wake the loop anyway
            os.write(self._wake_write, b"\0")
