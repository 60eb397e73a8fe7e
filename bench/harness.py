"""The harness: one private Redis for the whole run, and worker processes that never outlive it.

* :class:`Bench` starts a throwaway ``redis-server`` on a free port (never the system's 6379),
  sets ``REDIS_URL`` for everything started after it, and empties Redis between runs.
* :class:`Workers` starts worker processes, each in a process group of its own (so a forked
  child, RQ's work horse or ours, is stopped with its parent), and stops them all: TERM, then
  KILL after a grace period. It stops them in ``finally`` blocks, at interpreter exit (atexit),
  and on SIGTERM/SIGINT; and on Linux a worker is sent TERM if the harness itself is killed.
  So a benchmark never leaves a process behind.
* :func:`run_client` runs a system's client program (its enqueue side) to the end, and reads the
  seconds its calls took.
* :func:`wait_until` polls with a deadline, so a stuck worker fails the run instead of hanging.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

import redis

from jobs.dev.local_redis import PrivateRedis
from jobs.runners import signal_when_parent_dies

REPO = Path(__file__).resolve().parent.parent
STOP_GRACE = 5.0  # seconds a worker gets to exit after TERM before it is killed
POLL = 0.001  # seconds between looks at the counter: short, so timings are not rounded up


class BenchTimeout(RuntimeError):
    """Something the benchmark waited for did not happen before its deadline."""


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every millisecond until it holds; raise BenchTimeout after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchTimeout(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL)


class Bench:
    """The private Redis every system shares, and the environment workers are started with."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-")
        self.server = PrivateRedis(Path(self._tmp.name))
        self.redis: redis.Redis

    def __enter__(self) -> Self:
        self.server.start()
        os.environ["REDIS_URL"] = self.server.url  # read by the job modules and the workers
        self.redis = redis.Redis.from_url(self.server.url)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.redis.close()
        self.server.stop()
        self._tmp.cleanup()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def redis_pid(self) -> int:
        assert self.server.pid is not None
        return self.server.pid

    def flush(self) -> None:
        """Empty Redis: every run starts from nothing."""
        self.redis.flushall()

    def environment(self) -> dict[str, str]:
        """The environment of a worker: this Redis, and ``bench`` importable from the repo."""
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
        return {**os.environ, "REDIS_URL": self.url, "PYTHONPATH": path}


@dataclass(frozen=True)
class ClientRun:
    """What a client program reported: the time its enqueue calls took, and its CPU."""

    seconds: float
    cpu_seconds: float


def run_client(bench: Bench, command: list[str], timeout: float) -> ClientRun:
    """Run a client program (:mod:`bench.enqueuer` or its Ruby twin) to the end, and read
    what it reported."""
    reported = run_json(bench, command, timeout)
    return ClientRun(float(reported["seconds"]), float(reported["cpu_seconds"]))


def run_json(bench: Bench, command: list[str], timeout: float) -> dict[str, Any]:
    """Run a program that ends by printing one JSON object, with the workers' environment."""
    done = subprocess.run(
        command,
        cwd=REPO,
        env=bench.environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_die_with_harness,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    reported: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return reported


class Workers:
    """Worker processes of one run. Use as a context manager: they are stopped on exit."""

    def __init__(self, bench: Bench) -> None:
        self._bench = bench
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, command: list[str], cpu: int | None = None) -> subprocess.Popen[bytes]:
        """Start one worker; with ``cpu``, its threads may only run on that CPU."""
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self._bench.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own process group: its forked children go with it
                preexec_fn=_die_with_harness,
            )
        self.processes.append(process)
        _running.add(self)
        if cpu is not None:
            # Popen returns once the interpreter is exec'd, before it starts any thread; the
            # threads it starts later inherit this.
            os.sched_setaffinity(process.pid, {cpu})
        return process

    @property
    def log(self) -> Path:
        """Where the workers' output goes (shown if one of them dies)."""
        return self._bench.server.data_dir / "workers.log"

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def check_alive(self) -> None:
        """Raise if a worker exited on its own (a crash would otherwise look like a hang)."""
        for process in self.processes:
            if process.poll() is not None:
                tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
                raise RuntimeError(f"worker {process.args} exited ({process.returncode}):\n{tail}")

    def stop(self) -> None:
        """TERM every worker's process group; KILL what is still there after the grace."""
        for process in self.processes:
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            _signal_group(process.pid, signal.SIGKILL)  # leftovers: a stuck child, say
            process.wait()
        self.processes.clear()
        _running.discard(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _die_with_harness() -> None:
    """In a new worker, before it runs: be sent TERM if the harness dies, even by ``kill -9``
    (Linux; elsewhere the atexit and signal handlers below are all there is)."""
    signal_when_parent_dies(signal.SIGTERM)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(pgid, signum)


_running: set[Workers] = set()


@atexit.register
def _stop_all_workers() -> None:
    for workers in list(_running):
        workers.stop()


def stop_on_signals() -> None:
    """Turn SIGTERM into an exception, so ``finally`` blocks and atexit stop every process."""

    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
