"""Queues in Redis: putting jobs on them, taking jobs off them, and holding jobs in flight.

A job's path through these keys:

    enqueue ──> queue:NAME ──fetch──> jobs:inflight:WORKER ──acknowledge──> (gone, counted)
                    ^                        │ ──fail──> failed
                    └──────── requeue ───────┘

An idle thread of a worker on one queue takes its job another way, in one round trip: a
blocking move into ``jobs:landing:WORKER``, then into its in-flight list (see
:mod:`jobs.store.landing`).
"""

from __future__ import annotations

import json
import select
from collections.abc import Callable

import redis

from jobs.store.keys import Keys
from jobs.store.landing import Landing
from jobs.store.replies import as_bytes_list, as_bytes_set, as_int, as_text
from jobs.store.scripts import RequeueOutcome, RequeueReason, Scripts

# Lua's unpack() has a limit on how many values it can spread; stay well under it.
PUSH_CHUNK = 1000
HISTORY_SECONDS = 2 * 60 * 60  # how long per-minute counts are kept (the monitor's chart)
# What WakeupSubscription.wait returns for a wake-up from the scheduler's channel (a job was
# scheduled sooner than any other). No queue has this name: ':' is not allowed in one.
SCHEDULER_WAKEUP = ":scheduler"


def entry_parts(entry: bytes) -> tuple[str, bytes]:
    """The queue name and raw payload held in an in-flight entry (JSON ``[queue, payload]``).
    Raises ValueError for anything else (anyone can write to Redis, say to a scheduled set)."""
    try:
        parts = json.loads(entry.decode("utf-8", "surrogateescape"))
    except RecursionError:  # nested deeper than the parser goes: not an entry we wrote
        parts = None
    if not (isinstance(parts, list) and len(parts) == 2 and all(type(p) is str for p in parts)):
        raise ValueError(f"not a [queue, payload] entry: {entry[:100]!r}")
    queue, payload = parts
    return queue, payload.encode("utf-8", "surrogateescape")


