"""The soak test's job (see tests/jobs/soak.py). Workers import this module.

Each run is written down in a second Redis, which the soak never stops: how many times job
``n`` started and how many times it finished. A run that started and never finished was cut
short (its worker killed, or Redis lost while it ran).
"""

from __future__ import annotations

import os
import random
import time

import redis

from tests.jobs.sample_jobs import own_connection


def record() -> redis.Redis:
    """The record Redis, on a connection of this process's own."""
    return own_connection(os.environ["SOAK_RECORD_URL"])


class Soaked:
    queue = "soak"

    @staticmethod
    def perform(n: int, work_ms: float) -> None:
        record().hincrby("soak:started", str(n), 1)
        time.sleep(random.uniform(0, 2 * work_ms) / 1000)
        record().hincrby("soak:finished", str(n), 1)
