"""Worker identity and registration: who a worker is, and telling Redis it is alive.

A worker's id is Resque's ``host:pid:queues`` (``web1:4242:high,low``), so Resque's web UI
lists our workers. In thread mode every thread is a worker of its own, ``host:pid-N:queues``,
which Resque reads as pid ``pid``.

Heartbeats are stamped with Redis's clock, not the machine's: workers on machines whose clocks
disagree still agree on who is late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from jobs.store import Store, redact

log = logging.getLogger("jobs.worker")


@dataclass(frozen=True)
class WorkerId:
    host: str
    pid: int
    queues: tuple[str, ...]
    thread: int | None = None

    def __str__(self) -> str:
        pid = str(self.pid) if self.thread is None else f"{self.pid}-{self.thread}"
        return f"{self.host}:{pid}:{','.join(self.queues)}"

    @classmethod
    def parse(cls, text: str) -> WorkerId | None:
        """Read an id back; None if it is not one of ours (say, from another system)."""
        host, _, rest = text.partition(":")
        pid_text, _, queues = rest.partition(":")
        pid, _, thread = pid_text.partition("-")
        if not (host and pid.isdigit() and queues) or (thread and not thread.isdigit()):
            return None
        return cls(host, int(pid), tuple(queues.split(",")), int(thread) if thread else None)


def ruby_time_text(moment: datetime) -> str:
    """Ruby's ``Time#to_s`` format, which Resque uses for ``worker:ID:started``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


class Registration:
    """The registry entries of one worker process: one id, or one per thread."""

    def __init__(self, store: Store, worker_ids: list[str]) -> None:
        self.store = store
        self.worker_ids = worker_ids
        self.clock = store.clock

    def register(self) -> None:
        started = ruby_time_text(datetime.now(UTC).astimezone())
        for worker_id in self.worker_ids:
            self.clock.sync(self.store.workers.register(worker_id, started, self.clock.iso()))

    def heartbeat(self) -> None:
        self.clock.sync(self.store.workers.heartbeat(self.worker_ids, self.clock.iso()))

    def unregister(self) -> list[str]:
        """Remove every id; returns those refused because they still hold jobs in flight."""
        return [
            worker_id
            for worker_id in self.worker_ids
            if self.store.workers.unregister(worker_id) == "busy"
        ]


def warn_if_evicting(store: Store) -> str | None:
    """Log a warning when Redis may delete keys to make room: a queue's keys are its jobs.
    Returns the warning, or None when Redis keeps everything (``noeviction``)."""
    policy = store.workers.eviction_policy()
    if policy == "noeviction":
        return None
    warning = (
        f"Redis at {redact(store.url)} has maxmemory-policy {policy}: when it reaches its"
        " memory limit it deletes keys, and a deleted queue or in-flight list is lost jobs."
        " Set maxmemory-policy noeviction (see docs/production.md)."
    )
    log.warning("%s", warning)
    return warning
