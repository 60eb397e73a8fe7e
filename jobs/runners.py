"""Runners: how a worker process runs the jobs it fetched.

* :class:`ForkRunner` (Resque's model): one job at a time, each in a forked child process. A
  job that leaks memory, crashes the interpreter or corrupts global state takes only its child
  down; the worker lives on. It can also be stopped: a child that runs over its job's timeout
  is killed. Costs a fork per job (a few milliseconds), made while the previous job runs: the
  next job goes to a spare child that is already waiting (see :mod:`jobs.children`).
* :class:`ThreadRunner` (Sidekiq's model): N jobs at once on N threads of one process. Far less
  overhead and memory per job, but jobs share the process, and a thread cannot be stopped from
  outside: a job past its timeout is only reported as overdue.

Both are driven by the worker's loop through the same small surface: which slots are free,
start a delivery in a slot, collect the slots whose jobs ended. A slot is a worker id. Each
job's outcome goes to a settler (:mod:`jobs.settle`): from a thread, as soon as the job ends;
from a child, through the report the child writes, or, when the child died first, as the way
it died (crashed, killed, timed out).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import redis

from jobs.children import Leaving, Spare, fork_spare, reap
from jobs.children import signal_when_parent_dies as signal_when_parent_dies  # re-exported
from jobs.fetch import BatchFetcher, Delivery
from jobs.outage import REDIS_ERRORS
from jobs.settle import (
    BatchSettler,
    Crashed,
    Killed,
    Outcome,
    Settle,
    Settler,
    TimedOut,
    read_report,
    report,
)

log = logging.getLogger("jobs.worker")
# Written by a child after its report once its job has ended (a report is one line of JSON).
FINISHED = b"\n"
KillReason = Literal["killed", "timed_out"]
# Runs one job and hands its outcome to the Settle it is given (jobs.processor.process).
Process = Callable[[Delivery, Settle], object]
# A forking worker's next job for a slot, and its timeout; None: none (or not now).
NextJob = Callable[[str], tuple[Delivery, float | None] | None]


@dataclass
class Running:
    delivery: Delivery
    timeout: float | None
    started: float = field(default_factory=time.monotonic)
    pid: int = 0  # the child's, in fork mode
    killed_for: KillReason | None = None

    def deadline(self) -> float:
        return self.started + self.timeout if self.timeout else float("inf")


class ThreadRunner:
    """N threads, one per slot. The worker's loop hands a job to an idle slot; from then on its
    thread goes straight on to the next job, taking them through its own
    :class:`~jobs.fetch.BatchFetcher` (which acknowledges finished jobs and takes the next
    ones in a single round trip, several at a time when they are quick), until the queues run
    dry (or the worker pauses or stops) and the slot is idle again. Fetching in parallel, one
    round trip per batch, is what lets many threads outrun a single loop fetching for all."""

    def __init__(
        self,
        fetchers: list[BatchFetcher],
        settler: Settler,
        process: Process,
        wake: Callable[[], None],
        timeout_of: Callable[[Delivery], float | None],
        redis_lost: Callable[[Exception], None],
    ) -> None:
        """``redis_lost``: told when a thread finds Redis unreachable (see jobs.outage)."""
        self._process = process
        self._redis_lost = redis_lost
        self._wake = wake
        self._timeout_of = timeout_of
        self._fetchers = {fetcher.worker_id: fetcher for fetcher in fetchers}
        # The loop thread and the job threads both read and change which slot runs what.
        self._lock = threading.Lock()
        self._idle = list(self._fetchers)
        self._running: dict[str, Running] = {}
        self._waiting: set[str] = set()  # slots whose thread waits for a job inside Redis
        self._finished: queue.SimpleQueue[str] = queue.SimpleQueue()
        # A thread's orders: a job the loop fetched for it, or None: "wait for one in Redis".
        self._inboxes: dict[str, queue.SimpleQueue[Delivery | None]] = {}
        for slot, fetcher in self._fetchers.items():
            inbox: queue.SimpleQueue[Delivery | None] = queue.SimpleQueue()
            self._inboxes[slot] = inbox
            # Daemon threads: a worker told to stop must not wait for a stuck job.
            settle = BatchSettler(settler.store, settler.settings, fetcher).settle
            thread = threading.Thread(
                target=self._serve,
                args=(slot, fetcher, settle, inbox),
                daemon=True,
                name=f"job-{slot}",
            )
            thread.start()

    def _serve(
        self,
        slot: str,
        fetcher: BatchFetcher,
        settle: Settle,
        inbox: queue.SimpleQueue[Delivery | None],
    ) -> None:
        while True:
            delivery = inbox.get()
            if delivery is None:  # no job fetched for it: wait for one in Redis
                delivery = self._wait_in_redis(slot, fetcher)
            while delivery is not None:
                queue_name = delivery.queue
                try:
                    self._process(delivery, settle)
                    delivery = fetcher.next()
                except Exception as error:  # the jobs stay in flight in Redis, not lost
                    self._lost(error, f"could not settle or fetch a job of {queue_name}")
                    fetcher.forget()
                    break
                if delivery is None:  # the queues ran dry
                    delivery = self._wait_in_redis(slot, fetcher)
                else:
                    self._carry_on(slot, delivery)
            self._finished.put(slot)
            self._wake()

    def _wait_in_redis(self, slot: str, fetcher: BatchFetcher) -> Delivery | None:
        """The queue ran dry: wait inside Redis for the next job (a worker on one queue), for
        as long as the worker goes on taking jobs. None: go idle, the worker's loop decides."""
        landing = fetcher.landing
        if landing is None:
            return None
        with self._lock:
            self._running.pop(slot, None)
            self._waiting.add(slot)
        try:
            while fetcher.may_wait():
                delivery = fetcher.wait()
                if delivery is not None:
                    self._carry_on(slot, delivery)
                    return delivery
        except redis.ResponseError as error:
            if str(error).startswith("UNBLOCKED"):  # a primary became a replica: a failover
                self._lost(redis.ConnectionError(str(error)), "")
            else:  # Redis refuses the wait (an old Redis?): fetch as other workers do
                log.warning("%s: cannot wait for jobs in Redis (%s); fetching instead", slot, error)
                fetcher.landing = None
        except Exception as error:
            self._lost(error, f"could not wait for a job of {landing.queue}")
        return None

    def _lost(self, error: Exception, what: str) -> None:
        if isinstance(error, REDIS_ERRORS):
            self._redis_lost(error)  # said once per outage, not per thread
        else:
            log.exception(what)

    def _carry_on(self, slot: str, delivery: Delivery) -> None:
        """The thread goes on with ``delivery``, which it took itself."""
        timeout = self._timeout_of(delivery)
        with self._lock:
            self._waiting.discard(slot)
            self._running[slot] = Running(delivery, timeout)
        if timeout is not None:
            self._wake()  # the loop watches the deadline, to flag the job overdue

    def free_slots(self) -> list[str]:
        with self._lock:
            return list(self._idle)

    def running(self) -> dict[str, Running]:
        with self._lock:
            return dict(self._running)

    def waiting(self) -> list[str]:
        """Slots whose thread waits for a job inside Redis: neither idle nor running a job."""
        with self._lock:
            return sorted(self._waiting)

    def wait_in_redis(self, slot: str) -> None:
        """Send an idle slot's thread to wait for its next job inside Redis (a worker on one
        queue; see :mod:`jobs.store.landing`): it takes the job the moment it is pushed."""
        with self._lock:
            self._idle.remove(slot)
            self._waiting.add(slot)
        self._inboxes[slot].put(None)

    def end_waits(self) -> None:
        """End the waits in Redis now (the worker pauses or stops): each waiting thread goes
        idle, unless a job reached it first."""
        for slot in self.waiting():
            landing = self._fetchers[slot].landing
            if landing is not None:
                landing.unblock()

    def return_leftovers(self) -> None:
        """Put back what the threads left in their landing lists (a worker stopping)."""
        for fetcher in self._fetchers.values():
            if fetcher.landing is not None:
                fetcher.landing.return_leftovers()

    def known_entries(self) -> dict[str, list[bytes] | None]:
        """What each slot holds in flight; None for a slot taking its next jobs right now
        (its in-flight list may already hold jobs this runner has not been told of)."""
        return {slot: fetcher.known() for slot, fetcher in self._fetchers.items()}

    def start(self, slot: str, delivery: Delivery, timeout: float | None) -> None:
        with self._lock:
            self._idle.remove(slot)
            self._running[slot] = Running(delivery, timeout)
        self._fetchers[slot].begin(delivery)
        self._inboxes[slot].put(delivery)

    def give_back(self, if_running_for: float = 0.0) -> None:
        """Each busy thread puts the jobs it holds but has not started back on their queues
        (with ``if_running_for``: only a thread whose job has run that long)."""
        for fetcher in self._fetchers.values():
            fetcher.give_back(if_running_for)

    def collect(self) -> list[str]:
        """The slots that went idle since last asked (their threads settled their jobs)."""
        idle: list[str] = []
        while not self._finished.empty():
            slot = self._finished.get()
            with self._lock:
                self._running.pop(slot, None)
                self._waiting.discard(slot)
                self._idle.append(slot)
            idle.append(slot)
        return idle

    def overdue(self) -> set[str]:
        """Slots whose job has run past its timeout (it goes on running: see module doc)."""
        now = time.monotonic()
        return {slot for slot, job in self.running().items() if now > job.deadline()}

    def kill_running(self) -> bool:
        log.warning("USR1 ignored: a thread cannot be killed safely (kill the process instead)")
        return False

    def stop_now(self) -> None:
        """Threads cannot be stopped; the worker puts their jobs back and exits without them.
        Threads waiting in Redis are told to stop waiting."""
        self.end_waits()


