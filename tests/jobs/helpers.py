"""Helpers for tests that run real worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import redis

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
# Every process a test starts through start_process, so that none outlives its test (see
# stop_leftover_processes, which an autouse fixture in tests/conftest.py calls after each test).
_STARTED: list[tuple[subprocess.Popen[bytes], bool]] = []


def start_process(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen(command, **options)``, stopped after the test even if the test fails
    before it stops the process itself."""
    process: subprocess.Popen[bytes] = subprocess.Popen(command, **options)
    _STARTED.append((process, bool(options.get("start_new_session"))))
    return process


def stop_leftover_processes() -> list[str]:
    """Kill -9 every process started with :func:`start_process` that is still running (its
    whole process group if it has one of its own); returns their command lines."""
    leftovers = []
    while _STARTED:
        process, own_group = _STARTED.pop()
        if process.poll() is None:
            leftovers.append(" ".join(map(str, process.args)))  # type: ignore[arg-type]
            with contextlib.suppress(ProcessLookupError):
                if own_group:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    return leftovers


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` (a WSGI app) served by Werkzeug in a thread on a free loopback port, for a real
    browser or HTTP client; yields its base URL and stops the server afterwards."""
    from werkzeug.serving import make_server

    from jobs.dev.local_redis import free_port

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def wait_for(condition: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


class WorkerProcess:
    """``python -m jobs work`` in a subprocess, with the test's Redis and sample jobs."""

    def __init__(self, redis_url: str, *args: str, env: dict[str, str] | None = None) -> None:
        environment = {
            **os.environ,
            "REDIS_URL": redis_url,
            "JOBS_HEARTBEAT_INTERVAL": "0.1",
            "JOBS_DEAD_AFTER": "5",
            "JOBS_IMPORT": "tests.jobs.sample_jobs",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [sys.executable, "-m", "jobs", "work", *args]
        self.process = start_process(
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.pid = self.process.pid
        self._output: str | None = None

    def wait_registered(self, raw: redis.Redis, count: int = 1) -> list[str]:
        def ids() -> list[str]:
            mine = [w for w in raw.smembers("resque:workers") if f":{self.pid}" in str(w)]
            return mine if len(mine) >= count else []

        return wait_for(ids, what=f"worker {self.pid} to register")

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def wait(self, timeout: float = 15.0) -> int:
        return self.process.wait(timeout)

    def output(self) -> str:
        if self.process.poll() is None:
            self.stop()
        assert self.process.stdout is not None
        if self._output is None:
            self._output = self.process.stdout.read().decode(errors="replace")
        return self._output

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


# What the sample jobs report (see sample_jobs.py), and the failure records, as a test reads them.
def started(raw: redis.Redis) -> list[str]:
    return list(raw.lrange("test:started", 0, -1))


def done(raw: redis.Redis) -> list[str]:
    return list(raw.lrange("test:done", 0, -1))


def release(raw: redis.Redis, token: str) -> None:
    """Let a ``Held`` job with this token finish."""
    raw.rpush(f"test:release:{token}", "go")


def failures(raw: redis.Redis) -> list[dict[str, object]]:
    return [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]
