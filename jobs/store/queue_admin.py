"""Changes to a queue that only a person makes, from the web monitor: clearing it.

Kept apart from :mod:`jobs.store.queues`, which holds the job's own path through Redis
(enqueue, fetch, acknowledge ...): a worker never clears a queue.
"""

from __future__ import annotations

from pathlib import Path

import redis

from jobs.store.keys import Keys

LUA = Path(__file__).parent / "lua" / "clear_queue.lua"


class QueueAdmin:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._keys = keys
        # register_script sends EVALSHA and loads the script on the first NOSCRIPT reply.
        self._clear = client.register_script(LUA.read_text())

    def clear(self, queue: str) -> int:
        """Remove every job waiting on ``queue``, keeping the queue; returns how many."""
        return int(self._clear(keys=[self._keys.queue(queue)]))