class QueueStore:
    def __init__(
        self, client: redis.Redis, keys: Keys, scripts: Scripts, minute: Callable[[], int]
    ) -> None:
        self._client = client
        self._keys = keys
        self._scripts = scripts
        self._minute = minute  # the minute per-minute counts are filed under, by Redis's clock

    # -- enqueue side -------------------------------------------------------------------------
    def push(
        self, queue: str, payloads: list[bytes], *, replicas: int = 0, timeout_ms: int = 1000
    ) -> int:
        """Append payloads to ``queue`` (creating it) and wake idle workers. Returns its length.
        With ``replicas``, also wait until that many replicas have them (``WAIT``), and raise
        :class:`~jobs.store.connection.NotReplicated` if they do not within ``timeout_ms``."""
        length = 0
        for start in range(0, len(payloads), PUSH_CHUNK):
            length = self._scripts.enqueue(
                queue=queue,
                payloads=payloads[start : start + PUSH_CHUNK],
                replicas=replicas,
                timeout_ms=timeout_ms,
            )
        return length

    def push_unique(
        self, queue: str, payload: bytes, *, job_id: str, lock: str, lock_ms: int
    ) -> str:
        """Append a unique job to ``queue`` unless a copy holds its ``lock`` (see
        :mod:`jobs.unique`); returns the id of the copy that waits, this one or the earlier."""
        return self._scripts.enqueue_unique(
            queues=self._keys.queues,
            queue_list=self._keys.queue(queue),
            lock=self._keys.unique_lock(lock),
            queue=queue,
            channel=self._keys.wakeup_channel(queue),
            payload=payload,
            job_id=job_id,
            lock_ms=lock_ms,
        )

    def release_unique(self, lock: str, job_id: str) -> bool:
        """Release a unique job's lock if the copy ``job_id`` holds it (that copy was taken
        off its queue by hand)."""
        return self._scripts.release_unique(lock=self._keys.unique_lock(lock), job_id=job_id)

    def names(self) -> list[str]:
        return sorted(
            as_text(name) for name in as_bytes_set(self._client.smembers(self._keys.queues))
        )

    def size(self, queue: str) -> int:
        return as_int(self._client.llen(self._keys.queue(queue)))

    def peek(self, queue: str, start: int, count: int) -> list[bytes]:
        if count <= 0:
            return []
        return as_bytes_list(self._client.lrange(self._keys.queue(queue), start, start + count - 1))

    def remove_payload(self, queue: str, payload: bytes) -> int:
        """Remove one copy of exactly this payload; 0 if a worker took it first."""
        return as_int(self._client.lrem(self._keys.queue(queue), 1, payload))  # type: ignore[arg-type]

    def remove_queue(self, queue: str) -> int:
        """Remove a queue and its waiting jobs; returns how many jobs went with it."""
        return self._scripts.remove_queue(queue=queue)

    # -- worker side --------------------------------------------------------------------------
    def fetch(self, worker_id: str, queues: list[str], run_at: str) -> bytes | None:
        """Move the next job of the first non-empty queue in flight for ``worker_id``."""
        if not queues:
            return None
        taken = self.acknowledge_and_fetch(worker_id, [], queues, run_at, wanted=1)[1]
        return taken[0] if taken else None

    def acknowledge(self, worker_id: str, entry: bytes, run_us: int | None = None) -> bool:
        """The job is done, after ``run_us`` microseconds (None: no metrics): out of flight,
        counted. False if it was no longer in flight."""
        return self.acknowledge_and_fetch(
            worker_id, [entry], [], "", wanted=0, run_us=None if run_us is None else [run_us]
        )[0][0]

    def acknowledge_and_fetch(
        self,
        worker_id: str,
        finished: list[bytes],
        queues: list[str],
        run_at: str,
        wanted: int,
        run_us: list[int] | None = None,
    ) -> tuple[list[bool], list[bytes]]:
        """Acknowledge the ``finished`` entries, which ran ``run_us`` microseconds each (None:
        record no metrics), and take up to ``wanted`` jobs, in one round trip: what a busy
        worker does between two jobs (or two batches of quick jobs)."""
        if not wanted:
            queues = []  # nothing to take: the script needs no queue
        keys = self._keys
        minute = self._minute()
        worker_keys = [
            keys.inflight(worker_id),
            keys.worker(worker_id),
            keys.stat("processed"),
            keys.stat("processed", worker_id),
            keys.crashes,
            keys.history("processed", minute),
            keys.metrics(minute),
            keys.metrics_totals,
        ]
        queue_lists = [keys.queue(name) for name in queues]
        return self._scripts.fetch(
            worker_keys,
            queue_lists,
            finished,
            wanted,
            HISTORY_SECONDS,
            run_at,
            queues,
            run_us=run_us,
            minute=minute,
        )

    def give_back(
        self, worker_id: str, entries: list[bytes], running: bytes = b"", run_at: str = ""
    ) -> int:
        """Put jobs taken but not started back at the front of their queues, in order, and
        show ``running`` (started at ``run_at``) as the worker's job (see lua/give_back.lua)."""
        return self._scripts.give_back(
            worker_id=worker_id,
            entries=entries,
            queues=[entry_parts(entry)[0] for entry in entries],
            running=running,
            run_at=run_at,
        )

    def fail(
        self, worker_id: str, entry: bytes, record: bytes, keep: int, run_us: int | None = None
    ) -> bool:
        """The job failed after ``run_us`` microseconds (None: no metrics): its record goes
        to the failed list. False if it was no longer in flight."""
        return self._scripts.fail(
            worker_id=worker_id,
            entry=entry,
            record=record,
            keep=keep,
            minute=self._minute(),
            history_seconds=HISTORY_SECONDS,
            run_us=run_us,
        )

    def requeue(
        self,
        worker_id: str,
        entry: bytes,
        reason: RequeueReason,
        *,
        crash_limit: int,
        crash_record: bytes,
        keep_failed: int,
        expected_beat: str = "",
    ) -> RequeueOutcome:
        """Put an in-flight job back on the front of its queue (see ``lua/requeue.lua``)."""
        queue, _ = entry_parts(entry)
        return self._scripts.requeue(
            worker_id=worker_id,
            entry=entry,
            reason=reason,
            queue=queue,
            crash_limit=crash_limit,
            crash_record=crash_record,
            keep_failed=keep_failed,
            expected_beat=expected_beat,
            minute=self._minute(),
            history_seconds=HISTORY_SECONDS,
        )

    def landing(self, worker_id: str, queue: str) -> Landing:
        """How an idle thread of a worker on the single queue ``queue`` waits for a job inside
        Redis and takes it in one round trip (see :mod:`jobs.store.landing`)."""
        return Landing(self._client, self._keys, self._scripts, worker_id, queue)

    def return_landing(self, worker_id: str, queue: str) -> int:
        """Put what ``worker_id`` left in its landing list back at the front of ``queue``."""
        return self._scripts.return_landing(worker_id=worker_id, queue=queue)

    def inflight(self, worker_id: str) -> list[bytes]:
        return as_bytes_list(self._client.lrange(self._keys.inflight(worker_id), 0, -1))

    def wakeups(
        self, queues: list[str], every_queue: bool, scheduler: bool = False
    ) -> WakeupSubscription:
        return WakeupSubscription(self._client, self._keys, queues, every_queue, scheduler)


