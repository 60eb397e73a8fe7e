"""How a running worker is told what to do: Unix signals, as Resque defines them.

======  ====================================================================================
QUIT    finish the running jobs, then exit (no time limit)
TERM    stop fetching; give running jobs ``--shutdown-timeout`` seconds (default 10) to finish;
INT     then stop them and put them back on their queues, and exit. A second TERM/INT: now.
USR1    kill the running job's child process (fork mode); the job becomes a failure record.
        Threads cannot be killed safely, so in thread mode USR1 is logged and ignored.
USR2    pause: finish what is running, fetch nothing new (the registry shows "paused")
CONT    resume after USR2
======  ====================================================================================

A terminal's Ctrl-C sends INT to every process of its foreground group, yet reaches each worker
once: a job's forked child ignores it (its worker decides), and the workers of a supervisor
(``COUNT=N``) run in process groups of their own, so that only the supervisor hears it and
passes it on once (:mod:`jobs.supervisor`). So a second INT is always a second Ctrl-C.

A handler only writes down the request: Python runs it between two bytecodes of the main
thread, which may be in the middle of talking to Redis. ``signal.set_wakeup_fd`` makes every
signal also end the loop's wait at once, and the loop acts on what was written down.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from types import FrameType
from typing import Literal

log = logging.getLogger("jobs.worker")
StopMode = Literal["graceful", "timed"]


@dataclass
class Controls:
    """What signals asked the worker to do, read by its loop."""

    shutdown_timeout: float = 10.0
    stop: StopMode | None = None
    stop_deadline: float = float("inf")
    paused: bool = False
    kill_requested: bool = False

    def install(self, wake_fd: int) -> None:
        signal.set_wakeup_fd(wake_fd)
        signal.signal(signal.SIGQUIT, self._on_quit)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGUSR1, self._on_usr1)
        signal.signal(signal.SIGUSR2, self._on_usr2)
        signal.signal(signal.SIGCONT, self._on_cont)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # wakes the loop to reap

    def stopping(self) -> bool:
        return self.stop is not None

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.stop_deadline

    def _on_quit(self, signum: int, frame: FrameType | None) -> None:
        log.warning("QUIT: finishing running jobs, then exiting")
        self.stop = self.stop or "graceful"

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stop == "timed":
            log.warning("%s: a second stop signal, so stopping now", name)
            self.stop_deadline = time.monotonic()
            return
        log.warning(
            "%s: stopping; running jobs have %ss to finish before they go back on their queues",
            name,
            self.shutdown_timeout,
        )
        self.stop = "timed"
        self.stop_deadline = time.monotonic() + self.shutdown_timeout

    def _on_usr1(self, signum: int, frame: FrameType | None) -> None:
        self.kill_requested = True

    def _on_usr2(self, signum: int, frame: FrameType | None) -> None:
        log.warning("USR2: paused; running jobs finish, no new ones start (CONT resumes)")
        self.paused = True

    def _on_cont(self, signum: int, frame: FrameType | None) -> None:
        if self.paused:
            log.warning("CONT: resumed")
        self.paused = False
