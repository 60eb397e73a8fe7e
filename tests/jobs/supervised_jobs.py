"""Job classes for the supervisor's tests (``--import tests.jobs.supervised_jobs``): a job that
runs for three seconds, and one that needs the Flask app. Like the sample jobs, they report
through Redis lists under ``test:``."""

from __future__ import annotations

import os
import time

from flask import current_app

from tests.jobs.sample_jobs import report

RUNS_FOR = 3.0  # seconds: long enough that Ctrl-C comes while it runs


class ThreeSeconds:
    queue = "default"

    @staticmethod
    def perform(token: str) -> None:
        report().rpush("test:started", f"{token} {os.getpid()}")
        time.sleep(RUNS_FOR)
        report().rpush("test:done", token)


class NamesItsApp:
    """Needs an app context, as a job in a Flask app often does (``current_app.config``)."""

    queue = "default"

    @staticmethod
    def perform(token: str) -> None:
        report().rpush("test:done", f"{token} in {current_app.name}")
