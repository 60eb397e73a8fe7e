"""The failed list in Redis: failure records, newest last, as Resque keeps them."""

from __future__ import annotations

import redis

from jobs.store.keys import Keys
from jobs.store.replies import as_bytes_list, as_int
from jobs.store.scripts import Scripts


class FailureStore:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts) -> None:
        self._client = client
        self._keys = keys
        self._scripts = scripts

    def count(self) -> int:
        return as_int(self._client.llen(self._keys.failed))

    def page(self, start: int, stop: int) -> list[bytes]:
        """Records ``start`` to ``stop`` (inclusive; negative counts from the newest end)."""
        return as_bytes_list(self._client.lrange(self._keys.failed, start, stop))

    def retry(self, record: bytes, payload: bytes, queue: str) -> bool:
        """Move one record's job back to its queue; False if the record was already gone."""
        return self._scripts.retry_failure(record=record, payload=payload, queue=queue)

    def remove(self, record: bytes) -> bool:
        return bool(self._client.lrem(self._keys.failed, 1, record))  # type: ignore[arg-type]

    def trim_older_than(self, cutoff: str, most: int = 1000) -> int:
        """Drop records that failed before ``cutoff`` (``YYYY/MM/DD HH:MM:SS UTC``)."""
        return self._scripts.trim_failed(cutoff=cutoff, most=most)

    def clear(self) -> int:
        """Remove every record; returns how many there were."""
        pipe = self._client.pipeline(transaction=True)
        pipe.llen(self._keys.failed)
        pipe.delete(self._keys.failed)
        count, _ = pipe.execute()
        return int(count)
