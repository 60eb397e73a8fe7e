"""``make jobs-demo``: see jobs flow. Starts Redis (the project's own unless ``REDIS_URL`` is
set), two worker processes (``--count 2``) and a stream of demo jobs. The workers log each job
as it starts and ends, and a progress line every two seconds sums up. Ctrl-C stops everything
it started (a Redis that was already running is left running); running jobs get their
``--shutdown-timeout`` to finish, as with ``make worker``.

The demo jobs stand in for the slow work the workshop moves out of web requests.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from types import FrameType

from jobs.client import Client
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from jobs.settings import Settings
from jobs.store import Store, open_store
from jobs.supervisor import start_workers, stop_workers


class Sleeper:
    """The tutorial's first job: pretend to be slow."""

    queue = "sleep"

    @staticmethod
    def perform(seconds: float) -> None:
        time.sleep(seconds)


class FlakyApiCall:
    """A call to a third-party API that sometimes fails, so the demo shows failures too."""

    queue = "demo"

    @staticmethod
    def perform(request_number: int) -> None:
        time.sleep(0.1)
        if request_number % 7 == 0:
            raise TimeoutError(f"the API did not answer request {request_number} in time")


class WordCount:
    """Quick work: count words (the dashboard chapter caches a count like this)."""

    queue = "demo"

    @staticmethod
    def perform(text: str) -> int:
        return len(text.split())


def demo_redis_url(settings: Settings) -> tuple[str, ProjectRedis | None]:
    """The URL a demo uses, and the project Redis if the demo started it (to stop it after)."""
    if settings.redis_url:
        return settings.redis_url, None
    project = ProjectRedis(default_var_dir())
    if project.running_url():
        return project.ensure_running(), None
    return project.ensure_running(), project


SHUTDOWN_TIMEOUT = 10.0
PROGRESS_EVERY = 2.0  # seconds between progress lines


def _start_workers(url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "jobs", "work", "--queue", "sleep,demo", "--count", "2"]
    command += ["--import", "jobs.dev.demo", "--verbose"]
    command += ["--shutdown-timeout", str(SHUTDOWN_TIMEOUT)]
    return start_workers(command, {**os.environ, "REDIS_URL": url})


def _enqueue_one(client: Client, number: int) -> None:
    kind = random.random()
    if kind < 0.5:
        client.enqueue(Sleeper, round(random.uniform(0.2, 1.2), 1))
    elif kind < 0.8:
        client.enqueue(FlakyApiCall, number)
    else:
        client.enqueue(WordCount, "the quick brown fox jumps over the lazy dog " * number)


def status_line(store: Store) -> str:
    queues = {name: store.queues.size(name) for name in store.queues.names()}
    workers = store.workers.ids()
    working = sum(store.workers.working_record(worker) is not None for worker in workers)
    waiting = " ".join(f"{name}={size}" for name, size in queues.items()) or "-"
    return (
        f"waiting: {waiting} | workers: {len(workers)} ({working} busy)"
        f" | processed: {store.stat('processed')} | failed: {store.stat('failed')}"
    )


def _stop_like_ctrl_c(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_demo(rate: float, duration: float | None = None) -> None:
    # Ctrl-C and `kill` both stop the demo cleanly, even if it started with SIGINT ignored (a
    # background job in a script, nohup).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    settings = Settings.from_env()
    url, started_redis = demo_redis_url(settings)
    client = Client(open_store(url, settings.namespace), settings)
    print(f"Redis: {url}  (look inside: make redis-cli, then LRANGE resque:queue:sleep 0 -1)")
    workers = _start_workers(url)
    print("Two workers on queues sleep,demo. Enqueueing demo jobs; Ctrl-C stops everything.\n")
    try:
        _produce(client, rate, duration)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping the workers; running jobs may finish first...", flush=True)
        stop_workers(workers, SHUTDOWN_TIMEOUT)
        print(f"{status_line(client.store)}\nStopped the workers.")
        if started_redis is not None:
            started_redis.stop()
            print(f"Stopped Redis (its data stays in {started_redis.shown_dir()}).")


def _produce(client: Client, rate: float, duration: float | None) -> None:
    # Whole lines, not one line rewritten in place: the workers' log lines come in between.
    started, number, next_job, next_progress = time.monotonic(), 0, 0.0, 0.0
    while duration is None or time.monotonic() - started < duration:
        now = time.monotonic()
        if now >= next_job:
            number += 1
            _enqueue_one(client, number)
            next_job = now + 1.0 / rate
        if now >= next_progress:
            print(status_line(client.store), flush=True)
            next_progress = now + PROGRESS_EVERY
        time.sleep(min(0.5, max(0.0, min(next_job, next_progress) - time.monotonic())))
