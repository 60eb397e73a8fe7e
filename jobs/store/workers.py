"""The worker registry in Redis: who is working, on what, and whether they are still alive."""

from __future__ import annotations

import redis

from jobs.store.keys import Keys
from jobs.store.replies import as_bytes_list, as_bytes_set, as_int, as_text
from jobs.store.scripts import Scripts, UnregisterOutcome


class WorkerStore:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts) -> None:
        self._client = client
        self._keys = keys
        self._scripts = scripts

    def register(self, worker_id: str, started: str, beat: str) -> int:
        """Add a worker to the registry. Returns Redis's clock (ms)."""
        return self._scripts.register(worker_id=worker_id, started=started, beat=beat)

    def heartbeat(self, worker_ids: list[str], beat: str) -> int:
        """Mark these workers alive now. Returns Redis's clock (ms)."""
        return self._scripts.heartbeat(worker_ids=worker_ids, beat=beat)

    def unregister(self, worker_id: str, expected_beat: str = "") -> UnregisterOutcome:
        return self._scripts.unregister(worker_id=worker_id, expected_beat=expected_beat)

    def heartbeats(self) -> list[tuple[str, str]]:
        """Every worker with its last heartbeat (Redis ms, as the exact text Redis stores)."""
        rows = self._client.zrange(
            self._keys.heartbeats, 0, -1, withscores=True, score_cast_func=bytes
        )
        pairs: list[tuple[bytes, bytes]] = as_bytes_list(rows)  # type: ignore[assignment]
        return [(as_text(worker_id), score.decode()) for worker_id, score in pairs]

    def heartbeat_of(self, worker_id: str) -> str | None:
        score = self._client.zscore(self._keys.heartbeats, worker_id)
        return None if score is None else str(int(as_int(score)))

    def now_ms(self) -> int:
        seconds, microseconds = self._client.time()  # type: ignore[misc]
        return int(seconds) * 1000 + int(microseconds) // 1000

    def try_lock_recovery(self, token: str, ttl_ms: int) -> bool:
        """Take the recovery lock unless someone holds it. It is never released: it expires,
        which also spaces recovery runs out to one per ``ttl_ms`` across all workers."""
        return bool(self._client.set(self._keys.recovery_lock, token, nx=True, px=ttl_ms))

    def ids(self) -> list[str]:
        return sorted(
            as_text(member) for member in as_bytes_set(self._client.smembers(self._keys.workers))
        )

    def working_record(self, worker_id: str) -> bytes | None:
        value = self._client.get(self._keys.worker(worker_id))
        return value if isinstance(value, bytes) else None

    def flags(self, worker_id: str) -> set[str]:
        """States beyond idle/working: ``paused``, ``stopping``, ``overdue``."""
        return {
            flag.decode()
            for flag in as_bytes_set(self._client.smembers(self._keys.flags(worker_id)))
        }

    def set_flag(self, worker_id: str, flag: str, on: bool) -> None:
        if on:
            self._client.sadd(self._keys.flags(worker_id), flag)
        else:
            self._client.srem(self._keys.flags(worker_id), flag)

    def redis_uptime(self) -> float:
        """Seconds since the Redis server started (a restart resets it)."""
        info = self._client.info("server")
        assert isinstance(info, dict)
        return float(info["uptime_in_seconds"])

    def eviction_policy(self) -> str:
        """Redis's ``maxmemory-policy``, read from INFO (hosted Redis often refuses CONFIG)."""
        info = self._client.info("memory")
        assert isinstance(info, dict)
        return str(info.get("maxmemory_policy", "noeviction"))

    def started(self, worker_id: str) -> str | None:
        value = self._client.get(self._keys.worker_started(worker_id))
        return value.decode() if isinstance(value, bytes) else None
