"""The worker: one process that takes jobs from its queues and runs them, until told to stop.

Its loop, on a single thread (so that forking a child per job is safe: no other thread can be
holding a lock at the moment of the fork):

1. housekeeping, once per heartbeat (:mod:`jobs.housekeeping`), and the scheduler loop when
   a delayed job, a retry or a recurring tick may be due (:mod:`jobs.scheduler`);
2. act on signals (:mod:`jobs.signals`) and collect the slots whose jobs ended (each job's
   outcome, done, failed, crashed, killed or timed out, is settled by :mod:`jobs.settle`);
3. fetch a job for every free slot, highest-priority queue first (unless paused or stopping);
4. wait — for a wake-up published by enqueue (or by a job scheduled sooner than the others), a
   finished job, a signal, a timeout, the next heartbeat or scheduler run — and go round again.

In thread mode on a single queue, step 3 sends each free thread to wait for its job inside
Redis instead (:mod:`jobs.store.landing`), which is quicker than a wake-up and a fetch.

An idle worker waits on a subscription instead of polling, so it picks a new job up within
milliseconds. If Redis goes away, the worker waits for it with growing pauses, says so once,
and carries on when it is back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time

from jobs.fetch import BatchFetcher, Delivery, Fetcher
from jobs.hooks import Hooks, default_hooks
from jobs.housekeeping import Housekeeping
from jobs.job_loader import JobClassError, JobLoader
from jobs.outage import REDIS_ERRORS, OutageLog
from jobs.payload import PayloadError
from jobs.processor import process
from jobs.recovery import Recovery
from jobs.registry import Registration, WorkerId, warn_if_evicting
from jobs.runners import ForkRunner, ThreadRunner
from jobs.scheduler import Scheduler, scheduler_for_worker
from jobs.settings import Settings
from jobs.settle import PutBack, Settle, Settler, put_back
from jobs.signals import Controls
from jobs.store import SCHEDULER_WAKEUP, Store, WakeupSubscription, redact

log = logging.getLogger("jobs.worker")
WILDCARD_REFRESH = 1.0  # seconds; how soon a worker on "*" notices a queue nobody woke it for
MAX_RECONNECT_PAUSE = 2.0
# A thread whose job has run this long gives back the jobs it took with it (checked once per
# heartbeat), so quick jobs wait behind a slow one for about a heartbeat at most.
SLOW_JOB = 1.0


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
        shutdown_timeout: float = 10.0,
        hooks: Hooks | None = None,
        scheduler: Scheduler | bool = True,
    ) -> None:
        """``scheduler``: the scheduler loop to run between jobs; True: the usual one (off with
        ``JOBS_SCHEDULER=0``, see :func:`jobs.scheduler.scheduler_for_worker`); False: none."""
        self.store, self.settings, self.loader = store, settings, loader
        self.hooks = hooks or default_hooks
        self.interval = interval
        self.queues = QueueSelector(store, queues)
        self.fork_per_job = fork_per_job and threads == 1
        self.ids = _worker_ids(settings.host, queues, threads)
        self.fetcher = Fetcher(store, settings, self.queues.current)
        self.controls = Controls(shutdown_timeout)
        self.outage = OutageLog(redact(store.url))
        self._wake_read, self._wake_write = os.pipe()
        for fd in (self._wake_read, self._wake_write):
            os.set_blocking(fd, False)
        self.settler = Settler(store, settings)
        self._timeouts: dict[str, float | None] = {}  # job class name -> its timeout
        self.runner = self._runner()
        self._flags_shown: dict[str, set[str]] = {}
        self._next_housekeeping = 0.0
        self.scheduler: Scheduler | None = None
        if isinstance(scheduler, Scheduler):
            self.scheduler = scheduler
        elif scheduler:
            self.scheduler = scheduler_for_worker(store, settings, loader)
        self._next_schedule = 0.0  # monotonic time of the next scheduler run

    def _runner(self) -> ForkRunner | ThreadRunner:
        """Forked children or threads, each handing its jobs' outcomes to this worker's
        settler (a thread's through its own batch settler)."""
        if self.fork_per_job:
            after_fork, slot = self.hooks.run_after_fork, self.ids[0]
            return ForkRunner(
                slot, self.settler, self._process, after_fork, self._wake, self._next_job
            )
        fetchers = [
            BatchFetcher(
                self.store,
                self.settings,
                slot,
                self._queues_to_go_on_with,
                landing=self.store.queues.landing(slot, self.queues.names[0])
                if self._waits_in_redis()
                else None,
            )
            for slot in self.ids
        ]
        return ThreadRunner(
            fetchers, self.settler, self._process, self._wake, self._timeout_of, self.outage.lost
        )

    def _waits_in_redis(self) -> bool:
        """Whether idle threads wait for jobs inside Redis (see :mod:`jobs.store.landing`):
        thread mode, on a single queue, and not ``--interval 0`` (which stops once the queue
        is empty, where a wait would never end)."""
        names = self.queues.names
        return not self.fork_per_job and self.interval > 0 and len(names) == 1 and names != ["*"]

    # -- life cycle ---------------------------------------------------------------------------
    def run(self) -> None:
        """Work until stopped by a signal (or, with interval 0, until the queues are empty)."""
        self.controls.install(self._wake_write)
        self.registration = Registration(self.store, self.ids)
        self.housekeeping = Housekeeping(
            self.store, self.settings, self.registration, self._running_entries
        )
        self._recover_previous_self()
        warn_if_evicting(self.store)  # before registering: a test waits for the registration
        self.registration.register()
        self.wakeups: WakeupSubscription = self._subscribe()
        log.info("worker %s started (%s)", self.ids[0], self._mode())
        if self.fork_per_job:
            self.hooks.run_before_first_fork()
        try:
            self._loop()
        finally:
            self._shut_down()

    def _mode(self) -> str:
        return "fork per job" if self.fork_per_job else f"{len(self.ids)} threads"

    def _subscribe(self) -> WakeupSubscription:
        return self.store.queues.wakeups(
            self.queues.names, self.queues.every_queue, scheduler=self.scheduler is not None
        )

    def _recover_previous_self(self) -> None:
        """A dead worker may have had our id (pids get reused, e.g. pid 1 in containers):
        put back what it held before we take the id over."""
        recovery = Recovery(self.store, self.settings, self.ids)
        for worker_id in self.ids:
            beat = self.store.workers.heartbeat_of(worker_id)
            if beat is not None:
                recovery.recover_worker(worker_id, beat)

    def _loop(self) -> None:
        while True:
            try:
                if self._step():
                    return
            except REDIS_ERRORS as error:
                if not self._ride_out_outage(error):
                    return

    def _step(self) -> bool:
        """One round of the loop. Returns True when the worker should exit."""
        if time.monotonic() >= self._next_housekeeping:
            self.housekeeping.run()
            self.outage.back()  # a job thread may have lost Redis while this loop did not
            self.runner.give_back(if_running_for=SLOW_JOB)
            self._next_housekeeping = time.monotonic() + self.settings.heartbeat_interval
        if self.scheduler is not None and time.monotonic() >= self._next_schedule:
            self._next_schedule = time.monotonic() + self.scheduler.tick()
        if self.controls.kill_requested:
            self.controls.kill_requested = False
            self.runner.kill_running()
        self.runner.collect()
        self._show_flags()
        if self._finished():
            return True
        fetching = not (self.controls.stopping() or self.controls.paused)
        if not fetching:
            self.runner.give_back()  # jobs taken but not started: for other workers to run
            self.runner.end_waits()
        found_all = fetching and self._fill_free_slots()
        if self.interval == 0 and fetching and not found_all and not self.runner.running():
            return True
        self._wait(self._wait_timeout())
        return False

    def _finished(self) -> bool:
        if not self.controls.stopping():
            return False
        if not (self.runner.running() or self.runner.waiting()):
            return True
        return self.controls.stop == "timed" and self.controls.out_of_time()

    def _shut_down(self) -> None:
        try:
            self.runner.stop_now()
            for running in self.runner.running().values():
                self.settler.settle(running.delivery, PutBack())
            for worker_id in self.ids:  # anything else still in flight, e.g. a thread's last
                for entry in reversed(self.store.queues.inflight(worker_id)):  # keeps their order
                    put_back(self.store, self.settings, worker_id, entry, "interrupted")
            self.runner.return_leftovers()
            self.registration.unregister()
        except REDIS_ERRORS as error:
            log.error(
                "Redis is unreachable (%s): exiting without putting back what this worker holds;"
                " other workers will, once they see it is gone",
                error,
            )
        finally:
            with contextlib.suppress(*REDIS_ERRORS):
                self.wakeups.close()
        log.info("worker %s stopped", self.ids[0])

    # -- fetching and waiting -----------------------------------------------------------------
    def _fill_free_slots(self) -> bool:
        """Fetch a job for every free slot (or, on a single queue, send its thread to take one
        with a wait inside Redis). False once the queues ran dry."""
        for slot in self.runner.free_slots():
            if self._waits_in_redis():
                self.runner.wait_in_redis(slot)
                continue
            delivery = self.fetcher.fetch(slot)
            if delivery is None:
                return False
            self.runner.start(slot, delivery, self._timeout_of(delivery))
        return True

    def _next_job(self, slot: str) -> tuple[Delivery, float | None] | None:
        """A forking worker's next job, taken as soon as its child finished one (none while
        paused or stopping), and its timeout."""
        if self.controls.stopping() or self.controls.paused:
            return None
        delivery = self.fetcher.fetch(slot)
        return None if delivery is None else (delivery, self._timeout_of(delivery))

    def _timeout_of(self, delivery: Delivery) -> float | None:
        """The job class's ``timeout`` in seconds, if it sets one (read once per class: a
        thread asks for every job it takes)."""
        try:
            class_name = delivery.decoded().class_name
            if class_name not in self._timeouts:  # only classes that load: a bounded set
                self._timeouts[class_name] = _timeout_of_class(self.loader.load(class_name))
        except (PayloadError, JobClassError):
            return None  # it will fail at once, in the processor
        return self._timeouts[class_name]

    def _wait_timeout(self) -> float:
        now = time.monotonic()
        idle = self.interval if self.interval > 0 else 0.1
        if self.queues.every_queue:
            idle = min(idle, WILDCARD_REFRESH)
        deadlines = [running.deadline() for running in self.runner.running().values()]
        if self.scheduler is not None:
            deadlines.append(self._next_schedule)
        if self.controls.stop == "timed":
            deadlines.append(self.controls.stop_deadline)
        soonest = min([self._next_housekeeping, now + idle, *deadlines])
        return max(0.0, soonest - now)

    def _wait(self, timeout: float) -> None:
        for queue in self.wakeups.wait([self._wake_read], timeout):
            if queue == SCHEDULER_WAKEUP:
                self._next_schedule = 0.0  # a job is due sooner than the scheduler expected
            else:
                self.queues.notice(queue)
        self._drain_wake_pipe()

    def _drain_wake_pipe(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe will wake the loop anyway
            os.write(self._wake_write, b"\0")

    def _show_flags(self) -> None:
        """Keep the registry's paused/overdue flags in step with this worker's state."""
        overdue = self.runner.overdue()
        for worker_id in self.ids:
            wanted = {"paused"} if self.controls.paused else set()
            if self.controls.stopping():
                wanted.add("stopping")
            if worker_id in overdue:
                wanted.add("overdue")
            shown = self._flags_shown.get(worker_id, set())
            for flag in wanted ^ shown:
                self.store.workers.set_flag(worker_id, flag, flag in wanted)
                if flag == "overdue" and flag in wanted:
                    log.warning(
                        "%s: its job is past its timeout (a thread cannot be stopped)", worker_id
                    )
            self._flags_shown[worker_id] = wanted

    def _running_entries(self) -> dict[str, list[bytes] | None]:
        return self.runner.known_entries()

    def _queues_to_go_on_with(self) -> list[str]:
        """For a thread that just finished a job: where to take its next one (none while the
        worker is paused or stopping)."""
        if self.controls.stopping() or self.controls.paused:
            return []
        return self.queues.current()

    # -- outages ------------------------------------------------------------------------------
    def _ride_out_outage(self, error: Exception) -> bool:
        """Wait for Redis to come back, with growing pauses. False if told to stop meanwhile."""
        self.outage.lost(error)
        pause = 0.05
        while not (self.controls.stopping() and self._gave_up_waiting()):
            select.select([self._wake_read], [], [], pause)  # a signal cuts the pause short
            self._drain_wake_pipe()
            try:
                self.store.ping()
            except REDIS_ERRORS:
                pause = min(pause * 2, MAX_RECONNECT_PAUSE)
                continue
            self.outage.back()
            with contextlib.suppress(*REDIS_ERRORS):
                self.wakeups.close()
            self.wakeups = self._subscribe()
            self.housekeeping.after_outage()
            return True
        return False

    def _gave_up_waiting(self) -> bool:
        return self.controls.stop == "graceful" or self.controls.out_of_time()

    # -- running jobs -------------------------------------------------------------------------
    def _process(self, delivery: Delivery, settle: Settle) -> bool:
        """Run one job (in a job thread, or in a forked child) and hand its outcome to
        ``settle``: the thread's settler, or the child's report (see :mod:`jobs.runners`)."""
        return process(delivery, self.loader, self.hooks, settle)


def _timeout_of_class(job_class: type) -> float | None:
    timeout = getattr(job_class, "timeout", None)
    return float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None


def _worker_ids(host: str, queues: list[str], threads: int) -> list[str]:
    base = WorkerId(host, os.getpid(), tuple(queues))
    if threads == 1:
        return [str(base)]
    return [str(WorkerId(base.host, base.pid, base.queues, n)) for n in range(1, threads + 1)]
