"""A forking worker's children: how each one starts, and the spare one forked ahead of its job.

Every child behaves like a plain process (leaving Ctrl-C to its worker) and dies with its
worker, even one killed with ``kill -9`` (see :func:`die_with_parent`).

Forking costs the worker a few milliseconds per job (copying its page tables; the child's exit
costs as much again). A :class:`Spare` takes that out of the time between two jobs: the worker
forks the next child while the current job runs, and that child waits on a pipe. When the next
job is fetched the worker writes its entry down the pipe and the spare runs it at once. It is
still a fresh copy of the worker, never one that ran a job before: a job's module-level state
cannot leak into the next. A spare that never gets a job (the worker stops) reads the end of
its pipe and exits without doing anything.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

CHILD_STOP_GRACE = 5.0
KEYBOARD_SIGNALS = (signal.SIGINT, signal.SIGQUIT)
# A hand-over is the entry's length, then the entry (up to the payload limit: many pipe bufferfuls).
LENGTH = struct.Struct("!Q")
log = logging.getLogger("jobs.worker")


@dataclass
class Spare:
    """A child waiting for its job: ``pid``, and the write end of its pipe (-1 once used)."""

    pid: int
    pipe: int

    def hand_over(self, entry: bytes) -> bool:
        """Send the child its job. False if it cannot be sent: the child is gone."""
        pipe, self.pipe = self.pipe, -1
        try:
            data = memoryview(LENGTH.pack(len(entry)) + entry)
            while data:
                data = data[os.write(pipe, data) :]
        except OSError:  # EPIPE: the child died (or was killed) while it waited
            return False
        finally:
            os.close(pipe)
        return True

    def stop(self) -> None:
        """Tell an unused spare to exit (the end of its pipe), and reap it."""
        if self.pipe != -1:
            os.close(self.pipe)
            self.pipe = -1
        reap(self.pid)


def fork_spare(run: Callable[[bytes], int]) -> Spare:
    """Fork a child that waits for a job's entry and then calls ``run`` with it (in the
    child, which exits with what ``run`` returns)."""
    parent = os.getpid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(write_end)
        os._exit(run_child(parent, lambda: _wait_for_job(read_end, run)))
    os.close(read_end)
    return Spare(pid, write_end)


def _wait_for_job(pipe: int, run: Callable[[bytes], int]) -> int:
    header = _read_exactly(pipe, LENGTH.size)
    if header is None:
        return 0  # never needed: the worker is stopping
    entry = _read_exactly(pipe, LENGTH.unpack(header)[0])
    os.close(pipe)
    if entry is None:
        return 1  # the worker died while writing; its job is put back by whoever finds it
    return run(entry)


def _read_exactly(pipe: int, size: int) -> bytes | None:
    """``size`` bytes from ``pipe``; None if it ends first."""
    parts: list[bytes] = []
    while size:
        part = os.read(pipe, size)
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


class Leaving:
    """Children whose job has ended (its outcome reported and settled), still exiting: the
    worker goes on to its next job meanwhile, and reaps them as they go (KILL for one that
    takes longer than a grace period, e.g. stuck flushing its output)."""

    def __init__(self) -> None:
        self._deadlines: dict[int, float] = {}

    def add(self, pid: int) -> None:
        self._deadlines[pid] = time.monotonic() + CHILD_STOP_GRACE

    def reap(self) -> None:
        """Reap the ones that have exited, without waiting."""
        now = time.monotonic()
        for pid, deadline in list(self._deadlines.items()):
            if _exited(pid):
                del self._deadlines[pid]
            elif now > deadline:
                os.kill(pid, signal.SIGKILL)

    def reap_all(self) -> None:
        """Wait for every one of them (the worker is stopping)."""
        for pid in self._deadlines:
            reap(pid)
        self._deadlines.clear()


def _exited(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:  # reaped already
        return True


def reap(pid: int) -> None:
    """Wait for a child that was told to end; KILL it if it has not after a grace period."""
    deadline = time.monotonic() + CHILD_STOP_GRACE
    with contextlib.suppress(ChildProcessError):
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG)[0] != 0:
                return
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def run_child(parent: int, body: Callable[[], int]) -> int:
    """The forked child: behave like a plain process (leaving Ctrl-C to its worker), die with
    the parent, run the body."""
    try:
        # What the child inherited is its worker's: its own collections need not walk it
        # (walking it writes to, and so copies, pages it would otherwise only share).
        gc.freeze()
        signal.set_wakeup_fd(-1)
        for signum in (
            signal.SIGTERM,
            signal.SIGCHLD,
            signal.SIGUSR1,
            signal.SIGUSR2,
            signal.SIGCONT,
        ):
            signal.signal(signum, signal.SIG_DFL)
        # A terminal's Ctrl-C (and Ctrl-\) reaches every process of its group, this child too.
        # The worker decides what happens to the job (finish within --shutdown-timeout, or be
        # put back): it stops the child with TERM, or KILL, when it has decided.
        for signum in KEYBOARD_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        die_with_parent(parent)
        return body()
    except BaseException:
        log.exception("a job's child process failed")
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


PR_SET_PDEATHSIG = 1
# Loaded once, here, rather than in every child (it costs a fraction of a millisecond each time).
LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def signal_when_parent_dies(signum: int) -> bool:
    """Ask the kernel to send this process ``signum`` when its parent dies, even by
    ``kill -9``. Linux only: returns False where it cannot."""
    if LIBC is None:
        return False
    LIBC.prctl(PR_SET_PDEATHSIG, signum)
    return True


def die_with_parent(parent: int) -> None:
    """Make this process exit when ``parent`` does.

    If a worker is killed with ``kill -9`` its jobs go back on their queues; its child must
    not go on running one of them, or the job would run twice at the same time. A spare must
    not outlive it either, waiting for a job that will never come.
    """
    if not signal_when_parent_dies(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before we asked to be told
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)
