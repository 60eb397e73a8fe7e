"""Redis's clock, as seen from this process.

Everything that compares times across machines (heartbeats, the per-minute counts the
monitor charts) uses Redis's clock, so machines whose own clocks disagree still agree. Asking
Redis (``TIME``) for every timestamp would cost a round trip each time, so the clock is read
once, followed with the local monotonic clock, and read again now and then — or taken from
any reply that carries Redis's time, such as a heartbeat's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

RESYNC_AFTER = 60.0  # seconds; the local monotonic clock drifts very little in a minute


class RedisClock:
    def __init__(self, read_redis_ms: Callable[[], int]) -> None:
        self._read_redis_ms = read_redis_ms
        self._offset_ms = 0.0
        self._synced_at = float("-inf")

    def sync(self, redis_now_ms: int) -> None:
        """Take Redis's time from a reply that carried it."""
        self._synced_at = time.monotonic()
        self._offset_ms = redis_now_ms - self._synced_at * 1000

    def now_ms(self) -> int:
        if time.monotonic() - self._synced_at > RESYNC_AFTER:
            self.sync(self._read_redis_ms())
        return int(time.monotonic() * 1000 + self._offset_ms)

    def minute(self) -> int:
        """The current minute, as Unix time // 60."""
        return self.now_ms() // 60_000

    def iso(self) -> str:
        """Now, as ISO 8601 UTC text (what Resque's heartbeat hash holds)."""
        return datetime.fromtimestamp(self.now_ms() / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
