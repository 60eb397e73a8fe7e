"""Job classes for the spare-child tests (``--import tests.jobs.spare_jobs``): each says which
process ran it, through Redis."""

from __future__ import annotations

import os

from tests.jobs.sample_jobs import report

# Changed by the job that runs: a child that ran a job before would show it to the next one.
runs_seen_here = 0


class SaysItsPid:
    """Appends ``<token> <pid>`` to ``test:done``."""

    queue = "default"

    @staticmethod
    def perform(token: str) -> None:
        report().rpush("test:done", f"{token} {os.getpid()}")


class CountsItsRuns:
    """Adds one to a module-level counter, and appends ``<token> <counter>`` to ``test:done``."""

    queue = "default"

    @staticmethod
    def perform(token: str) -> None:
        global runs_seen_here
        runs_seen_here += 1
        report().rpush("test:done", f"{token} {runs_seen_here}")
