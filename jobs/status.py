"""Job status: what happened to a job, by the id ``enqueue`` returned.

    job_id = jobs.enqueue(MakeThumbnails, image.id)
    ...
    status = jobs.status(job_id)   # None until a worker takes the job
    status.state                   # "running", "done", "failed", "retrying" or "waiting"
    status.error                   # "ValueError: not an image", when it failed

A worker records the status in Redis in the same step as the change it describes (see
:mod:`jobs.store.status`): when it takes the job, and when the job is done, fails, waits for a
retry, or is put back on its queue ("waiting" again). A job nobody has taken yet has no status,
so an app that enqueued a job and finds no status can say "waiting". A status is kept for a day
after its last change, then forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    state: str
    queue: str
    class_name: str
    error: str  # "Exception: message" for a job that failed or waits for a retry; else ""
    enqueued_at: datetime | None
    started_at: datetime | None  # when a worker last took it
    finished_at: datetime | None  # when it last ended (done, failed, or a run that will retry)
    retry_at: datetime | None  # when it runs again, while retrying
    updated_at: datetime | None

    @classmethod
    def from_fields(cls, job_id: str, fields: dict[str, str]) -> JobStatus:
        """Read the fields of a status hash (times in Unix milliseconds)."""
        return cls(
            job_id=job_id,
            state=fields.get("state", ""),
            queue=fields.get("queue", ""),
            class_name=fields.get("class", ""),
            error=fields.get("error", ""),
            enqueued_at=_time(fields.get("enqueued_at")),
            started_at=_time(fields.get("started_at")),
            finished_at=_time(fields.get("finished_at")),
            retry_at=_time(fields.get("retry_at")) if fields.get("state") == "retrying" else None,
            updated_at=_time(fields.get("updated_at")),
        )

    @property
    def finished(self) -> bool:
        """Done or failed for good: nothing more will happen to it."""
        return self.state in ("done", "failed")

    def as_json(self) -> dict[str, Any]:
        """The status as JSON-ready values, times in ISO 8601 UTC (for an app's endpoint)."""
        times = ("enqueued_at", "started_at", "finished_at", "retry_at", "updated_at")
        body: dict[str, Any] = {
            "id": self.job_id,
            "state": self.state,
            "queue": self.queue,
            "class": self.class_name,
            "error": self.error,
        }
        for name in times:
            value: datetime | None = getattr(self, name)
            body[name] = value.isoformat().replace("+00:00", "Z") if value else None
        return body


def _time(milliseconds: str | None) -> datetime | None:
    if not milliseconds:
        return None
    try:
        return datetime.fromtimestamp(int(float(milliseconds)) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None
