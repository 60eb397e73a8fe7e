"""Job classes the worker tests enqueue. Workers import this module (``--import``).

They report what they do through Redis lists under ``test:`` so the test process can wait for
exactly that, instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis

import jobs

_connections: dict[tuple[int, str], redis.Redis] = {}


def own_connection(url: str) -> redis.Redis:
    """A connection of this process's own (forked children must not share their parent's)."""
    key = (os.getpid(), url)
    if key not in _connections:
        _connections[key] = redis.Redis.from_url(url)
    return _connections[key]


def report() -> redis.Redis:
    return own_connection(os.environ["REDIS_URL"])


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


class ExitsItsProcess:
    """A job that ends the process running it at once, with status 1 (no cleanup, no report)."""

    queue = "default"

    @staticmethod
    def perform() -> None:
        report().rpush("test:started", f"exiter {os.getpid()}")
        os._exit(1)


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


class Stuck:
    """Runs until released, but allows itself only 0.3 s (``timeout``)."""

    queue = "default"
    timeout = 0.3

    @staticmethod
    def perform(token: str) -> None:
        report().rpush("test:started", f"{token} {os.getpid()}")
        report().blpop([f"test:release:{token}"], timeout=60)
        report().rpush("test:done", token)


def _until_redis_answers(action: Any) -> Any:
    """Retry a test job's own Redis write across a Redis restart (deadline 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return action()
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Tracked:
    """Records that job ``n`` ran, and whether another copy of it was running at the same
    time (which must never happen: a job is only put back once its worker is gone)."""

    queue = "default"

    @staticmethod
    def perform(n: int) -> None:
        connection, me = report(), f"{os.getpid()}-{uuid.uuid4().hex}"
        # A write can succeed with its reply lost to the restart; the retry then finds our own
        # mark, which is not another copy running.
        _until_redis_answers(lambda: connection.set(f"test:running:{n}", me, nx=True))
        if _until_redis_answers(lambda: connection.get(f"test:running:{n}")) != me.encode():
            _until_redis_answers(lambda: connection.rpush("test:overlap", n))
        time.sleep(0.002)  # a little work, so that a restart catches jobs mid-run
        _until_redis_answers(lambda: connection.delete(f"test:running:{n}"))
        _until_redis_answers(lambda: connection.sadd("test:done", n))


class HeldByFile:
    """Like Held, but waits for a file to appear instead of waiting on Redis, so it runs on
    undisturbed through a Redis outage."""

    queue = "default"

    @staticmethod
    def perform(token: str, release_file: str) -> None:
        report().rpush("test:started", f"{token} {os.getpid()}")
        deadline = time.monotonic() + 60
        while not os.path.exists(release_file) and time.monotonic() < deadline:
            time.sleep(0.01)
        _until_redis_answers(lambda: report().rpush("test:done", token))


class WithoutRedis:
    """Touches only files: notes that it started, waits for a release file, notes that it
    finished. So it can run to its end while Redis is away."""

    queue = "default"

    @staticmethod
    def perform(directory: str) -> None:
        folder = Path(directory)
        with (folder / "started").open("a") as started:
            started.write(f"{os.getpid()}\n")
        deadline = time.monotonic() + 60
        while not (folder / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        with (folder / "finished").open("a") as finished:
            finished.write(f"{os.getpid()}\n")


class UniqueHeld(Held):
    """A ``Held`` job that is unique: at most one copy with the same token waits at a time."""

    unique = True
