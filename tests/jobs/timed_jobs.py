"""Jobs of known durations, for the run-time metrics tests (workers ``--import`` this)."""

from __future__ import annotations

import time


class Sleeps:
    queue = "timed"

    @staticmethod
    def perform(seconds: float) -> None:
        time.sleep(seconds)


class SleepsThenFails:
    queue = "timed"

    @staticmethod
    def perform(seconds: float) -> None:
        time.sleep(seconds)
        raise RuntimeError("failed on purpose, after its sleep")