class ForkRunner:
    def __init__(
        self,
        slot: str,
        settler: Settler,
        process: Process,
        after_fork: Callable[[], None],
        wake: Callable[[], None],
        next_job: NextJob,
    ) -> None:
        """``after_fork``: run in each child when it is handed its job, before running it (a
        spare is forked ahead of its job, but the hooks belong to the job: see README).
        ``wake``: wakes the worker's loop (called in a child once its job has ended).
        ``next_job``: fetches the next job as soon as a child has reported (see collect)."""
        self._slot = slot
        self._wake = wake
        self._next_job = next_job
        self._settler = settler
        self._process = process
        self._after_fork = after_fork
        self._child: Running | None = None
        # The child for the next job, forked while the current one runs (see jobs.children).
        self._spare: Spare | None = None
        self._leaving = Leaving()
        # Each child writes its job's outcome here, and the parent settles it in Redis on its
        # own connection: a child needs no connection to report, and one that cannot reach
        # Redis loses nothing. One file, emptied before each hand-over, serves every child.
        # Read and written at explicit offsets: a spare is forked before the file is emptied
        # for its job, so it must not rely on a file position (or a buffer) of its parent's.
        self._reports = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 - as long as the worker
        self._reported = 0  # in a child: the length of its report

    def free_slots(self) -> list[str]:
        return [] if self._child else [self._slot]

    def running(self) -> dict[str, Running]:
        return {self._slot: self._child} if self._child else {}

    def start(self, slot: str, delivery: Delivery, timeout: float | None) -> None:
        self._begin(delivery, timeout)
        self._spare = fork_spare(self._run_job)  # the next job's, while this one runs

    def _begin(self, delivery: Delivery, timeout: float | None) -> None:
        os.ftruncate(self._reports.fileno(), 0)
        pid = self._hand_over(delivery.entry)
        self._child = Running(delivery, timeout, pid=pid)

    def _hand_over(self, entry: bytes) -> int:
        """Give the job to the spare child (a fresh one if there is none, or it died while it
        waited); returns the pid of the child running it."""
        for _ in range(2):
            spare, self._spare = self._spare or fork_spare(self._run_job), None
            if spare.hand_over(entry):
                return spare.pid
            reap(spare.pid)
            log.warning("a spare child (pid %d) died before it was given a job", spare.pid)
        return spare.pid  # it died too: collect() settles the job as a crash

    def _run_job(self, entry: bytes) -> int:
        """In the child: run the job, and write its outcome down for the worker to settle."""
        self._after_fork()
        delivery = Delivery.of(self._settler.store, self._settler.settings, self._slot, entry)
        self._process(delivery, self._write_report)
        # The job has ended: the worker may settle it and go on without waiting for this
        # process to exit (tearing down a copy of the worker takes milliseconds).
        os.pwrite(self._reports.fileno(), FINISHED, self._reported)
        self._wake()
        return 0

    def _write_report(self, delivery: Delivery, outcome: Outcome) -> None:
        data = report(outcome)
        os.pwrite(self._reports.fileno(), data, 0)
        self._reported = len(data)

    def collect(self) -> list[str]:
        """Settle the child's job once it has ended (the child says so, or exits); returns its
        slot if it is free now.

        A job that ran to its end and reported is followed at once by the next one: fetched,
        handed to the spare, and only then settled, while the next job runs. The worker holds
        both jobs in flight for that moment (after a ``kill -9`` then, both are put back and
        the finished one runs again: at least once, as ever)."""
        self._leaving.reap()
        child = self._child
        if child is None:
            return []
        if child.killed_for is None and time.monotonic() > child.deadline():
            self._kill(child, "timed_out")
        done_pid, status = os.waitpid(child.pid, os.WNOHANG)
        reports = self._reports.fileno()
        reported = os.pread(reports, os.fstat(reports).st_size, 0)
        if done_pid == 0:
            if not reported.endswith(FINISHED):
                return []
            self._leaving.add(child.pid)
        self._child = None
        reported = reported.removesuffix(FINISHED)
        # A report means the job ran to its end, whatever happened to the process after that.
        # A job whose process died is settled first (a crash puts it back at the front).
        child.delivery.ended = time.monotonic()  # its run time, not the next job's fetch
        following = self._next_job(self._slot) if reported else None
        if following is not None:
            self._begin(*following)
        outcome = read_report(reported) if reported else _ending(child, status)
        if outcome is not None:
            self._settler.settle(child.delivery, outcome)
        if following is None:
            return [self._slot]
        self._spare = fork_spare(self._run_job)
        return []

    def overdue(self) -> set[str]:
        return set()  # an overdue child is killed instead (see collect)

    def give_back(self, if_running_for: float = 0.0) -> None:
        """A forking worker takes one job at a time: it holds none it has not started."""

    def known_entries(self) -> dict[str, list[bytes] | None]:
        return {self._slot: [self._child.delivery.entry]} if self._child else {}

    def waiting(self) -> list[str]:
        return []  # a forking worker waits on wake-ups, in its loop (see jobs.store.landing)

    def wait_in_redis(self, slot: str) -> None:
        raise NotImplementedError("a forking worker waits on wake-ups, in its loop")

    def end_waits(self) -> None:
        """Nothing waits in Redis in fork mode."""

    def return_leftovers(self) -> None:
        """Nothing is taken into a landing list in fork mode."""

    def kill_running(self) -> bool:
        """USR1: kill the running child (not the spare); its job becomes a failure record."""
        if self._child is None:
            return False
        self._kill(self._child, "killed")
        return True

    def _kill(self, child: Running, reason: KillReason) -> None:
        child.killed_for = reason
        os.kill(child.pid, signal.SIGKILL)

    def stop_now(self) -> None:
        """Stop the spare, and the running child: TERM, then KILL if it has not gone after a
        grace period."""
        if self._spare is not None:
            self._spare.stop()
            self._spare = None
        self._leaving.reap_all()
        if self._child is None:
            return
        os.kill(self._child.pid, signal.SIGTERM)
        reap(self._child.pid)


def _ending(child: Running, status: int) -> Outcome | None:
    """How a child that reported nothing ended its job. None: it exited cleanly without a
    word, and its job stays in flight, an orphan its worker's housekeeping puts back."""
    if child.killed_for == "timed_out":
        return TimedOut(f"ran over its {child.timeout:g}s timeout and its process was killed")
    if child.killed_for == "killed":
        return Killed()
    crash = _crash_reason(status)
    return Crashed(crash) if crash else None


def _crash_reason(status: int) -> str | None:
    if os.WIFSIGNALED(status):
        return f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    code = os.waitstatus_to_exitcode(status)
    return None if code == 0 else f"exited with status {code}"
