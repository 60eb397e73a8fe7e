"""Settling: each way a job can end, and where that leaves it in Redis, whatever ran it."""

from __future__ import annotations

import json

import pytest
import redis

from jobs.fetch import BatchFetcher, Delivery, Fetcher
from jobs.settings import Settings
from jobs.settle import (
    BatchSettler,
    Crashed,
    Done,
    Failed,
    Killed,
    Outcome,
    PutBack,
    RetryLater,
    Settler,
    TimedOut,
    read_report,
    report,
)
from jobs.store import Store

W = "host:1:default"
PAYLOAD = b'{"class":"app.Mail","args":[1],"id":"aaa"}'


def take(store: Store, settings: Settings) -> Delivery:
    store.queues.push("default", [PAYLOAD])
    delivery = Fetcher(store, settings, lambda: ["default"]).fetch(W)
    assert delivery is not None
    return delivery


def failure_records(raw: redis.Redis) -> list[dict[str, object]]:
    return [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]


@pytest.mark.parametrize(
    "outcome",
    [
        Done("app.Mail", 0.25),
        Failed("ValueError", "bad input", ["app.py:1 in perform"], attempts=3, exhausted=True),
        RetryLater(b'{"class":"app.Mail","args":["\xff\xfe"],"retry_count":1}', 30.0),
    ],
)
def test_a_forked_childs_report_reads_back_as_the_outcome_it_reported(outcome: Outcome) -> None:
    assert read_report(report(outcome)) == outcome


def test_a_done_job_is_acknowledged_and_counted(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    Settler(store, settings).settle(take(store, settings), Done("app.Mail", 0.1))

    assert raw.llen(f"resque:jobs:inflight:{W}") == 0
    assert raw.get("resque:stat:processed") == "1"


def test_a_failed_job_leaves_a_record_with_its_error(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    failed = Failed("ValueError", "bad input", ["app.py:1 in perform"], attempts=3)
    Settler(store, settings).settle(take(store, settings), failed)

    [record] = failure_records(raw)
    assert (record["exception"], record["error"], record["attempts"]) == (
        "ValueError",
        "bad input",
        3,
    )
    assert record["backtrace"] == ["app.py:1 in perform"]
    assert raw.llen(f"resque:jobs:inflight:{W}") == 0


def test_a_job_to_retry_waits_in_the_retries_set_as_its_new_payload(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    retried = b'{"class":"app.Mail","args":[1],"id":"aaa","retry_count":1}'
    Settler(store, settings).settle(take(store, settings), RetryLater(retried, 30.0))

    [(member, _)] = raw.zrange("resque:jobs:retries", 0, -1, withscores=True)
    assert json.loads(member) == ["default", retried.decode()]
    assert raw.llen(f"resque:jobs:inflight:{W}") == 0


@pytest.mark.parametrize(
    ("outcome", "exception", "error"),
    [
        (Killed(), "JobKilled", "the job its process was killed by USR1 (kill the running job)"),
        (TimedOut("ran over its 2s timeout"), "JobTimeout", "the job ran over its 2s timeout"),
    ],
)
def test_a_job_killed_or_timed_out_becomes_a_failure_record(
    store: Store,
    settings: Settings,
    raw: redis.Redis,
    outcome: Outcome,
    exception: str,
    error: str,
) -> None:
    Settler(store, settings).settle(take(store, settings), outcome)

    [record] = failure_records(raw)
    assert (record["exception"], record["error"]) == (exception, error)


@pytest.mark.parametrize("outcome", [Crashed("killed by signal SIGKILL"), PutBack()])
def test_a_crashed_or_interrupted_job_goes_back_on_its_queue(
    store: Store, settings: Settings, raw: redis.Redis, outcome: Outcome
) -> None:
    Settler(store, settings).settle(take(store, settings), outcome)

    assert raw.lrange("resque:queue:default", 0, -1) == [PAYLOAD.decode()]
    assert raw.llen(f"resque:jobs:inflight:{W}") == 0
    assert failure_records(raw) == []


def test_a_crash_counts_towards_the_crash_limit_and_putting_back_does_not(
    redis_url: str, store: Store, raw: redis.Redis
) -> None:
    settings = Settings(redis_url=redis_url, crash_limit=1)
    settler = Settler(store, settings)
    settler.settle(take(store, settings), PutBack())
    raw.delete("resque:queue:default")

    settler.settle(take(store, settings), Crashed("exited with status 1"))

    [record] = failure_records(raw)
    assert record["exception"] == "WorkerDied"
    assert record["error"].endswith("(the last time: exited with status 1)")


def test_a_threads_done_job_is_acknowledged_with_its_next_round_trip(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    fetcher = BatchFetcher(store, settings, W, lambda: ["default"])
    delivery = take(store, settings)
    fetcher.begin(delivery)

    BatchSettler(store, settings, fetcher).settle(delivery, Done("app.Mail", 0.1))

    assert raw.llen(f"resque:jobs:inflight:{W}") == 1  # not yet: no round trip so far
    assert fetcher.next() is None  # the round trip: acknowledges it, finds no next job
    assert raw.llen(f"resque:jobs:inflight:{W}") == 0
    assert raw.get("resque:stat:processed") == "1"
