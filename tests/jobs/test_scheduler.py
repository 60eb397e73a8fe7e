"""The scheduler loop under pressure: loops racing over the same due jobs, a loop killed
mid-run, the standalone process, and the loop inside workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from jobs.client import Client
from jobs.dev.local_redis import PrivateRedis
from jobs.payload import encode
from jobs.schedule import Schedule
from jobs.scheduler import Scheduler
from jobs.settings import Settings
from jobs.store import Store
from jobs.store.delayed import make_entry
from tests.jobs.helpers import ROOT, WorkerProcess, done, start_process, wait_for
from tests.jobs.sample_jobs import Record

IMPORTS = {"JOBS_IMPORT": "tests.jobs.sample_jobs,tests.jobs.retry_jobs"}


class SchedulerProcess:
    """``python -m jobs scheduler`` in a subprocess."""

    def __init__(self, redis_url: str, *args: str) -> None:
        environment = {**os.environ, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1", **IMPORTS}
        self.process = start_process(
            [sys.executable, "-m", "jobs", "scheduler", *args],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def due_ids(raw: redis.Redis, payloads: list[bytes], due_ms: int, queue: str = "default") -> None:
    """Put ``payloads`` straight into the scheduled set, all due at ``due_ms``."""
    members = {make_entry(queue, payload): due_ms for payload in payloads}
    raw.zadd("resque:jobs:scheduled", members)  # type: ignore[arg-type]


def queued_ids(client: Client, queue: str = "default") -> list[str]:
    return [job["id"] for job in client.peek(queue, 0, 1_000_000)]


def make_payloads(count: int) -> tuple[list[str], list[bytes]]:
    made = [encode("tests.jobs.sample_jobs.Record", [n], 10_000) for n in range(count)]
    return [job_id for job_id, _ in made], [payload for _, payload in made]


def test_two_loops_racing_over_1000_due_jobs_enqueue_each_exactly_once(
    client: Client, settings: Settings, raw: redis.Redis, redis_url: str
) -> None:
    ids, payloads = make_payloads(1000)
    now = client.store.clock.now_ms()
    due_ids(raw, payloads, now - 1000)
    # Each loop has its own connection; small batches make them interleave many times.
    loops = [
        Scheduler(Store(redis_url), settings, Schedule(), clock=lambda: now / 1000, batch=10)
        for _ in range(2)
    ]
    start = threading.Barrier(len(loops))

    def run(loop: Scheduler) -> None:
        start.wait()
        loop.tick()

    threads = [threading.Thread(target=run, args=(loop,)) for loop in loops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    queued = queued_ids(client)
    assert len(queued) == 1000 and set(queued) == set(ids)
    assert raw.zcard("resque:jobs:scheduled") == 0


def test_two_scheduler_processes_enqueue_each_job_once(
    client: Client, raw: redis.Redis, redis_url: str
) -> None:
    ids, payloads = make_payloads(1000)
    due_ids(raw, payloads, client.store.clock.now_ms() + 300)  # both are up when they fall due
    schedulers = [SchedulerProcess(redis_url) for _ in range(2)]
    try:
        wait_for(lambda: raw.zcard("resque:jobs:scheduled") == 0, what="every job to move")
    finally:
        for process in schedulers:
            process.kill()

    queued = queued_ids(client)
    assert len(queued) == 1000 and set(queued) == set(ids)


def test_kill_9_of_a_scheduler_mid_run_loses_nothing(
    client: Client, raw: redis.Redis, redis_url: str
) -> None:
    count = 20_000
    ids, payloads = make_payloads(count)
    due_ids(raw, payloads, client.store.clock.now_ms() - 1)
    first = SchedulerProcess(redis_url)
    try:
        wait_for(lambda: raw.llen("resque:queue:default") > 0, what="the scheduler to start")
    finally:
        first.kill()

    moved, waiting = raw.llen("resque:queue:default"), raw.zcard("resque:jobs:scheduled")
    assert 0 < moved < count, "the kill did not land mid-run"
    assert moved + waiting == count  # every job in exactly one place

    second = SchedulerProcess(redis_url)
    try:
        wait_for(lambda: raw.zcard("resque:jobs:scheduled") == 0, what="the rest to move")
    finally:
        second.kill()
    queued = queued_ids(client)
    assert len(queued) == count and set(queued) == set(ids)


def test_the_scheduler_process_stops_on_term(redis_url: str, raw: redis.Redis) -> None:
    process = SchedulerProcess(redis_url, "--verbose")
    wait_for(
        lambda: raw.pubsub_numsub("resque:jobs:scheduler:wakeup")[0][1] == 1,
        what="the scheduler to listen",
    )

    process.process.send_signal(signal.SIGTERM)

    assert process.process.wait(10) == 0
    assert process.process.stdout is not None
    assert "scheduler stopped" in process.process.stdout.read().decode()


def test_the_scheduler_process_needs_to_know_the_job_modules(redis_url: str) -> None:
    environment = {**os.environ, "REDIS_URL": redis_url, "JOBS_IMPORT": ""}
    result = subprocess.run(
        [sys.executable, "-m", "jobs", "scheduler"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2 and "--import" in result.stderr


# -- inside workers -------------------------------------------------------------------------------
def test_an_idle_worker_wakes_early_for_a_job_scheduled_sooner(
    client: Client, redis_url: str, raw: redis.Redis
) -> None:
    # With nothing due, the loop sleeps up to a second; a sooner job must cut that short.
    # Measured against a worker whose scheduler would otherwise sleep the full second.
    worker = WorkerProcess(redis_url, env=IMPORTS)
    try:
        worker.wait_registered(raw)
        wait_for(
            lambda: raw.pubsub_numsub("resque:jobs:scheduler:wakeup")[0][1] == 1,
            what="the worker to listen for the scheduler",
        )
        lateness = []
        for n in range(5):
            due = time.time() + 0.15
            client.enqueue_at(due, Record, n)
            wait_for(lambda n=n: len(done(raw)) > n, what=f"job {n}")  # type: ignore[misc]
            lateness.append(time.time() - due)
    finally:
        worker.stop()

    assert done(raw) == ["0", "1", "2", "3", "4"]
    assert max(lateness) < 0.5, lateness


def test_workers_with_jobs_scheduler_0_leave_delayed_jobs_alone(
    client: Client, redis_url: str, raw: redis.Redis
) -> None:
    worker = WorkerProcess(redis_url, env={**IMPORTS, "JOBS_SCHEDULER": "0"})
    try:
        worker.wait_registered(raw)
        client.enqueue_at(time.time() - 1, Record, "due, but enqueued at once")
        _, payload = encode("tests.jobs.sample_jobs.Record", ["waits"], 10_000)
        due_ids(raw, [payload], client.store.clock.now_ms() - 1)
        client.enqueue(Record, "after")
        wait_for(lambda: len(done(raw)) == 2, what="the two queued jobs")
    finally:
        worker.stop()

    assert raw.zcard("resque:jobs:scheduled") == 1
    assert raw.pubsub_numsub("resque:jobs:scheduler:wakeup")[0][1] == 0


def test_the_fork_mode_parent_stays_single_threaded_with_the_scheduler(
    client: Client, redis_url: str, raw: redis.Redis
) -> None:
    worker = WorkerProcess(redis_url, env=IMPORTS)
    try:
        worker.wait_registered(raw)
        client.enqueue_in(0.1, Record, "x")
        wait_for(lambda: done(raw), what="the delayed job")
        threads = os.listdir(f"/proc/{worker.pid}/task")
    finally:
        worker.stop()

    assert len(threads) == 1


@pytest.mark.parametrize("text", ["[bad", "not toml = = ="])
def test_a_bad_schedule_file_stops_the_scheduler_with_a_message(
    redis_url: str, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(text)
    environment = {**os.environ, "REDIS_URL": redis_url, **IMPORTS}
    result = subprocess.run(
        [sys.executable, "-m", "jobs", "scheduler", "--schedule", str(path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1 and "cannot read the schedule file" in result.stderr


def test_the_scheduler_process_carries_on_after_a_redis_restart(tmp_path: Path) -> None:
    with PrivateRedis(tmp_path, appendonly=True) as server:
        raw = redis.Redis.from_url(server.url, decode_responses=True)
        process = SchedulerProcess(server.url)
        try:
            listening = lambda: raw.pubsub_numsub("resque:jobs:scheduler:wakeup")[0][1] == 1  # noqa: E731
            wait_for(listening, what="the scheduler to listen")
            server.restart()
            client = Client(Store(server.url), Settings(redis_url=server.url))
            client.enqueue_in(0.2, Record, "after the restart")
            wait_for(lambda: client.size("default") == 1, what="the job to move after a restart")
            wait_for(listening, what="the scheduler to listen again")
        finally:
            process.kill()
