"""Runners: how a worker process runs the jobs it fetched.

* :class:`ForkRunner` (Resque's model): one job at a time, each in a forked child process. A
  job that leaks memory, crashes the interpreter or corrupts global state takes only its child
  down; the worker lives on. Costs a fork per job (about a millisecond).
* :class:`ThreadRunner` (Sidekiq's model): N jobs at once on N threads of one process. Far less
  overhead and memory per job, but jobs share the process, and a stuck thread cannot be killed.

Both are driven by the worker's loop through the same small surface: which slots are free,
start a delivery in a slot, collect the ones that finished. A slot is a worker id.
"""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from jobs.fetch import Delivery

CHILD_STOP_GRACE = 5.0
log = logging.getLogger("jobs.worker")


@dataclass(frozen=True)
class Finished:
    slot: str
    delivery: Delivery
    crashed: str | None = None  # why the job's process died, if it did


class ThreadRunner:
    def __init__(
        self, slots: list[str], perform: Callable[[Delivery], object], wake: Callable[[], None]
    ) -> None:
        self._perform = perform
        self._wake = wake
        self._idle = list(slots)
        self._running: dict[str, Delivery] = {}
        self._finished: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._inboxes: dict[str, queue.SimpleQueue[Delivery]] = {}
        for slot in slots:
            inbox: queue.SimpleQueue[Delivery] = queue.SimpleQueue()
            self._inboxes[slot] = inbox
            # Daemon threads: a worker told to stop now must not wait for a stuck job.
            threading.Thread(
                target=self._serve, args=(slot, inbox), daemon=True, name=f"job-{slot}"
            ).start()

    def _serve(self, slot: str, inbox: queue.SimpleQueue[Delivery]) -> None:
        while True:
            delivery = inbox.get()
            try:
                self._perform(delivery)
            except Exception:  # Redis gone while settling: the job stays in flight, not lost
                log.exception("could not settle a job of %s", delivery.queue)
            self._finished.put(slot)
            self._wake()

    def free_slots(self) -> list[str]:
        return list(self._idle)

    def running(self) -> dict[str, Delivery]:
        return dict(self._running)

    def start(self, slot: str, delivery: Delivery) -> None:
        self._idle.remove(slot)
        self._running[slot] = delivery
        self._inboxes[slot].put(delivery)

    def collect(self) -> list[Finished]:
        done: list[Finished] = []
        while not self._finished.empty():
            slot = self._finished.get()
            done.append(Finished(slot, self._running.pop(slot)))
            self._idle.append(slot)
        return done

    def stop_now(self) -> None:
        """Threads cannot be stopped from outside; their jobs are put back by the worker."""


class ForkRunner:
    def __init__(self, slot: str, child_main: Callable[[Delivery], int]) -> None:
        self._slot = slot
        self._child_main = child_main
        self._child: tuple[int, Delivery] | None = None

    def free_slots(self) -> list[str]:
        return [] if self._child else [self._slot]

    def running(self) -> dict[str, Delivery]:
        return {self._slot: self._child[1]} if self._child else {}

    def start(self, slot: str, delivery: Delivery) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os._exit(_run_child(parent, lambda: self._child_main(delivery)))
        self._child = (pid, delivery)

    def collect(self) -> list[Finished]:
        if self._child is None:
            return []
        pid, delivery = self._child
        done_pid, status = os.waitpid(pid, os.WNOHANG)
        if done_pid == 0:
            return []
        self._child = None
        return [Finished(self._slot, delivery, _crash_reason(status))]

    def stop_now(self) -> None:
        """Stop the running child: TERM, then KILL if it has not gone after a grace period."""
        if self._child is None:
            return
        pid = self._child[0]
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + CHILD_STOP_GRACE
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG)[0] != 0:
                self._child = None
                return
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        self._child = None


def _crash_reason(status: int) -> str | None:
    if os.WIFSIGNALED(status):
        return f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    code = os.waitstatus_to_exitcode(status)
    return None if code == 0 else f"exited with status {code}"


def _run_child(parent: int, body: Callable[[], int]) -> int:
    """The forked child: behave like a plain process, die with the parent, run the job."""
    try:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        die_with_parent(parent)
        return body()
    except BaseException:
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this process exit when ``parent`` does.

    If a worker is killed with ``kill -9`` its jobs go back on their queues; its child must
    not go on running one of them, or the job would run twice at the same time.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before we asked to be told
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)
