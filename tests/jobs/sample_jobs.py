"""Job classes the worker tests enqueue. Workers import this module (``--import``).

They report what they do through Redis lists under ``test:`` so the test process can wait for
exactly that, instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import redis

import jobs

_connections: dict[int, redis.Redis] = {}


def report() -> redis.Redis:
    """A connection of this process's own (forked children must not share their parent's)."""
    pid = os.getpid()
    if pid not in _connections:
        _connections[pid] = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _connections[pid]


class Record:
    """Appends its arguments (as text) to ``test:done``."""

    queue = "default"

    @staticmethod
    def perform(*args: Any) -> None:
        report().rpush("test:done", " ".join(str(arg) for arg in args))


class Held:
    """Says it started, then waits until the test releases it, then says it finished."""

    queue = "default"

    @staticmethod
    def perform(token: str) -> None:
        report().rpush("test:started", f"{token} {os.getpid()}")
        report().blpop([f"test:release:{token}"], timeout=60)
        report().rpush("test:done", token)


class Boom:
    queue = "default"

    @staticmethod
    def perform(message: str) -> None:
        raise ValueError(message)


class KillsItsProcess:
    """A job that kills the process running it (a segfault would look the same)."""

    queue = "default"

    @staticmethod
    def perform() -> None:
        report().rpush("test:started", f"killer {os.getpid()}")
        os.kill(os.getpid(), signal.SIGKILL)


class Exits:
    queue = "default"

    @staticmethod
    def perform() -> None:
        sys.exit(3)


class Counted(jobs.Job):
    """Sidekiq style: an instance method, enqueued with perform_async."""

    queue = "sidekiq"

    def perform(self, value: int) -> None:
        report().rpush("test:done", f"counted {value * 2}")


def not_a_job() -> None:
    report().rpush("test:done", "not_a_job ran")


class NoPerform:
    queue = "default"