class WakeupSubscription:
    """Idle workers wait here: enqueue publishes the queue's name, which wakes them at once.

    The subscription is made before the worker's first fetch and kept for its whole life, so a
    job pushed between "every queue was empty" and "start waiting" still leaves a message that
    ends the wait. Messages that arrive while the worker is busy just cause one extra fetch.
    """

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        queues: list[str],
        every_queue: bool,
        scheduler: bool = False,
    ):
        self._keys = keys
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        channels = [keys.wakeup_channel(name) for name in queues]
        if scheduler:  # a worker that runs the scheduler loop, or the scheduler on its own
            channels.append(keys.scheduler_channel)
        if channels:
            self._pubsub.subscribe(*channels)
        if every_queue:
            self._pubsub.psubscribe(keys.wakeup_pattern)

    def fileno(self) -> int:
        """The socket to wait on with ``select``, next to the worker's other wake-ups.

        redis-py offers no public way to wait on a subscription together with other files,
        so this reaches for its connection's socket; :meth:`drain` empties its buffer first.
        """
        connection = self._pubsub.connection
        assert connection is not None and connection._sock is not None
        return int(connection._sock.fileno())

    def drain(self) -> list[str]:
        """Queue names of the wake-ups received so far, without waiting.

        Reads until nothing is left, neither on the socket nor in the client's own buffer:
        a message left in the buffer would not make the socket readable for ``select``.
        """
        names: list[str] = []
        connection = self._pubsub.connection
        while connection is not None and connection.can_read(timeout=0):
            message = self._pubsub.get_message(timeout=0.0)
            if message is not None:
                channel = as_text(message["channel"])
                if channel == self._keys.scheduler_channel:
                    names.append(SCHEDULER_WAKEUP)
                else:
                    names.append(self._keys.queue_name_from_wakeup(channel))
        return names

    def wait(self, other_fds: list[int], timeout: float) -> list[str]:
        """Wait for a wake-up, a readable fd in ``other_fds`` or ``timeout``; return wake-ups."""
        names = self.drain()
        if names:
            return names
        readable, _, _ = select.select([self.fileno(), *other_fds], [], [], timeout)
        return self.drain() if self.fileno() in readable else []

    def close(self) -> None:
        self._pubsub.close()
