"""Settings: one small object built from the environment and passed in explicitly.

=============================  ==========  ==================================================
variable                       default     meaning
=============================  ==========  ==================================================
``REDIS_URL``                  (none)      the Redis to use; unset: the project's own (see
                                           :mod:`jobs.local_redis`), started on first use
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
``JOBS_SCHEDULER``             1           0: workers do not run the scheduler loop (run
                                           ``python -m jobs scheduler`` on its own instead)
``JOBS_SCHEDULE``              (none)      a TOML file of recurring schedules (see
                                           :mod:`jobs.schedule`)
=============================  ==========  ==================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


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
            environ=dict(env),
        )

    def resolved_redis_url(self) -> str:
        """``REDIS_URL`` if given; otherwise the project's own Redis, started if needed."""
        if self.redis_url:
            return self.redis_url
        from jobs.project_redis import ProjectRedis, default_var_dir

        return ProjectRedis(default_var_dir()).ensure_running()


def _positive_int_or_none(value: str | None) -> int | None:
    """An optional count from the environment: unset or empty is None; else at least 1."""
    if not value:
        return None
    count = int(value)
    if count < 1:
        raise ValueError(f"expected a whole number of 1 or more, not {value!r}")
    return count
