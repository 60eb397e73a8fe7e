"""Counters in Redis: Resque's totals, and per-minute counts for the monitor's chart."""

from __future__ import annotations

import redis

from jobs.store.keys import Keys
from jobs.store.replies import as_bytes_list


class StatsStore:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys

    def total(self, name: str, worker_id: str | None = None) -> int:
        """A Resque counter, ``processed`` or ``failed`` (0 if never counted)."""
        value = self._client.get(self._keys.stat(name, worker_id))
        return int(value) if isinstance(value, bytes) else 0

    def history(self, last_minute: int, minutes: int) -> list[tuple[int, int, int]]:
        """(minute, processed, failed) for the ``minutes`` minutes up to ``last_minute``,
        oldest first; minute is Unix time // 60."""
        span = range(last_minute - minutes + 1, last_minute + 1)
        names = [
            self._keys.history(stat, minute) for minute in span for stat in ("processed", "failed")
        ]
        values = [int(v) if v else 0 for v in as_bytes_list(self._client.mget(names))]
        return [(minute, values[2 * i], values[2 * i + 1]) for i, minute in enumerate(span)]
