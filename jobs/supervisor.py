"""The supervisor: ``COUNT=N`` runs N worker processes and keeps them running.

Each worker is a separate ``python -m jobs work`` process (a fresh interpreter, nothing
inherited by fork). QUIT, TERM and INT are passed on to every worker; a worker that dies
unexpectedly is started again after a short, growing pause. Workers are told to exit if the
supervisor itself is killed, so stopping the supervisor never leaves workers behind.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

from jobs.runners import signal_when_parent_dies

log = logging.getLogger("jobs.supervisor")
FORWARDED = (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT)
MAX_RESTART_PAUSE = 10.0


def worker_command(
    queues: Sequence[str],
    imports: Sequence[str],
    *,
    count: int = 1,
    threads: int = 1,
    fork: bool = True,
    interval: float = 5.0,
    shutdown_timeout: float = 10.0,
    verbose: bool = False,
) -> list[str]:
    """The command line that starts workers with these settings."""
    command = [sys.executable, "-m", "jobs", "work", "--queue", ",".join(queues)]
    command += ["--count", str(count), "--threads", str(threads), "--interval", str(interval)]
    command += ["--shutdown-timeout", str(shutdown_timeout)]
    command += ["--import", ",".join(imports), "--fork" if fork else "--no-fork"]
    return command + (["--verbose"] if verbose else [])


def _stop_with_supervisor() -> None:  # runs in the new worker, between fork and exec
    signal_when_parent_dies(signal.SIGTERM)


class Supervisor:
    def __init__(self, worker_command: Sequence[str], count: int) -> None:
        self.worker_command = list(worker_command)
        self.count = count
        self.stopping: signal.Signals | None = None
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * count
        self._pauses = [0.0] * count
        self._restart_at = [0.0] * count

    def run(self) -> int:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        for signum in (*FORWARDED, signal.SIGCHLD):
            signal.signal(signum, self._on_signal)
        log.info("starting %d workers", self.count)
        while not self.stopping or any(self.workers):
            self._reap_and_restart()
            select.select([wake_read], [], [], 0.5)
            os.read(wake_read, 4096) if select.select([wake_read], [], [], 0)[0] else None
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGCHLD:
            return
        self.stopping = signal.Signals(signum)
        for worker in self.workers:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signum)

    def _reap_and_restart(self) -> None:
        now = time.monotonic()
        for index, worker in enumerate(self.workers):
            if worker is not None and worker.poll() is not None:
                self._worker_exited(index, worker.returncode, now)
            if self.workers[index] is None and not self.stopping and now >= self._restart_at[index]:
                self.workers[index] = subprocess.Popen(
                    self.worker_command, preexec_fn=_stop_with_supervisor
                )

    def _worker_exited(self, index: int, code: int, now: float) -> None:
        self.workers[index] = None
        if self.stopping:
            return
        pause = min(MAX_RESTART_PAUSE, max(0.5, self._pauses[index] * 2))
        self._pauses[index], self._restart_at[index] = pause, now + pause
        log.warning("worker %d exited with %s; starting it again in %.1fs", index + 1, code, pause)
