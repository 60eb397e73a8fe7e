"""Jobs waiting for a time, in Redis: delayed jobs, retries, and the recurring schedules' ticks.

Delayed jobs and retries each live in a sorted set, scored by when they are due (Unix ms, by
Redis's clock). A member is JSON ``[queue, payload]``, like an in-flight entry, so moving it to
its queue needs nothing else::

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
from jobs.store.scripts import ScheduleOutcome, Scripts, TickOutcome

SetName = Literal["scheduled", "retries"]
MOVE_BATCH = 100


def make_entry(queue: str, payload: bytes) -> bytes:
    """A sorted-set member: JSON ``[queue, payload]`` (as :func:`entry_parts` reads it)."""
    text = payload.decode("utf-8", "surrogateescape")
    return json.dumps([queue, text], separators=(",", ":")).encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Moved:
    """What one :meth:`ScheduledStore.move_due` call did, by Redis's clock (ms)."""

    moved: int
    now_ms: int
    next_due_ms: int | None  # the soonest job still waiting, None if none
    full_batch: bool  # a whole batch was read and moved: more may be due


def _now_arg(now_ms: int | None) -> str | int:
    return "" if now_ms is None else now_ms


class ScheduledStore:
    def __init__(
        self, client: redis.Redis, keys: Keys, scripts: Scripts, minute: Callable[[], int]
    ) -> None:
        self._client = client
        self._keys = keys
        self._scripts = scripts
        self._minute = minute  # the minute per-minute counts are filed under, by Redis's clock

    def _set(self, name: SetName) -> str:
        return self._keys.scheduled if name == "scheduled" else self._keys.retries

    # -- delayed jobs -------------------------------------------------------------------------
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
        keys = self._keys
        return self._scripts.schedule(
            [keys.scheduled, keys.queues, keys.queue(queue)],
            [
                make_entry(queue, payload),
                payload,
                queue,
                keys.wakeup_channel(queue),
                keys.scheduler_channel,
                "" if at_ms is None else at_ms,
                in_ms,
                _now_arg(now_ms),
            ],
            replicas=replicas,
            timeout_ms=timeout_ms,
        )

    def move_due(self, name: SetName, now_ms: int | None = None, batch: int = MOVE_BATCH) -> Moved:
        """Move up to ``batch`` due jobs of set ``name`` to their queues, soonest first."""
        candidates: list[tuple[bytes, str]] = []
        members = as_bytes_list(self._client.zrange(self._set(name), 0, batch - 1))
        for member in members:
            try:
                candidates.append((member, entry_parts(member)[0]))
            except (ValueError, TypeError):
                continue  # not ours to read (see the module doc of jobs.scheduler)
        keys = [self._set(name), self._keys.queues]
        args: list[bytes | str | int] = [_now_arg(now_ms)]
        for member, queue in candidates:
            keys.append(self._keys.queue(queue))
            args += [member, queue, self._keys.wakeup_channel(queue)]
        moved, now, next_due = self._scripts.move_due(keys, args)
        full = len(members) == batch and moved == len(candidates) > 0
        return Moved(moved, now, None if next_due < 0 else next_due, full)

    def page(self, name: SetName, start: int, count: int) -> list[tuple[bytes, int]]:
        """Members ``start`` .. ``start + count - 1``, soonest due first, with their due ms."""
        if count <= 0:
            return []
        rows = self._client.zrange(self._set(name), start, start + count - 1, withscores=True)
        return [(member, int(score)) for member, score in as_bytes_list(rows)]  # type: ignore[misc]

    def count(self, name: SetName) -> int:
        return as_int(self._client.zcard(self._set(name)))

    def find(self, name: SetName, text: str) -> list[bytes]:
        """Members whose text contains ``text`` (a job id), found with ZSCAN on the server."""
        pattern = "*" + "".join("\\" + c if c in "*?[]\\^" else c for c in text) + "*"
        return [member for member, _ in self._client.zscan_iter(self._set(name), match=pattern)]

    def remove(self, name: SetName, member: bytes) -> bool:
        """Remove one waiting job; False if it was gone already (moved, or removed)."""
        return bool(self._client.zrem(self._set(name), member))

    def enqueue_now(self, name: SetName, member: bytes) -> bool:
        """Move one waiting job to its queue now; False if it was gone already."""
        queue, _ = entry_parts(member)
        keys = [self._set(name), self._keys.queues, self._keys.queue(queue)]
        return self._scripts.enqueue_scheduled(
            keys, member, queue, self._keys.wakeup_channel(queue)
        )

    # -- retries ------------------------------------------------------------------------------
    def retry(
        self,
        worker_id: str,
        entry: bytes,
        payload: bytes,
        in_ms: int,
        now_ms: int | None = None,
    ) -> bool:
        """Move an in-flight job into the retries set with its new ``payload``, due in
        ``in_ms`` by Redis's clock (see ``lua/retry.lua``). False if it was no longer in
        flight."""
        keys = self._keys
        queue, _ = entry_parts(entry)
        return self._scripts.retry(
            keys.failed_run(worker_id, keys.retries, self._minute()),
            [
                entry,
                make_entry(queue, payload),
                in_ms,
                HISTORY_SECONDS,
                keys.scheduler_channel,
                _now_arg(now_ms),
            ],
        )

    # -- recurring schedules ------------------------------------------------------------------
    def claim_tick(self, name: str, tick_ms: int, queue: str, payload: bytes) -> TickOutcome:
        """Enqueue ``payload`` for this tick of schedule ``name`` unless a loop already did
        (see ``lua/claim_tick.lua``)."""
        keys = self._keys
        return self._scripts.claim_tick(
            [keys.recurring_last, keys.queues, keys.queue(queue)],
            [name, tick_ms, payload, queue, keys.wakeup_channel(queue)],
        )

    def publish_recurring(self, definitions: dict[str, bytes]) -> None:
        """Write the schedules' definitions where the monitor can read them."""
        if definitions:
            self._client.hset(self._keys.recurring, mapping=definitions)

    def recurring(self) -> dict[str, bytes]:
        """Every published schedule's definition, by name."""
        rows = self._client.hgetall(self._keys.recurring)
        assert isinstance(rows, dict)
        return {name.decode(): value for name, value in rows.items()}

    def last_ticks(self) -> dict[str, int]:
        """The last tick (Unix ms) enqueued for each schedule; negative for one not run yet
        (minus the tick at which it was first seen)."""
        rows = self._client.hgetall(self._keys.recurring_last)
        assert isinstance(rows, dict)
        return {name.decode(): int(value) for name, value in rows.items()}

    def forget_recurring(self, name: str) -> bool:
        """Remove a schedule's published definition and its last tick."""
        keys = [self._keys.recurring, self._keys.recurring_last]
        return self._scripts.forget_recurring(keys, name)
