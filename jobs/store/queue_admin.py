"""Changes to a queue that only a person makes, from the web monitor: clearing it.

Kept apart from :mod:`jobs.store.queues`, which holds the job's own path through Redis
(enqueue, fetch, acknowledge ...): a worker never clears a queue. The monitor reaches it as
:meth:`jobs.store.monitor.MonitorStore.clear`; this is the same script on its own.
"""

from __future__ import annotations

import redis

from jobs.store.keys import Keys
from jobs.store.scripts import LuaScript


class QueueAdmin:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._keys = keys
        self._clear = LuaScript(client, "clear_queue")

    def clear(self, queue: str) -> int:
        """Remove every job waiting on ``queue``, keeping the queue; returns how many."""
        return int(self._clear(keys=[self._keys.queue(queue)], args=[]))
