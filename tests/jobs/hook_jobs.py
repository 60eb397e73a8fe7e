"""Hooks for a worker *subprocess* to import: ``JOBS_IMPORT=tests.jobs.hook_jobs,...``.

Importing this module registers an after-fork hook and a perform middleware on
:data:`jobs.hooks.default_hooks`, which is global. So the test process never imports it: tests
enqueue :class:`ReportsPid` by its class name (:data:`REPORTS_PID`) instead.

Everything is reported, in order, to the Redis list ``test:events``, so a test can see which
process ran what, and when.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from jobs.hooks import JobCall, after_fork, around_perform, before_first_fork
from tests.jobs.sample_jobs import report

REPORTS_PID = "tests.jobs.hook_jobs.ReportsPid"
EVENTS = "test:events"


def event(*words: object) -> None:
    report().rpush(EVENTS, " ".join(str(word) for word in words))


@after_fork
def record_fork() -> None:
    event("after_fork", os.getpid())


@before_first_fork
def record_before_first_fork() -> None:
    event("before_first_fork", os.getpid())


@around_perform
def record_call(job: JobCall, call_next: Callable[[], object]) -> object:
    event("middleware", job.class_name, job.queue, job.worker_id, job.job_id, os.getpid())
    return call_next()


class ReportsPid:
    """Reports the pid of the process running it, between two Resque-named class hooks."""

    queue = "default"

    @staticmethod
    def before_perform_note(token: str) -> None:
        event("before_perform", token, os.getpid())

    @staticmethod
    def perform(token: str) -> None:
        event("perform", token, os.getpid())

    @staticmethod
    def after_perform_note(token: str) -> None:
        event("after_perform", token, os.getpid())
