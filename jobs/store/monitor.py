"""What the web monitor reads, batched per page, and its buttons for a queue named by bytes.

The queue's own modules read one thing per call, which is what a worker needs. A monitor page
shows many things at once: 25 workers with their jobs, the total of 50,000 queues. Reading
those one command at a time made pages take seconds, so here:

1. Every read for a page is one round trip: a pipeline, or a Lua script that counts inside
   Redis (``waiting_total.lua``, ``working_page.lua``).
2. Nothing is read whole that a page shows only the start of: a working record longer than
   :data:`RECORD_CUT_AT` comes as its first bytes (GETRANGE), a failure record as its head and
   tail (``failure_slices.lua``).
3. Queue names are bytes: someone else may have named a queue with bytes that are not UTF-8,
   and the monitor must still be able to show, clear and remove it. (The rest of the store
   takes names as text, which is what a program that enqueues gives.)

Everything here reads, except the three changes to a queue (:meth:`MonitorStore.clear`,
:meth:`~MonitorStore.remove_queue`, :meth:`~MonitorStore.remove_payload`), which reuse the
queue's own scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from jobs.store.keys import Keys
from jobs.store.replies import as_bytes_list, as_int
from jobs.store.scripts import LuaScript

# A working record (or failure record) up to this long is read whole; a longer one is cut.
RECORD_CUT_AT = 64 * 1024
# What is kept of the two ends of a failure record that is cut (see failure_slices.lua).
RECORD_HEAD = 8 * 1024
RECORD_TAIL = 16 * 1024


@dataclass(frozen=True)
class RecordSlice:
    """A stored record, whole (``tail`` empty), or its first and last bytes if it is long."""

    length: int
    head: bytes
    tail: bytes = b""

    @property
    def whole(self) -> bool:
        return self.length == len(self.head)


@dataclass(frozen=True)
class WorkerReading:
    """What Redis holds about one worker, as read for a page."""

    id: str
    record: RecordSlice | None  # its working record; None when idle
    flags: set[str]
    started: str | None
    processed: int
    failed: int
    beat_ms: int | None


@dataclass(frozen=True)
class SilentHost:
    """A host none of whose registered workers has sent a heartbeat for a while."""

    host: str
    workers: int
    silent_ms: int  # since its newest heartbeat, by Redis's clock


class MonitorStore:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys
        self._waiting_total = LuaScript(client, "waiting_total")
        self._working_page = LuaScript(client, "working_page")
        self._silent_hosts = LuaScript(client, "silent_hosts")
        self._failure_slices = LuaScript(client, "failure_slices")
        self._clear = LuaScript(client, "clear_queue")
        self._remove_queue = LuaScript(client, "remove_queue")

    # -- queues, by their names' exact bytes --------------------------------------------------
    def _queue_key(self, name: bytes) -> bytes:
        return self._keys.queue_prefix.encode() + name

    def queue_count(self) -> int:
        return as_int(self._client.scard(self._keys.queues))

    def queue_names(self, start: int, count: int) -> list[bytes]:
        """``count`` queue names from ``start``, in name order. Redis sorts them and sends
        only those, whatever the number of queues."""
        names = self._client.sort(self._keys.queues, start=start, num=count, alpha=True)
        return as_bytes_list(names)

    def queue_sizes(self, names: list[bytes]) -> list[int]:
        pipe = self._client.pipeline(transaction=False)
        for name in names:
            pipe.llen(self._queue_key(name))
        return [int(size) for size in pipe.execute()]

    def waiting_total(self, most_queues: int) -> tuple[int, int]:
        """Jobs waiting on the queues together, summed inside Redis over at most
        ``most_queues`` queues; returns the sum and how many queues it covers."""
        total, counted = self._waiting_total(
            [self._keys.queues], [self._keys.queue_prefix, most_queues]
        )
        return int(total), int(counted)

    def peek(self, name: bytes, start: int, count: int) -> list[bytes]:
        if count <= 0:
            return []
        return as_bytes_list(self._client.lrange(self._queue_key(name), start, start + count - 1))

    def remove_payload(self, name: bytes, payload: bytes) -> int:
        """Remove one copy of exactly this payload; 0 if a worker took it first."""
        return as_int(self._client.lrem(self._queue_key(name), 1, payload))  # type: ignore[arg-type]

    def clear(self, name: bytes) -> int:
        """Remove every job waiting on the queue, keeping it listed; returns how many."""
        return int(self._clear([self._queue_key(name)], []))

    def remove_queue(self, name: bytes) -> int:
        """Remove the queue and its waiting jobs; returns how many jobs went with it."""
        return int(self._remove_queue([self._keys.queues, self._queue_key(name)], [name]))

    # -- workers ------------------------------------------------------------------------------
    def worker_count(self) -> int:
        return as_int(self._client.scard(self._keys.workers))

    def is_worker(self, worker_id: str) -> bool:
        return bool(self._client.sismember(self._keys.workers, worker_id))

    def working_page(self, start: int, count: int) -> tuple[int, list[str]]:
        """How many workers are working, and the ids (sorted) of ``count`` of them from
        ``start``; counted inside Redis, whatever the number of workers."""
        total, *ids = self._working_page(
            [self._keys.workers], [self._keys.worker(""), start, count]
        )
        return int(total), [worker_id.decode("utf-8", "replace") for worker_id in ids]

    def silent_hosts(self, *, silent_after_ms: int) -> list[SilentHost]:
        """Hosts whose every worker's last heartbeat is older than ``silent_after_ms``,
        grouped inside Redis (``silent_hosts.lua``): one short reply for any number of workers."""
        now, *flat = self._silent_hosts([self._keys.heartbeats], [silent_after_ms])
        return [
            SilentHost(flat[i].decode("utf-8", "replace"), int(flat[i + 1]), now - int(flat[i + 2]))
            for i in range(0, len(flat), 3)
        ]

    def workers(self, ids: list[str]) -> list[WorkerReading]:
        """Everything a page shows of these workers, in one round trip."""
        pipe = self._client.pipeline(transaction=False)
        for worker_id in ids:
            self._queue_worker_reads(pipe, worker_id)
        replies = pipe.execute()
        per_worker = len(replies) // len(ids) if ids else 0
        return [
            _worker_reading(worker_id, replies[i * per_worker : (i + 1) * per_worker])
            for i, worker_id in enumerate(ids)
        ]

    def _queue_worker_reads(self, pipe: Any, worker_id: str) -> None:
        keys = self._keys
        pipe.strlen(keys.worker(worker_id))
        pipe.getrange(keys.worker(worker_id), 0, RECORD_CUT_AT - 1)
        pipe.smembers(keys.flags(worker_id))
        pipe.get(keys.worker_started(worker_id))
        pipe.get(keys.stat("processed", worker_id))
        pipe.get(keys.stat("failed", worker_id))
        pipe.zscore(keys.heartbeats, worker_id)

    # -- failures -----------------------------------------------------------------------------
    def failure_slices(self, start: int, stop: int) -> list[RecordSlice]:
        """Records ``start`` to ``stop`` of the failed list (as LRANGE counts them), each
        whole if short, else its head and tail."""
        flat = self._failure_slices(
            [self._keys.failed], [start, stop, RECORD_CUT_AT, RECORD_HEAD, RECORD_TAIL]
        )
        return [RecordSlice(int(flat[i]), flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)]


def _worker_reading(worker_id: str, replies: list[Any]) -> WorkerReading:
    length, record, flags, started, processed, failed, beat = replies
    return WorkerReading(
        id=worker_id,
        record=RecordSlice(int(length), record) if length else None,
        flags={flag.decode("utf-8", "replace") for flag in flags},
        started=started.decode("utf-8", "replace") if started is not None else None,
        processed=_count(processed),
        failed=_count(failed),
        beat_ms=None if beat is None else int(beat),
    )


def _count(reply: bytes | None) -> int:
    try:
        return int(reply) if reply is not None else 0
    except ValueError:  # a counter someone else overwrote with text
        return 0
