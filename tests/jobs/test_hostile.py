"""Hostile payloads and honest crash verdicts, with real worker processes: a payload no one
can read, or too big, or nested too deep, becomes a small failure record in every mode and
the worker goes on; a job is counted as having killed its worker only when it was running."""

from __future__ import annotations

import json
import socket
import time

import pytest
import redis

import jobs
from jobs.arguments import MAX_NESTING, JobArgumentError
from jobs.client import Client
from jobs.failures import RAW_KEPT
from tests.jobs.helpers import WorkerProcess, done, failures, release, started, wait_for
from tests.jobs.sample_jobs import Boom, ExitsItsProcess, Held, KillsItsProcess, Record

MODES = {
    "fork per job": [],
    "threads": ["--threads", "3"],
    "no fork": ["--threads", "1", "--no-fork"],
}
RECORD_LIMIT = RAW_KEPT + 2000  # a cut payload plus the record's other fields


def nested_payload(depth: int) -> bytes:
    """A Record job whose one argument nests ``depth`` lists deep, as pushed by anyone."""
    start = b'{"class":"tests.jobs.sample_jobs.Record","args":['
    return start + b"[" * depth + b"]" * depth + b"]}"


def push_raw(raw: redis.Redis, queue: str, payload: bytes) -> None:
    raw.sadd("resque:queues", queue)
    raw.rpush(f"resque:queue:{queue}", payload)


@pytest.mark.parametrize("mode", MODES)
def test_payloads_nested_too_deep_fail_small_and_the_worker_goes_on(
    mode: str, redis_url: str, raw: redis.Redis, client: Client
) -> None:
    for depth in (100_000, 990, MAX_NESTING + 1):  # beyond the parser; within it; just over
        push_raw(raw, "default", nested_payload(depth))
    jobs.enqueue(Record, "after")
    worker = WorkerProcess(redis_url, "--queue", "default", "--interval", "0", *MODES[mode])
    assert worker.wait() == 0, worker.output()
    assert done(raw) == ["after"]
    records = raw.lrange("resque:failed", 0, -1)
    assert len(records) == 3
    assert all(len(record) < RECORD_LIMIT for record in records)
    assert [json.loads(record)["exception"] for record in records] == ["PayloadError"] * 3


def test_enqueue_refuses_arguments_nested_too_deep_with_the_argument_error(
    client: Client, raw: redis.Redis
) -> None:
    deep: list[object] = []
    for _ in range(990):
        deep = [deep]
    with pytest.raises(JobArgumentError, match=r"argument 1 of tests\.jobs\.sample_jobs\.Boom"):
        client.enqueue_to("bad", Boom, deep)
    assert raw.llen("resque:queue:bad") == 0


def test_a_worker_recovering_a_dead_workers_hostile_payload_lives_and_fails_it_small(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    # A dead worker (no such process on this host) died holding the hostile payload.
    dead = f"{socket.gethostname()}:999999999:bad"
    entry = json.dumps(["bad", nested_payload(100_000).decode()])
    raw.rpush(f"resque:jobs:inflight:{dead}", entry)
    raw.sadd("resque:workers", dead)
    raw.zadd("resque:jobs:heartbeats", {dead: int(time.time() * 1000)})
    worker = WorkerProcess(redis_url, "--queue", "other", env={"JOBS_CRASH_LIMIT": "1"})
    try:
        worker.wait_registered(raw)
        wait_for(lambda: raw.llen("resque:failed") == 1, what="the dead worker's job in failed")
        [record] = raw.lrange("resque:failed", 0, -1)
        assert len(record) < RECORD_LIMIT and json.loads(record)["exception"] == "WorkerDied"
        client.enqueue_to("other", Record, "still working")
        wait_for(lambda: done(raw) == ["still working"], what="the worker to go on working")
    finally:
        worker.stop()


# -- JOBS_MAX_PAYLOAD_BYTES, where a worker takes a job -----------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_a_raw_10_mb_job_fails_with_a_clear_error_and_a_small_record_and_never_runs(
    mode: str, redis_url: str, raw: redis.Redis, client: Client
) -> None:
    huge = json.dumps({"class": "tests.jobs.sample_jobs.Record", "args": ["x" * 10_000_000]})
    push_raw(raw, "default", huge.encode())
    jobs.enqueue(Record, "after")
    worker = WorkerProcess(redis_url, "--queue", "default", "--interval", "0", *MODES[mode])
    assert worker.wait() == 0, worker.output()
    assert done(raw) == ["after"]  # the huge one never ran
    [stored] = raw.lrange("resque:failed", 0, -1)
    assert len(stored) < RECORD_LIMIT
    record = json.loads(stored)
    assert record["exception"] == "PayloadTooLarge"
    assert f"is {len(huge)} bytes, over the 524288-byte limit" in record["error"]
    assert "JOBS_MAX_PAYLOAD_BYTES" in record["error"]


# -- why the worker died --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("job", "cause"),
    [(KillsItsProcess, "killed by signal SIGKILL"), (ExitsItsProcess, "exited with status 1")],
)
def test_a_worker_died_record_says_how_the_process_died(
    job: type, cause: str, redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(job)
    worker = WorkerProcess(redis_url, "--queue", "default", env={"JOBS_CRASH_LIMIT": "2"})
    try:
        wait_for(lambda: failures(raw), what="the job to be failed")
    finally:
        worker.stop()
    [record] = failures(raw)
    assert record["exception"] == "WorkerDied"
    assert str(record["error"]).endswith(f"(the last time: {cause})")


# -- no false WorkerDied ------------------------------------------------------------------------
def test_kill_9s_of_workers_holding_batches_count_only_the_job_that_was_running(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    """Three workers in turn take a batch: a quick job done but not acknowledged, a slow job
    running, quick jobs not started; each is killed with kill -9 while the slow job runs. Only
    the slow job was running at each death: nothing else may end as WorkerDied."""
    jobs.enqueue(Record, "warm-up")  # taken alone; the batch comes next
    jobs.enqueue(Record, "a")
    jobs.enqueue(Held, "slow")
    jobs.enqueue(Record, "b")
    jobs.enqueue(Record, "c")
    batches = {"JOBS_BATCH_SIZE": "4", "JOBS_CRASH_LIMIT": "3", "JOBS_HEARTBEAT_INTERVAL": "0.3"}
    for deaths in range(1, 4):
        victim = WorkerProcess(
            redis_url, "--queue", "default", "--threads", "1", "--no-fork", env=batches
        )
        wait_for(lambda: len(started(raw)) == deaths, what="the slow job to start")  # noqa: B023
        if deaths == 1:
            assert "a" in done(raw)  # finished, not yet acknowledged: its batch is still out
        victim.stop()  # kill -9
    release(raw, "slow")
    rescuer = WorkerProcess(redis_url, "--queue", "default", env=batches)
    try:
        wait_for(
            lambda: {"warm-up", "a", "b", "c", "slow"} <= set(done(raw)),
            timeout=20,
            what="every job to be done",
        )
    finally:
        rescuer.stop()
    assert failures(raw) == []


def test_a_hostile_member_of_the_scheduled_set_leaves_the_worker_running_the_scheduler(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    raw.zadd("resque:jobs:scheduled", {b"[" * 100_000 + b"]" * 100_000: 0})
    raw.zadd("resque:jobs:scheduled", {b'{"a": 1, "b": 2}': 0})
    client.enqueue_in(0.2, Record, "scheduled")  # a real one, due after them
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        wait_for(lambda: done(raw) == ["scheduled"], what="the scheduled job to run")
        assert worker.process.poll() is None, worker.output()
    finally:
        worker.stop()
