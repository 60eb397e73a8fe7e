"""The job classes the notebooks' workers run (``--import notebooks.lab_jobs``).

Each one stands for a kind of work the workshop talks about. They touch no Redis themselves:
those that report what happened append one JSON line to a file the notebook names, which
works the same from a forked child, a thread or another process.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import requests


def _note(log: str, **fields: Any) -> None:
    """Append one line of JSON to ``log``: small appends to a file opened for appending do
    not interleave, even from many processes at once."""
    line = json.dumps({"pid": os.getpid(), "ppid": os.getppid(), **fields}) + "\n"
    with Path(log).open("a") as file:
        file.write(line)


class Nap:
    """Slow work that only waits (a stand-in for a request to another server)."""

    queue = "lab"

    @staticmethod
    def perform(seconds: float) -> None:
        time.sleep(seconds)


class Broken:
    """A job that always fails, to see a failure record."""

    queue = "lab"

    @staticmethod
    def perform(reason: str) -> None:
        raise ValueError(reason)


class Timed:
    """Waits ``seconds`` and notes which process (and thread) ran it, and when."""

    queue = "lab"

    @staticmethod
    def perform(number: int, seconds: float, log: str) -> None:
        started = time.time()
        time.sleep(seconds)
        thread = threading.current_thread().name
        _note(log, number=number, thread=thread, started=started, ended=time.time())


class WaitsForIo:
    """I/O-bound: the job spends its time waiting, as it would on a network call."""

    queue = "io"

    @staticmethod
    def perform(milliseconds: float) -> None:
        time.sleep(milliseconds / 1000)


class Computes:
    """CPU-bound: pure Python arithmetic, which holds the GIL the whole time."""

    queue = "cpu"

    @staticmethod
    def perform(loops: int) -> int:
        total = 0
        for number in range(loops):
            total += number * number % 7
        return total


class CallsFlakyApi:
    """Calls a third-party API that sometimes fails; retried 5 times, 50 ms apart (a short
    policy, so the notebook needs no patience)."""

    queue = "api"
    retry = 5
    retry_in = staticmethod(lambda count, error: 0.05)

    @staticmethod
    def perform(number: int, url: str, log: str) -> None:
        response = requests.post(f"{url}/v1/score", json={"text": "hello"}, timeout=5)
        _note(log, number=number, ok=response.ok)
        response.raise_for_status()


class CallsFlakyApiOnce(CallsFlakyApi):
    """The same call without retries: one failure and the job is failed."""

    retry = 0
