"""The monitor demo's job classes, and the stand-in third-party API that one of them calls.

The jobs stand for the work the workshop moves out of web requests. Their run times are short
and fixed, so that the number of workers, not the jobs, sets the pace the room sees.

The "rates API" is a JSON file that the story switches (:class:`RatesApi`), not a server: the
flaky act needs the API down, back, and one request broken, each exactly when the story says,
and a file gives that without a network stand-in to start and stop.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jobs

WORK_SECONDS = 0.02  # a burst job: quick, but slow enough that four workers beat one
REPORT_SECONDS = 3.0  # long enough to kill a worker in the middle of one
API_STATE_VARIABLE = "MONITOR_DEMO_API"  # the stand-in API's file, for the workers


class QuickJob:
    """What every job of the demo but :class:`FetchRates` does: take a fixed time, by the
    class's ``seconds``. Each subclass stands for one kind of work, on a queue of its own."""

    queue = "demo"
    seconds = WORK_SECONDS

    @classmethod
    def perform(cls, *ids: int) -> None:
        time.sleep(cls.seconds)


class MakeThumbnail(QuickJob):
    queue = "thumbnails"


class SendMail(QuickJob):
    queue = "mail"


class CallWebhook(QuickJob):
    queue = "webhooks"


BURST_CLASSES: tuple[type, ...] = (MakeThumbnail, SendMail, CallWebhook)


class RatesApi:
    """The stand-in third-party API: down for everyone, or up with some requests broken."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, *, down: bool, broken: tuple[int, ...] = ()) -> None:
        # Written aside and renamed into place: a job never reads half a file.
        spare = self.path.with_suffix(".new")
        spare.write_text(json.dumps({"down": down, "broken": list(broken)}))
        spare.replace(self.path)

    @classmethod
    def from_env(cls) -> RatesApi | None:
        path = os.environ.get(API_STATE_VARIABLE)
        return cls(Path(path)) if path else None

    def answers(self, request_number: int) -> bool:
        state = json.loads(self.path.read_text())
        return not state["down"] and request_number not in state["broken"]


class FetchRates(jobs.Job):
    """A call to the third-party rates API, retried automatically when it times out: after
    6 s, then once more 2 s later (short, so the room sees the retries come and go)."""

    queue = "rates"
    retry = 2
    retry_on = (TimeoutError,)
    retry_in = staticmethod(lambda count, error: 6.0 if count == 0 else 2.0)

    def perform(self, request_number: int) -> None:
        api = RatesApi.from_env()
        time.sleep(WORK_SECONDS)
        if api is not None and not api.answers(request_number):
            raise TimeoutError(f"the rates API did not answer request {request_number} in 5s")


class BuildReport(QuickJob):
    """A slow job: the crash act kills a worker in the middle of one."""

    queue = "reports"
    seconds = REPORT_SECONDS


class SendReminder(QuickJob):
    """A job enqueued for later (``enqueue_in``): the scheduled act's."""

    queue = "mail"


class SweepCache(QuickJob):
    """Maintenance on a schedule: the recurring job of ``schedule.toml``."""

    queue = "maintenance"
