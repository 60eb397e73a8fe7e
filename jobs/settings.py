"""Settings: one small object built from the environment and passed in explicitly.

=============================  ==========  ==================================================
variable                       default     meaning
=============================  ==========  ==================================================
``REDIS_URL``                  (none)      the Redis to use (required, unless
                                           ``JOBS_LOCAL_REDIS=1``)
``JOBS_LOCAL_REDIS``           (unset)     1: without ``REDIS_URL``, use the project's own
                                           Redis (:mod:`jobs.dev.project_redis`), starting it
                                           if needed. The workshop's commands set it
``JOBS_NAMESPACE``             ``resque``  prefix of every key (Resque's default)
``JOBS_MAX_PAYLOAD_BYTES``     524288      a job bigger than this is refused at enqueue: pass
                                           ids, not data
``JOBS_FAILED_MAX``            10000       failure records kept (the newest)
``JOBS_HEARTBEAT_INTERVAL``    2.0         seconds between a worker's heartbeats; also how
                                           often some live worker looks for dead ones
``JOBS_DEAD_AFTER``            30.0        seconds without a heartbeat before a worker is
                                           declared dead and its jobs are put back
``JOBS_CRASH_LIMIT``           3           a job running when this many workers died is
                                           failed instead of being put back again
``JOBS_FAILED_RETENTION_DAYS`` 30          failure records older than this are dropped
``JOBS_BATCH_SIZE``            (auto)      jobs a worker thread takes per round trip; unset:
                                           as many as it expects to run in 50 ms (1 to 16),
                                           judged by its last batch. A fixed number makes the
                                           batches predictable (the tests use it)
``JOBS_METRICS``               1           0: workers record no run-time metrics (the
                                           monitor's Metrics tab and ``/metrics`` then show
                                           none); for measuring what they cost
``JOBS_PIN_CPUS``              1           0: ``COUNT=N`` thread-mode workers are not
                                           each kept to their own share of the CPUs (see
                                           :mod:`jobs.supervisor`, point 6)
``JOBS_HOST``                  (hostname)  the host name in worker ids (``host:pid:queues``),
                                           which tells workers on the same machine (whose
                                           death a pid check sees at once) from workers
                                           elsewhere (seen dead only by their heartbeats).
                                           Must differ between machines; set it where the
                                           system's host name does not (some containers)
``JOBS_ENQUEUE_REPLICAS``      0           N: enqueue (``enqueue_at``/``enqueue_in`` too)
                                           waits (``WAIT``) until N replicas have the job,
                                           and raises ``NotReplicated`` if they do not
                                           within ``JOBS_ENQUEUE_REPLICAS_TIMEOUT`` seconds
                                           (default 1): a failover then cannot lose a job
                                           its caller was told was enqueued
``JOBS_SCHEDULER``             1           0: workers do not run the scheduler loop (run
                                           ``python -m jobs scheduler`` on its own instead)
``JOBS_SCHEDULE``              (none)      a TOML file of recurring schedules (see
                                           :mod:`jobs.schedule`)
=============================  ==========  ==================================================

**Who starts a local Redis.** Only the workshop's own commands: the Makefile, ``python -m
jobs redis`` and ``demo``, the blog's demo, the tests. They say so with ``JOBS_LOCAL_REDIS=1``.
A library user's process never starts a server by itself: without ``REDIS_URL`` (and without
that switch) asking for the URL raises :class:`RedisNotConfigured`, which says what to set.
A queue in production must not quietly write to a throwaway Redis of its own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

LOCAL_REDIS_SWITCH = "JOBS_LOCAL_REDIS"
NO_REDIS_URL = (
    "REDIS_URL is not set: set it to your Redis (for example"
    " REDIS_URL=redis://localhost:6379/0), or set JOBS_LOCAL_REDIS=1 to let this project start"
    " its own Redis (data in var/redis)."
)


class RedisNotConfigured(RuntimeError):
    """No ``REDIS_URL``, and no ``JOBS_LOCAL_REDIS=1`` allowing the project's own Redis."""


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    namespace: str = "resque"
    max_payload_bytes: int = 512 * 1024
    failed_max: int = 10_000
    heartbeat_interval: float = 2.0
    dead_after: float = 30.0
    crash_limit: int = 3
    failed_retention_days: float = 30.0
    batch_size: int | None = None  # None: judged by how quick the jobs are (see jobs.fetch)
    local_redis: bool = False  # JOBS_LOCAL_REDIS=1: the workshop's commands (see above)
    metrics: bool = True  # JOBS_METRICS=0 turns them off (see jobs.store.metrics)
    pin_cpus: bool = True  # JOBS_PIN_CPUS=0 turns it off (see jobs.supervisor)
    host: str = field(default_factory=socket.gethostname)
    enqueue_replicas: int = 0
    enqueue_replicas_timeout: float = 1.0
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            namespace=env.get("JOBS_NAMESPACE", "resque"),
            max_payload_bytes=int(env.get("JOBS_MAX_PAYLOAD_BYTES", 512 * 1024)),
            failed_max=int(env.get("JOBS_FAILED_MAX", 10_000)),
            heartbeat_interval=float(env.get("JOBS_HEARTBEAT_INTERVAL", 2.0)),
            dead_after=float(env.get("JOBS_DEAD_AFTER", 30.0)),
            crash_limit=int(env.get("JOBS_CRASH_LIMIT", 3)),
            failed_retention_days=float(env.get("JOBS_FAILED_RETENTION_DAYS", 30)),
            batch_size=_positive_int_or_none(env.get("JOBS_BATCH_SIZE")),
            local_redis=env.get(LOCAL_REDIS_SWITCH) == "1",
            metrics=env.get("JOBS_METRICS", "1") != "0",
            pin_cpus=env.get("JOBS_PIN_CPUS", "1") != "0",
            host=_host_name(env.get("JOBS_HOST")),
            enqueue_replicas=_count(env.get("JOBS_ENQUEUE_REPLICAS"), "JOBS_ENQUEUE_REPLICAS"),
            enqueue_replicas_timeout=float(env.get("JOBS_ENQUEUE_REPLICAS_TIMEOUT", 1.0)),
            environ=dict(env),
        )

    def resolved_redis_url(self) -> str:
        """``REDIS_URL`` if given. Otherwise, only if ``JOBS_LOCAL_REDIS=1`` (a workshop
        command asked for it), the project's own Redis, started if needed; else
        :class:`RedisNotConfigured`."""
        if self.redis_url:
            return self.redis_url
        if not self.local_redis:
            raise RedisNotConfigured(NO_REDIS_URL)
        from jobs.dev.project_redis import ProjectRedis, default_var_dir

        return ProjectRedis(default_var_dir()).ensure_running()


def _host_name(value: str | None) -> str:
    """``JOBS_HOST``, or the system's host name. A colon would split a worker id wrongly."""
    if not value:
        return socket.gethostname()
    if ":" in value or any(character.isspace() for character in value):
        raise ValueError(f"JOBS_HOST must be a host name without ':' or spaces, not {value!r}")
    return value


def _count(value: str | None, name: str) -> int:
    """A number of things from the environment: unset or empty is 0; never negative."""
    if not value:
        return 0
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number, 0 or more, not {value!r}")
    return int(value)


def _positive_int_or_none(value: str | None) -> int | None:
    """An optional count from the environment: unset or empty is None; else at least 1."""
    if not value:
        return None
    count = int(value)
    if count < 1:
        raise ValueError(f"expected a whole number of 1 or more, not {value!r}")
    return count
