"""What the harness needs from a queue system: enqueue two ways, and start its workers.

Every system (ours, Huey, RQ) is driven through this one shape, so each scenario runs the
same steps for all of them and only these few methods differ.
"""

from __future__ import annotations

from typing import Literal, Protocol

# thread: one process running 10 jobs at once on threads
# fork:   one process, each job in a forked child (Resque's model, RQ's default Worker)
# simple: one process, one job at a time, no fork (RQ's SimpleWorker)
WorkerMode = Literal["thread", "fork", "simple"]
THREADS = 10


class System(Protocol):
    name: str

    def enqueue_noop(self) -> None:
        """Enqueue one no-op job, the way an application would, one call per job."""

    def enqueue_noops(self, count: int) -> None:
        """Enqueue ``count`` no-op jobs with the system's bulk API (if it has one)."""

    def enqueue_pickup(self, enqueued_at: float) -> None:
        """Enqueue one pickup-latency job stamped with ``enqueued_at`` (``time.time()``)."""

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        """The command line of one worker process in ``mode``; None if it has no such mode."""

    @property
    def bulk_api(self) -> str:
        """What ``enqueue_noops`` calls, for the table."""
