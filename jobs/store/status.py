"""Job status in Redis: read what last happened to a job, by its id.

The status is written by the Lua scripts that take and settle jobs (``lua/lib/job_status.lua``),
in the same step as the change it describes, so it never disagrees with the queue. A job that
no worker has taken yet has no status: a status appears when a worker takes the job, and stays
for ``STATUS_SECONDS`` after its last change.
"""

from __future__ import annotations

import redis

from jobs.store.keys import Keys
from jobs.store.replies import as_text

STATUS_SECONDS = 24 * 60 * 60  # long enough to tell someone what happened to their request


class StatusStore:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys

    def read(self, job_id: str) -> dict[str, str]:
        """The job's status fields ({} if it has none)."""
        fields = self._client.hgetall(self._keys.status(job_id))
        assert isinstance(fields, dict), fields
        return {as_text(name): as_text(value) for name, value in fields.items()}
