"""Resque can read what we write, and we can run what Resque writes.

``resque_reader.rb`` reads our Redis with the reads Resque 3's code and web UI make, using Ruby's
own JSON and time parsers; these tests check that it gets back what we put in. Needs Ruby and its
Redis client (Debian: ``apt-get install ruby ruby-redis``); CI installs them.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

import jobs
from jobs.client import Client
from tests.jobs.helpers import WorkerProcess, wait_for
from tests.jobs.sample_jobs import Boom, Held, Record

READER = Path(__file__).with_name("resque_reader.rb")


def _ruby_with_redis() -> bool:
    if shutil.which("ruby") is None:
        return False
    return subprocess.run(["ruby", "-e", "require 'redis'"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(
    not _ruby_with_redis(),
    reason="needs Ruby and its Redis client: apt-get install ruby ruby-redis (CI installs them)",
)


def ruby(*args: str) -> str:
    result = subprocess.run(
        ["ruby", str(READER), *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def read_as_resque(redis_url: str) -> dict[str, Any]:
    return json.loads(ruby("read", redis_url))  # type: ignore[no-any-return]


def recent(text: str) -> bool:
    return abs(datetime.fromisoformat(text) - datetime.now(UTC)) < timedelta(minutes=1)


def test_resque_reads_queues_workers_working_records_and_failures(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Boom, "it broke")
    failing = WorkerProcess(redis_url, "--queue", "default", "--interval", "0")
    assert failing.wait() == 0, failing.output()
    jobs.enqueue(Held, "busy")
    client.enqueue_to("other", Record, "waiting", 2)
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        [worker_id] = worker.wait_registered(raw)
        wait_for(lambda: raw.llen("test:started"), what="the job to start")
        seen = read_as_resque(redis_url)
    finally:
        raw.rpush("test:release:busy", "go")
        worker.signal(signal.SIGQUIT)
        worker.wait()

    assert seen["queues"] == ["default", "other"]
    assert seen["info"] == {"pending": 1, "processed": 1, "failed": 1}
    assert seen["waiting"]["other"] == [
        {"class": "tests.jobs.sample_jobs.Record", "args": ["waiting", 2]}
    ]
    [resque_worker] = seen["workers"]
    assert resque_worker["id"] == worker_id and seen["working"] == [worker_id]
    assert resque_worker["host"] == socket.gethostname() and resque_worker["pid"] == worker.pid
    assert resque_worker["queues"] == ["default"] and resque_worker["state"] == "working"
    assert resque_worker["job_queue"] == "default"
    assert resque_worker["job_class"] == "tests.jobs.sample_jobs.Held"
    assert resque_worker["job_args"] == ["busy"]
    for moment in ("run_at", "started", "heartbeat"):
        assert recent(resque_worker[moment]), (moment, resque_worker[moment])
    [failure] = seen["failures"]
    assert failure["class"] == "tests.jobs.sample_jobs.Boom" and failure["args"] == ["it broke"]
    assert failure["exception"] == "ValueError" and failure["error"] == "it broke"
    assert failure["queue"] == "default" and recent(failure["failed_at"])
    assert failure["worker_host_pid"] == [socket.gethostname(), str(failing.pid)]
    assert "sample_jobs.py" in failure["backtrace"]


def test_thread_workers_each_read_as_a_resque_worker_of_that_process(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    worker = WorkerProcess(redis_url, "--queue", "high,low", "--threads", "2")
    try:
        worker.wait_registered(raw, count=2)
        seen = read_as_resque(redis_url)
    finally:
        worker.signal(signal.SIGTERM)
        worker.wait()
    assert sorted(w["pid"] for w in seen["workers"]) == [worker.pid, worker.pid]
    assert all(w["queues"] == ["high", "low"] and w["state"] == "idle" for w in seen["workers"])


def test_a_job_enqueued_the_resque_way_runs_on_our_worker(redis_url: str, raw: redis.Redis) -> None:
    ruby("enqueue", redis_url, "default", "tests.jobs.sample_jobs.Record", '["from ruby", 1]')
    worker = WorkerProcess(redis_url, "--queue", "default", "--interval", "0")
    assert worker.wait() == 0, worker.output()
    assert raw.lrange("test:done", 0, -1) == ["from ruby 1"]
