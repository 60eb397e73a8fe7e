"""The supervisor: ``COUNT=N`` runs N worker processes and keeps them running.

1. **It forks each worker from itself**, once the command has done its setup: the job modules
   are imported, the settings read and checked, Redis found, and (under ``flask jobs work``)
   the Flask app loaded with its app context pushed. So each worker starts with exactly what a
   single worker has (a job that uses ``current_app`` works the same with ``--count 2``), and
   starting one costs a fork, not a new interpreter importing everything again.
2. **Each worker runs in a process group of its own.** A terminal's Ctrl-C sends SIGINT to
   every process of its foreground group. Only the supervisor receives it, and it passes each
   signal on to every worker exactly once: one Ctrl-C counts once, and running jobs get their
   ``--shutdown-timeout``. (A worker in the terminal's group would hear it twice, once from the
   terminal and once from us, and take the second as "stop now".) A second Ctrl-C is passed on
   as a second signal, and means "stop now", as for a single worker.
3. **A worker that exits with status 0 is done** (``INTERVAL=0`` found its queues empty, or
   someone stopped that one worker): it is not started again, and when every worker is done,
   so is the supervisor. **A worker that crashes** (killed, or an error escaped it) is started
   again after a pause that doubles each time, from 0.5 s up to 10 s.
4. **Configuration errors never reach the workers.** The command checks its modules, schedule
   file and settings before the first fork, and stops with the message: a broken ``--import``
   is reported once, not restarted forever.
5. **Workers die with the supervisor**: if it is killed, even with ``kill -9``, the kernel
   sends each worker TERM, and they put their jobs back.
6. **Thread-mode workers each keep to a share of the CPUs** (``pin_cpus``), when there are no
   more workers than CPUs: with ``COUNT=2`` on 2 cores, one core each. A process's threads hand
   the GIL to one another at every Redis call; on one core that is a cheap switch, across two
   it wakes the other core each time (up to 10 context switches per job instead of under 2,
   and twice the CPU). The shares together cover every CPU the supervisor may use, so jobs
   whose C code runs outside the GIL (resizing an image) still keep every core busy, one
   share per worker.
   ``JOBS_PIN_CPUS=0`` turns it off; a single worker is never pinned (see "How fast").

Why fork rather than start ``python -m jobs work`` N times: this one model serves Ctrl-C (point
2), ``flask jobs work --count N`` (point 1: the children keep the app) and speed (a forked
worker shares the imported code, and nothing is started twice). See "COUNT" in the README.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import FrameType

from jobs.runners import signal_when_parent_dies

log = logging.getLogger("jobs.supervisor")
STOP_SIGNALS = (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT)
FIRST_RESTART_PAUSE = 0.5
MAX_RESTART_PAUSE = 10.0
STEADY_AFTER = 10.0  # seconds: a worker that ran this long before it crashed gets the first pause
LOOK_EVERY = 0.5  # seconds between looks at the workers when no signal wakes the loop


class Supervisor:
    """Runs ``run_worker`` in ``count`` forked processes until they are done or told to stop."""

    def __init__(self, run_worker: Callable[[], None], count: int, pin_cpus: bool = False) -> None:
        """``pin_cpus``: keep each worker to its own share of the CPUs (see point 6 above)."""
        self.run_worker = run_worker
        self.count = count
        self.cpu_shares = cpu_shares(count) if pin_cpus else None
        self.workers: dict[int, int] = {}  # pid -> worker number (0-based)
        self._started_at: dict[int, float] = {}  # worker number -> when its process started
        # worker number -> when to start it (again); at first, every one at once
        self._restart_at: dict[int, float] = dict.fromkeys(range(count), 0.0)
        self._pauses = [0.0] * count
        self._received: list[signal.Signals] = []
        self.stopping = False

    def run(self) -> int:
        """Start the workers; return when every one has exited (0: all is well)."""
        self._wake_read, self._wake_write = os.pipe()
        for fd in (self._wake_read, self._wake_write):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._wake_write)
        for signum in (*STOP_SIGNALS, signal.SIGCHLD):
            signal.signal(signum, self._on_signal)
        log.info("starting %d workers", self.count)
        while self.workers or self._restart_at:
            self._pass_on_signals()
            self._reap()
            self._start_due()
            self._wait()
        log.info("every worker has exited")
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only written down here; the loop acts on it (see jobs.signals for why).
        if signum != signal.SIGCHLD:
            self._received.append(signal.Signals(signum))

    def _pass_on_signals(self) -> None:
        while self._received:
            signum = self._received.pop(0)
            if not self.stopping:
                log.info("%s: passing it on to every worker", signum.name)
            self.stopping = True
            self._restart_at.clear()
            for pid in self.workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)

    def _wait(self) -> None:
        now = time.monotonic()
        due = min(self._restart_at.values(), default=now + LOOK_EVERY)
        timeout = max(0.0, min(due, now + LOOK_EVERY) - now)
        if select.select([self._wake_read], [], [], timeout)[0]:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wake_read, 4096)

    # -- starting and reaping -----------------------------------------------------------------
    def _start_due(self) -> None:
        now = time.monotonic()
        for number, when in list(self._restart_at.items()):
            if now >= when and not self.stopping:
                del self._restart_at[number]
                self._start(number)

    def _start(self, number: int) -> None:
        # Signals wait until the new worker is in its own group and has reset its handlers:
        # otherwise one could reach it in between and be handled as if it were ours.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            os._exit(self._worker_main(number, blocked))
        with contextlib.suppress(OSError):  # the child does the same; whoever is first wins
            os.setpgid(pid, pid)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        self.workers[pid] = number
        self._started_at[number] = time.monotonic()
        cpus = f" on CPUs {sorted(self.cpu_shares[number])}" if self.cpu_shares else ""
        log.debug("worker %d started as process %d%s", number + 1, pid, cpus)

    def _worker_main(self, number: int, mask: set[int | signal.Signals]) -> int:
        """The forked worker: leave the supervisor's group and signal handling, then work."""
        try:
            os.setpgid(0, 0)
            signal.set_wakeup_fd(-1)
            os.close(self._wake_read)
            os.close(self._wake_write)
            for signum in (*STOP_SIGNALS, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            stop_when_parent_dies()
            if self.cpu_shares is not None:
                os.sched_setaffinity(0, self.cpu_shares[number])
            self.run_worker()
            return 0
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        except BaseException:
            log.exception("a worker process failed")
            return 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()

    def _reap(self) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            number = self.workers.pop(pid, None)
            if number is not None:
                self._exited(number, pid, os.waitstatus_to_exitcode(status))

    def _exited(self, number: int, pid: int, code: int) -> None:
        log.debug("worker %d (process %d) exited with %d", number + 1, pid, code)
        if self.stopping:
            return
        if code == 0:
            log.info("worker %d is done (exited with 0); not starting it again", number + 1)
            return
        ran_for = time.monotonic() - self._started_at[number]
        previous = 0.0 if ran_for >= STEADY_AFTER else self._pauses[number]
        pause = min(MAX_RESTART_PAUSE, max(FIRST_RESTART_PAUSE, previous * 2))
        self._pauses[number] = pause
        self._restart_at[number] = time.monotonic() + pause
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
        log.warning("worker %d %s; starting it again in %.1fs", number + 1, how, pause)


def cpu_shares(count: int, cpus: Iterable[int] | None = None) -> list[set[int]] | None:
    """Each of ``count`` workers' share of ``cpus`` (default: the CPUs this process may run
    on), dealt in turn, so together they cover them all. None where a share would be empty
    (more workers than CPUs), for a single worker, or where the system cannot pin (not Linux)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0) if cpus is None else cpus)
    if not 2 <= count <= len(allowed):
        return None
    return [set(allowed[number::count]) for number in range(count)]


def stop_when_parent_dies() -> None:
    """Ask the kernel for TERM when our parent dies (even by ``kill -9``): a worker then puts
    its jobs back and exits, instead of working on unsupervised."""
    parent = os.getppid()
    signal_when_parent_dies(signal.SIGTERM)
    if os.getppid() != parent:  # it died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


# -- a worker command as the helper of another command (the demos) -------------------------------


def start_workers(command: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start ``python -m jobs work ...`` for a command that runs it on the side (the demos).

    It gets a process group of its own, so a Ctrl-C reaches it only through
    :func:`stop_workers`, once; and it stops if this process dies."""
    # Ctrl-C and TERM wait while the child is forked: arriving then, they would be raised in
    # the hooks that run in this process right after a fork (logging's), where Python prints
    # and drops them, and the command would carry on as if nobody had pressed Ctrl-C.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        return subprocess.Popen(
            list(command),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            process_group=0,
            # The child makes only system calls before exec: safe with threads in this process.
            preexec_fn=functools.partial(_start_helper, held),
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _start_helper(mask: set[int | signal.Signals]) -> None:
    """In the child, before exec: the signals it will handle, and dying with its parent."""
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    stop_when_parent_dies()


def stop_workers(workers: subprocess.Popen[bytes], shutdown_timeout: float) -> None:
    """Pass Ctrl-C on to workers started with :func:`start_workers`: one SIGINT, then time for
    their running jobs (``shutdown_timeout``, and a little more to put jobs back), then KILL.
    Another Ctrl-C meanwhile is passed on too: it means "stop now"."""
    deadline = time.monotonic() + shutdown_timeout + 5.0
    if workers.poll() is None:
        workers.send_signal(signal.SIGINT)
    while True:
        try:
            workers.wait(max(0.0, deadline - time.monotonic()))
            return
        except KeyboardInterrupt:
            if workers.poll() is None:
                workers.send_signal(signal.SIGINT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(workers.pid, signal.SIGKILL)
            workers.wait()
            return
