"""Signals, as Resque defines them, sent to real worker processes — and job timeouts."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import redis

import jobs
from jobs.client import Client
from tests.jobs.helpers import WorkerProcess, done, failures, release, started, wait_for
from tests.jobs.sample_jobs import Held, Record, Stuck


def child_pid(raw: redis.Redis) -> int:
    return int(started(raw)[-1].split()[1])


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_term_or_int_lets_a_job_that_finishes_within_the_grace_period_finish(
    redis_url: str, raw: redis.Redis, client: Client, stop: signal.Signals
) -> None:
    jobs.enqueue(Held, "g")
    worker = WorkerProcess(redis_url, "--queue", "default", "--shutdown-timeout", "30")
    wait_for(lambda: started(raw), what="the job to start")
    worker.signal(stop)
    release(raw, "g")
    assert worker.wait() == 0
    assert done(raw) == ["g"]
    assert raw.llen("resque:queue:default") == 0 and failures(raw) == []


def test_a_second_term_stops_at_once_and_puts_the_job_back(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(Held, "twice")
    worker = WorkerProcess(redis_url, "--queue", "default", "--shutdown-timeout", "600")
    [worker_id] = worker.wait_registered(raw)
    wait_for(lambda: started(raw), what="the job to start")
    worker.signal(signal.SIGTERM)
    # Two signals sent back to back can merge into one; wait until the first was acted on.
    wait_for(
        lambda: "stopping" in raw.smembers(f"resque:jobs:flags:{worker_id}"),
        what="the worker to show it is stopping",
    )
    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0  # not 600 s
    [waiting] = raw.lrange("resque:queue:default", 0, -1)
    assert json.loads(waiting)["id"] == job_id


def test_usr1_kills_the_running_child_and_the_job_becomes_a_failure(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(Held, "u1")
    jobs.enqueue(Record, "next")
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        wait_for(lambda: started(raw), what="the job to start")
        worker.signal(signal.SIGUSR1)
        wait_for(lambda: failures(raw), what="the failure record")
        [record] = failures(raw)
        assert record["id"] == job_id and record["exception"] == "JobKilled"
        assert "USR1" in str(record["error"])
        wait_for(lambda: done(raw) == ["next"], what="the worker to carry on")
        assert raw.llen("resque:queue:default") == 0  # not put back
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()


def test_usr1_is_ignored_in_thread_mode_and_says_why(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Held, "t1")
    worker = WorkerProcess(redis_url, "--queue", "default", "--threads", "2")
    wait_for(lambda: started(raw), what="the job to start")
    worker.signal(signal.SIGUSR1)
    release(raw, "t1")
    wait_for(lambda: done(raw) == ["t1"], what="the job to finish anyway")
    worker.signal(signal.SIGQUIT)
    assert worker.wait() == 0
    assert failures(raw) == []
    assert "USR1 ignored: a thread cannot be killed safely" in worker.output()


def test_usr2_pauses_fetching_and_shows_paused_and_cont_resumes(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        [worker_id] = worker.wait_registered(raw)
        worker.signal(signal.SIGUSR2)
        wait_for(
            lambda: raw.smembers(f"resque:jobs:flags:{worker_id}") == {"paused"},
            what="the paused flag",
        )
        jobs.enqueue(Record, "while paused")
        # Paused: the worker keeps its heartbeat but leaves the job waiting. Wait for two more
        # heartbeats (each a chance to fetch), then check the job is still on its queue.
        beat = raw.zscore("resque:jobs:heartbeats", worker_id) or 0
        wait_for(
            lambda: (raw.zscore("resque:jobs:heartbeats", worker_id) or 0) > beat + 150,
            what="heartbeats while paused",
        )
        assert raw.llen("resque:queue:default") == 1 and done(raw) == []
        worker.signal(signal.SIGCONT)
        wait_for(lambda: done(raw) == ["while paused"], what="the job after CONT")
        assert raw.smembers(f"resque:jobs:flags:{worker_id}") == set()
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()


def test_the_forking_parent_has_no_other_thread_when_it_forks(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    # Forking a process that has other threads can deadlock the child (and Python 3.12 warns).
    jobs.enqueue(Held, "f")
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        wait_for(lambda: started(raw), what="the job to start in a child")
        assert os.listdir(f"/proc/{worker.pid}/task") == [str(worker.pid)]
    finally:
        release(raw, "f")
        worker.signal(signal.SIGQUIT)
        worker.wait()
    assert "multi-threaded" not in worker.output()


# -- timeouts ----------------------------------------------------------------------------------


def test_a_job_past_its_timeout_is_killed_in_fork_mode_and_fails_saying_so(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(Stuck, "slow")
    jobs.enqueue(Record, "after")
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        wait_for(lambda: failures(raw), what="the timeout failure")
        [record] = failures(raw)
        assert record["id"] == job_id and record["exception"] == "JobTimeout"
        assert "ran over its 0.3s timeout" in str(record["error"])
        wait_for(lambda: done(raw) == ["after"], what="the worker to carry on")
        killed = child_pid(raw)
        assert not os.path.exists(f"/proc/{killed}") or _is_zombie(killed)
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()


def test_a_thread_job_past_its_timeout_is_reported_overdue_until_it_ends(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Stuck, "late")
    worker = WorkerProcess(redis_url, "--queue", "default", "--threads", "2")
    try:
        wait_for(lambda: started(raw), what="the job to start")
        started_at = time.monotonic()

        def overdue_workers() -> list[str]:
            return [
                w
                for w in raw.smembers("resque:workers")
                if "overdue" in raw.smembers(f"resque:jobs:flags:{w}")
            ]

        wait_for(overdue_workers, what="an overdue flag")
        assert time.monotonic() - started_at >= 0.25
        release(raw, "late")
        wait_for(lambda: done(raw) == ["late"], what="the job to end")
        wait_for(lambda: not overdue_workers(), what="the flag to clear")
        assert failures(raw) == []  # overdue is reported, not punished
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True
