"""Switches that break the blog on purpose, at the two moments chapter 6 is about.

Delivery is at least once, and a request can die half-way: a lesson that only says so
convinces nobody. These hooks let a learner (and the tests) make it happen, on demand:

- ``BLOG_CRASH_AFTER_JOB=NotifyAuthor``: a worker is killed (``SIGKILL``, no clean-up) right
  after that job's ``perform`` returned and before the job is acknowledged. Another worker
  then runs the same job again. Once per job: the job's id is written down under
  ``var/blog/lab/`` first, so its second run is left alone.
- ``BLOG_CRASH_BEFORE_ENQUEUE=NotifyAuthor``: enqueueing that job raises :class:`Crash`, as
  if the web server died at that line: whatever the request committed before stays, what
  comes after never happens.

Both are off unless set. They are hooks (:mod:`jobs.hooks`), so the code they break does not
know about them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

from flask import current_app, has_app_context

import jobs.hooks
from blog_app.config import BlogConfig
from jobs.hooks import EnqueueCall, JobCall
from jobs.registry import WorkerId


class Crash(RuntimeError):
    """What BLOG_CRASH_BEFORE_ENQUEUE raises in place of the enqueue."""


def _config() -> BlogConfig:
    """The settings of the blog at hand: the request's (or a test's inline job's), else a
    worker's, from the environment, as :func:`blog_app.jobs.blog` builds them."""
    if has_app_context():
        config: BlogConfig = current_app.config["BLOG"]
        return config
    return BlogConfig.from_env()


@jobs.hooks.around_perform
def crash_after_job(call: JobCall, call_next: Callable[[], object]) -> object:
    result = call_next()
    if call.class_name == _config().crash_after_job and _first_crash(call.job_id):
        _kill_the_worker(call.worker_id)
    return result


@jobs.hooks.around_enqueue
def crash_before_enqueue(call: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
    if call.job_class.__qualname__ == _config().crash_before_enqueue:
        raise Crash(
            f"BLOG_CRASH_BEFORE_ENQUEUE: the request died before enqueueing"
            f" {call.job_class.__qualname__}{list(call.args)}"
        )
    return call_next()


def lab_dir(config: BlogConfig) -> Path:
    return config.outbox_dir.parent / "lab"


def _first_crash(job_id: str | None) -> bool:
    marker = lab_dir(_config()) / f"crashed-{job_id}"
    if marker.exists():
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    return True


def _kill_the_worker(worker_id: str) -> None:
    # In fork mode this code runs in the job's child, and the worker is its parent: kill both.
    parsed = WorkerId.parse(worker_id)
    pid = parsed.pid if parsed is not None else os.getpid()
    print(f"BLOG_CRASH_AFTER_JOB: killing worker {pid} before it acknowledges", flush=True)
    os.kill(pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
