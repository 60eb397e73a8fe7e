"""Delayed jobs in Redis: jobs waiting for a time, not for a worker.

Two kinds: jobs enqueued for later (``enqueue_at``/``enqueue_in``, the set named ``scheduled``,
as its key) and jobs waiting for an automatic retry (``retries``). Each lives in a sorted set,
scored by when it is due (Unix ms, by Redis's clock). A member is JSON ``[queue, payload]``,
like an in-flight entry, so moving it to its queue needs nothing else::

    enqueue_at ──> jobs:scheduled ──move_due──> queue:NAME
    a job raises ──retry──> jobs:retries ──move_due──┘

Every time argument named ``now_ms`` is for tests that move time: left ``None``, the scripts
read Redis's own clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import redis

from jobs.store.keys import Keys
from jobs.store.queues import HISTORY_SECONDS, entry_parts
from jobs.store.replies import as_bytes_list, as_int
from jobs.store.scripts import ScheduleOutcome, Scripts

DelayedSet = Literal["scheduled", "retries"]  # enqueued for later; waiting for a retry
MOVE_BATCH = 100


def make_entry(queue: str, payload: bytes) -> bytes:
    """A sorted-set member: JSON ``[queue, payload]`` (as :func:`entry_parts` reads it)."""
    text = payload.decode("utf-8", "surrogateescape")
    return json.dumps([queue, text], separators=(",", ":")).encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Moved:
    """What one :meth:`DelayedStore.move_due` call did, by Redis's clock (ms)."""

    moved: int
    now_ms: int
    next_due_ms: int | None  # the soonest job still waiting, None if none
    full_batch: bool  # a whole batch was read and moved: more may be due


class DelayedStore:
    def __init__(
        self, client: redis.Redis, keys: Keys, scripts: Scripts, minute: Callable[[], int]
    ) -> None:
        self._client = client
        self._keys = keys
        self._scripts = scripts
        self._minute = minute  # the minute per-minute counts are filed under, by Redis's clock

    def _set(self, name: DelayedSet) -> str:
        return self._keys.scheduled if name == "scheduled" else self._keys.retries

    # -- jobs enqueued for later --------------------------------------------------------------
    def schedule(
        self,
        queue: str,
        payload: bytes,
        *,
        at_ms: int | None = None,
        in_ms: int = 0,
        now_ms: int | None = None,
        replicas: int = 0,
        timeout_ms: int = 1000,
    ) -> ScheduleOutcome:
        """Hold a job until ``at_ms`` (Unix ms), or ``in_ms`` from now by Redis's clock; if it
        is due already, it goes on its queue at once (``"enqueued"``). ``replicas``: as for
        :meth:`jobs.store.QueueStore.push`."""
        return self._scripts.schedule(
            entry=make_entry(queue, payload),
            payload=payload,
            queue=queue,
            at_ms=at_ms,
            in_ms=in_ms,
            now_ms=now_ms,
            replicas=replicas,
            timeout_ms=timeout_ms,
        )

    def move_due(
        self, name: DelayedSet, now_ms: int | None = None, batch: int = MOVE_BATCH
    ) -> Moved:
        """Move up to ``batch`` due jobs of set ``name`` to their queues, soonest first."""
        candidates: list[tuple[bytes, str]] = []
        members = as_bytes_list(self._client.zrange(self._set(name), 0, batch - 1))
        for member in members:
            try:
                candidates.append((member, entry_parts(member)[0]))
            except (ValueError, TypeError):
                continue  # not ours to read (see the module doc of jobs.scheduler)
        moved, now, next_due = self._scripts.move_due(
            zset=self._set(name), members=candidates, now_ms=now_ms
        )
        full = len(members) == batch and moved == len(candidates) > 0
        return Moved(moved, now, None if next_due < 0 else next_due, full)

    def page(self, name: DelayedSet, start: int, count: int) -> list[tuple[bytes, int]]:
        """Members ``start`` .. ``start + count - 1``, soonest due first, with their due ms."""
        if count <= 0:
            return []
        rows = self._client.zrange(self._set(name), start, start + count - 1, withscores=True)
        return [(member, int(score)) for member, score in as_bytes_list(rows)]  # type: ignore[misc]

    def count(self, name: DelayedSet) -> int:
        return as_int(self._client.zcard(self._set(name)))

    def find(self, name: DelayedSet, text: str) -> list[bytes]:
        """Members whose text contains ``text`` (a job id), found with ZSCAN on the server."""
        pattern = "*" + "".join("\\" + c if c in "*?[]\\^" else c for c in text) + "*"
        return [member for member, _ in self._client.zscan_iter(self._set(name), match=pattern)]

    def remove(self, name: DelayedSet, member: bytes) -> bool:
        """Remove one waiting job; False if it was gone already (moved, or removed)."""
        return bool(self._client.zrem(self._set(name), member))

    def enqueue_now(self, name: DelayedSet, member: bytes) -> bool:
        """Move one waiting job to its queue now; False if it was gone already."""
        queue, _ = entry_parts(member)
        return self._scripts.enqueue_scheduled(zset=self._set(name), member=member, queue=queue)

    # -- retries ------------------------------------------------------------------------------
    def retry(
        self,
        worker_id: str,
        entry: bytes,
        payload: bytes,
        in_ms: int,
        now_ms: int | None = None,
        run_us: int | None = None,
    ) -> bool:
        """Move an in-flight job into the retries set with its new ``payload``, due in
        ``in_ms`` by Redis's clock (see ``lua/retry.lua``); the failed run took ``run_us``
        microseconds (None: no metrics). False if it was no longer in flight."""
        queue, _ = entry_parts(entry)
        minute = self._minute()
        return self._scripts.retry(
            worker_id=worker_id,
            entry=entry,
            retry_entry=make_entry(queue, payload),
            in_ms=in_ms,
            minute=minute,
            history_seconds=HISTORY_SECONDS,
            now_ms=now_ms,
            run_us=run_us,
        )
