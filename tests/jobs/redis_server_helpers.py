"""Helpers for the tests of the Redis servers we start (jobs.dev.local_redis and project_redis)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import redis

DEADLINE = 10.0  # seconds


def wait_for(condition: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    """Poll ``condition`` until it holds or the deadline passes; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def process_gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (an unreaped zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=DEADLINE)
