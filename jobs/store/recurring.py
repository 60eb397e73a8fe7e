"""Recurring schedules in Redis: what the scheduler loops declared, and the last tick of each.

    recurring      hash: schedule name -> its definition (JSON), for the monitor to show
    recurring:last hash: schedule name -> the last tick enqueued (Unix ms; negative: first
                   seen at that tick, not run yet)

Every scheduler loop computes the same ticks; :meth:`RecurringStore.claim_tick` lets exactly
one of them enqueue each (see ``lua/claim_tick.lua``). What a schedule is, and when it ticks,
is :mod:`jobs.schedule`'s business.
"""

from __future__ import annotations

import redis

from jobs.store.keys import Keys
from jobs.store.scripts import Scripts, TickOutcome


class RecurringStore:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts) -> None:
        self._client = client
        self._keys = keys
        self._scripts = scripts

    def claim_tick(self, name: str, tick_ms: int, queue: str, payload: bytes) -> TickOutcome:
        """Enqueue ``payload`` for this tick of schedule ``name`` unless a loop already did
        (see ``lua/claim_tick.lua``)."""
        return self._scripts.claim_tick(name=name, tick_ms=tick_ms, payload=payload, queue=queue)

    def publish(self, definitions: dict[str, bytes]) -> None:
        """Write the schedules' definitions where the monitor can read them."""
        if definitions:
            self._client.hset(self._keys.recurring, mapping=definitions)

    def definitions(self) -> dict[str, bytes]:
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

    def forget(self, name: str) -> bool:
        """Remove a schedule's published definition and its last tick."""
        return self._scripts.forget_recurring(name=name)
