"""What the harness needs from a queue system: its client program, and its workers.

Every system (ours, Sidekiq, Huey, RQ) is driven through this one shape, so each scenario runs
the same steps for all of them and only these few methods differ. A system's client and its
workers run with the system's own interpreter (see :mod:`bench.venvs`), never inside the
harness's process.
"""

from __future__ import annotations

from typing import Literal, Protocol

# thread: one process running 10 jobs at once on threads
# fork:   one process, each job in a forked child (Resque's model, RQ's default Worker)
# simple: one process, one job at a time, no fork (RQ's SimpleWorker)
WorkerMode = Literal["thread", "fork", "simple"]
THREADS = 10
QUEUE = "bench"  # every system's jobs go to a queue of this name


class System(Protocol):
    name: str
    bulk_api: str  # what the bulk enqueue calls, for the table

    def client_command(self, *args: str) -> list[str]:
        """The command line of the system's client program with ``args`` (see
        :mod:`bench.enqueuer`: ``one COUNT``, ``bulk COUNT``, ``pickup COUNT RATE``)."""
        ...

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        """The command line of one worker process in ``mode``; None if it has no such mode."""
        ...


def python_client(python: str, module: str, *args: str) -> list[str]:
    """:mod:`bench.enqueuer` run by ``python`` on the job module ``module``."""
    return [python, "-m", "bench.enqueuer", module, *args]
