"""Every Redis key the queue uses, built in one place. This docstring is the key map.

All keys live under a namespace (``JOBS_NAMESPACE``, default ``resque``), written ``ns`` below.

Resque's keys, holding what Resque's own code (resque 3, ``lib/resque/``) reads, so a Ruby
Resque and its web UI can read our Redis:

=============================  ======  ===========================================================
key                            type    holds
=============================  ======  ===========================================================
``ns:queues``                  set     the name of every queue that has been used
``ns:queue:NAME``              list    queued jobs, oldest first: RPUSH to enqueue, LPOP to fetch.
                                       Each is JSON ``{"class", "args", "id", "enqueued_at"}``
``ns:workers``                 set     worker ids, ``host:pid:queue1,queue2`` (thread mode:
                                       ``host:pid-N:queues``, one per thread)
``ns:worker:ID``               string  while working: JSON ``{"queue", "run_at", "payload"}``;
                                       deleted when the worker is idle
``ns:worker:ID:started``       string  when the worker started, Ruby ``Time#to_s`` style
``ns:workers:heartbeat``       hash    worker id -> last heartbeat, ISO 8601 UTC
``ns:stat:processed``          string  jobs run, counting failures (as Resque counts)
``ns:stat:failed``             string  jobs that failed
``ns:stat:processed:ID``       string  the same, per worker (deleted when the worker leaves)
``ns:stat:failed:ID``          string
``ns:failed``                  list    failure records, newest last: JSON ``{"failed_at",
                                       "payload", "exception", "error", "backtrace", "worker",
                                       "queue", "id"}``
=============================  ======  ===========================================================

Our own additions, all under ``ns:jobs:`` so it is plain which keys are not Resque's:

=============================  ======  ===========================================================
``ns:jobs:inflight:ID``        list    jobs worker ID has taken and not finished (a thread may
                                       hold a batch of quick ones); each entry is JSON
                                       ``[queue, payload]``. A job leaves it only when done,
                                       failed or put back, so a killed worker loses nothing
``ns:jobs:landing:ID``         list    a worker thread on a single queue, while idle, waits for a
                                       job with a blocking move (BLMOVE) from its queue into this
                                       list; the job stays only until it lands in the thread's
                                       in-flight list, a round trip later (``lua/land.lua``)
``ns:jobs:heartbeats``         zset    worker id -> last heartbeat in Redis time (ms); how live
                                       workers find dead ones
``ns:jobs:crashes``            hash    sha1 of an in-flight entry -> how many workers died while
                                       running it (a job that keeps killing workers is failed)
``ns:jobs:lock:recovery``      string  held (with expiry) by the worker that looks for dead ones
``ns:jobs:wakeup:NAME``        pubsub  channel: enqueue publishes the queue name here, waking idle
                                       workers at once instead of making them poll
``ns:jobs:flags:ID``           set     a worker's states beyond idle/working: ``paused`` (USR2),
                                       ``stopping`` (QUIT/TERM/INT received), ``overdue`` (a
                                       job past its timeout in a thread)
``ns:jobs:history:STAT:MINUTE`` string jobs processed (or failed) in one minute, MINUTE being
                                       Unix time // 60; expires after two hours (the monitor's
                                       chart)
``ns:jobs:metrics:MINUTE``     hash    run-time metrics of one minute (Unix time // 60), per job
                                       class ``C``: ``p:C`` runs (failed ones too, as Resque
                                       counts), ``f:C`` failed runs, ``us:C`` their run time in
                                       microseconds, ``hN:C`` runs in time bucket N (the bounds:
                                       :mod:`jobs.store.metrics`); ``classes``: how many
                                       classes it holds (at most 200; more go under
                                       ``(other)``). Written by the scripts that settle jobs,
                                       kept for an hour after its minute ends
``ns:jobs:metrics:totals``     hash    the same fields, counted since Redis was emptied (what
                                       Prometheus reads as counters); never expires, bounded
                                       by its 200 classes
``ns:jobs:status:JOB_ID``      hash    what last happened to a job, by its id: ``state``
                                       (``running``, ``done``, ``failed``, ``retrying``, or
                                       ``waiting`` when put back), ``queue``, ``class``, and
                                       ``enqueued_at``, ``started_at``, ``finished_at``,
                                       ``retry_at``, ``updated_at`` (Unix ms), ``error``;
                                       written by the scripts that take and settle jobs,
                                       expires a day after its last change
``ns:jobs:unique:CLASS:DIGEST`` string the id of the one waiting copy of a unique job (class
                                       and a sha1 of its arguments, see ``jobs/unique.py``);
                                       deleted when a worker takes that copy, and expires after
                                       the class's ``unique_for`` (an hour by default) anyway
``ns:jobs:scheduled``          zset    delayed jobs (``enqueue_at``/``enqueue_in``): each member is
                                       JSON ``[queue, payload]`` like an in-flight entry, scored by
                                       when it is due, in Redis time (ms)
``ns:jobs:retries``            zset    jobs waiting to be retried, the same way; their payloads
                                       also carry ``retry_count``, ``error`` and ``failed_at``
``ns:jobs:recurring``          hash    recurring schedule name -> its definition as JSON
                                       ``{"class", "args", "queue", "every" or "cron"}``, written by
                                       the scheduler loops for the monitor to read
``ns:jobs:recurring:last``     hash    recurring schedule name -> the last tick (Unix ms) that was
                                       enqueued (negative: the tick at which it was first seen,
                                       before its first run); a compare-and-set on it makes each
                                       tick run once
``ns:jobs:scheduler:wakeup``   pubsub  channel: adding a job due sooner than any other publishes
                                       here, so sleeping scheduler loops look again at once
=============================  ======  ===========================================================

Which part of the store reads and writes them: :mod:`~jobs.store.queues` (queues, in-flight
lists, wake-ups, the counters a job's settling moves), :mod:`~jobs.store.workers` (the worker
keys, heartbeats, flags, the recovery lock), :mod:`~jobs.store.failures` (``failed``),
:mod:`~jobs.store.delayed` (``scheduled`` and ``retries``), :mod:`~jobs.store.recurring`
(``recurring`` and ``recurring:last``), :mod:`~jobs.store.status` and
:mod:`~jobs.store.stats`; the monitor's reads, :mod:`~jobs.store.monitor` and
:mod:`~jobs.store.browse`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    """Builds key names under one namespace."""

    namespace: str = "resque"

    def _key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    # Resque's keys
    @property
    def queues(self) -> str:
        return self._key("queues")

    def queue(self, name: str) -> str:
        return self._key("queue", name)

    @property
    def queue_prefix(self) -> str:
        """What every queue's list key starts with: ``ns:queue:`` and then the name."""
        return self._key("queue", "")

    @property
    def workers(self) -> str:
        return self._key("workers")

    def worker(self, worker_id: str) -> str:
        return self._key("worker", worker_id)

    def worker_started(self, worker_id: str) -> str:
        return self._key("worker", worker_id, "started")

    @property
    def resque_heartbeats(self) -> str:
        return self._key("workers", "heartbeat")

    def stat(self, name: str, worker_id: str | None = None) -> str:
        if worker_id is None:
            return self._key("stat", name)
        return self._key("stat", name, worker_id)

    @property
    def failed(self) -> str:
        return self._key("failed")

    # Our additions
    def inflight(self, worker_id: str) -> str:
        return self._key("jobs", "inflight", worker_id)

    def landing(self, worker_id: str) -> str:
        return self._key("jobs", "landing", worker_id)

    def flags(self, worker_id: str) -> str:
        return self._key("jobs", "flags", worker_id)

    @property
    def heartbeats(self) -> str:
        return self._key("jobs", "heartbeats")

    @property
    def crashes(self) -> str:
        return self._key("jobs", "crashes")

    @property
    def recovery_lock(self) -> str:
        return self._key("jobs", "lock", "recovery")

    def wakeup_channel(self, queue: str) -> str:
        return self._key("jobs", "wakeup", queue)

    @property
    def wakeup_pattern(self) -> str:
        """Matches every queue's wake-up channel (for workers on ``*``)."""
        return self._key("jobs", "wakeup", "*")

    @property
    def status_prefix(self) -> str:
        """What a job's status key starts with: the Lua scripts add the job's id to it."""
        return self._key("jobs", "status", "")

    def status(self, job_id: str) -> str:
        return self.status_prefix + job_id

    @property
    def unique_prefix(self) -> str:
        """What a unique job's lock key starts with: ``fetch.lua`` adds the lock name that
        the job's payload carries (``CLASS:DIGEST``)."""
        return self._key("jobs", "unique", "")

    def unique_lock(self, name: str) -> str:
        return self.unique_prefix + name

    def history(self, stat: str, minute: int) -> str:
        """The count of ``stat`` (processed or failed) in one minute (Unix time // 60)."""
        return self._key("jobs", "history", stat, str(minute))

    def metrics(self, minute: int) -> str:
        """The run-time metrics of one minute (Unix time // 60), per job class."""
        return self._key("jobs", "metrics", str(minute))

    @property
    def metrics_totals(self) -> str:
        """The run-time metrics since the start, per job class (Prometheus' counters)."""
        return self._key("jobs", "metrics", "totals")

    # The scheduler's
    @property
    def scheduled(self) -> str:
        return self._key("jobs", "scheduled")

    @property
    def retries(self) -> str:
        return self._key("jobs", "retries")

    @property
    def recurring(self) -> str:
        return self._key("jobs", "recurring")

    @property
    def recurring_last(self) -> str:
        return self._key("jobs", "recurring", "last")

    @property
    def scheduler_channel(self) -> str:
        return self._key("jobs", "scheduler", "wakeup")

    def failed_run(self, worker_id: str, destination: str, minute: int) -> list[str]:
        """The keys a run that failed touches, in the order ``fail.lua`` and ``retry.lua``
        take them: out of flight, idle, counted processed and failed (in total, per worker and
        this minute), its crash count cleared, and into ``destination`` (the failed list, or
        the retries set); then this minute's run-time metrics and their totals."""
        return [
            self.inflight(worker_id),
            self.worker(worker_id),
            self.stat("processed"),
            self.stat("processed", worker_id),
            self.stat("failed"),
            self.stat("failed", worker_id),
            destination,
            self.crashes,
            self.history("processed", minute),
            self.history("failed", minute),
            self.metrics(minute),
            self.metrics_totals,
        ]

    def queue_name_from_wakeup(self, channel: str) -> str:
        return channel.removeprefix(self._key("jobs", "wakeup", ""))
