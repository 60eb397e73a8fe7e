"""Automatic retries: the policy on its own (no Redis), then retries through the processor
and real workers against a real Redis."""

from __future__ import annotations

import json
import random

import pytest
import redis

import jobs
from jobs.client import Client
from jobs.failures import Failures
from jobs.retries import (
    DEFAULT_RETRIES,
    GiveUp,
    Retry,
    RetryAt,
    backoff,
    decide,
)
from jobs.scheduler import Scheduler
from jobs.testing import drain
from tests.jobs.helpers import WorkerProcess, done, failures, wait_for
from tests.jobs.retry_jobs import (
    AlwaysFails,
    AsksToRetry,
    DefaultBackoff,
    Flaky,
    NoRetries,
    OnlyConnectionErrors,
)
from tests.jobs.sample_jobs import Boom

MODULES = ["tests.jobs.sample_jobs", "tests.jobs.retry_jobs"]
IMPORTS = {"JOBS_IMPORT": ",".join(MODULES)}


@pytest.fixture(autouse=True)
def _jobs_report_to_the_test_redis(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)  # the sample jobs write where the test reads


class Clock:
    """Time that only moves when the test says so (Unix seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- the policy, a pure function ------------------------------------------------------------------
@pytest.mark.parametrize("count", range(8))
def test_backoff_is_count_to_the_fourth_plus_15_plus_jitter(count: int) -> None:
    low, jitter = count**4 + 15, 10 * (count + 1)
    rng = random.Random(count)

    delays = [backoff(count, rng) for _ in range(500)]

    assert all(low <= delay < low + jitter for delay in delays)
    assert max(delays) - min(delays) > jitter / 2  # spread out, not one fixed value


def test_backoff_grows_so_25_retries_span_weeks_not_minutes() -> None:
    lowest = sum(count**4 + 15 for count in range(DEFAULT_RETRIES))

    assert 19 < lowest / 86400 < 21  # days


def test_job_subclasses_retry_25_times_by_default() -> None:
    error = TimeoutError("slow")

    first = decide(DefaultBackoff, error, 0)
    assert isinstance(first, RetryAt) and first.count == 1 and 15 <= first.in_seconds < 25
    assert isinstance(decide(DefaultBackoff, error, 24), RetryAt)
    assert decide(DefaultBackoff, error, 25) == GiveUp(attempts=26, exhausted=True)


def test_resque_style_classes_do_not_retry_unless_they_say_so() -> None:
    assert decide(Boom, ValueError("x"), 0) == GiveUp(attempts=1, exhausted=False)


def test_retry_false_turns_retries_off() -> None:
    assert decide(NoRetries, ValueError("x"), 0) == GiveUp(attempts=1, exhausted=False)


def test_the_class_sets_the_number_of_retries_and_the_delay() -> None:
    error = ConnectionError("down")

    assert decide(Flaky, error, 0) == RetryAt(0.1, 1)
    assert decide(Flaky, error, 3) == RetryAt(0.8, 4)
    assert decide(Flaky, error, 5) == GiveUp(attempts=6, exhausted=True)


def test_retry_on_limits_which_errors_retry() -> None:
    assert isinstance(decide(OnlyConnectionErrors, ConnectionError("x"), 0), RetryAt)
    assert decide(OnlyConnectionErrors, ValueError("x"), 0) == GiveUp(1, exhausted=False)


def test_system_exit_never_retries() -> None:
    assert decide(DefaultBackoff, SystemExit(3), 0) == GiveUp(1, exhausted=False)


def test_raising_retry_asks_for_that_delay_even_where_retries_are_off() -> None:
    assert decide(AsksToRetry, Retry(in_seconds=30), 0) == RetryAt(30.0, 1)
    assert decide(NoRetries, Retry(in_seconds=5), 2) == RetryAt(5.0, 3)
    assert decide(Boom, Retry(in_seconds=5), DEFAULT_RETRIES) == GiveUp(
        DEFAULT_RETRIES + 1, exhausted=True
    )


def test_retry_without_a_delay_uses_the_backoff() -> None:
    decision = decide(AsksToRetry, Retry(), 2)

    assert isinstance(decision, RetryAt) and 31 <= decision.in_seconds < 61


# -- through the processor, with a clock the test moves -------------------------------------------
def retry_entries(raw: redis.Redis) -> list[tuple[dict[str, object], float]]:
    """The retries set: (payload, due in Unix seconds), soonest first."""
    rows = raw.zrange("resque:jobs:retries", 0, -1, withscores=True)
    return [(json.loads(json.loads(member)[1]), score / 1000) for member, score in rows]


def test_a_failed_run_waits_in_the_retries_set_with_its_count_and_error(
    client: Client, raw: redis.Redis
) -> None:
    job_id = client.enqueue(DefaultBackoff, "a", 5)
    before = client.store.clock.now_ms() / 1000

    assert drain(["default"], MODULES, client) == 1

    [(payload, due)] = retry_entries(raw)
    assert payload["id"] == job_id and payload["args"] == ["a", 5]
    assert payload["retry_count"] == 1 and payload["error"] == "TimeoutError: attempt 1"
    assert isinstance(payload["failed_at"], float)
    assert before + 15 <= due < before + 25 + 1  # the first backoff: 15 s plus up to 10 s
    assert client.size("default") == 0 and raw.llen("resque:failed") == 0


def test_a_retry_counts_as_processed_and_failed_like_sidekiq(
    client: Client, raw: redis.Redis
) -> None:
    client.enqueue(DefaultBackoff, "a", 5)

    drain(["default"], MODULES, client)

    assert raw.get("resque:stat:processed") == "1" and raw.get("resque:stat:failed") == "1"


def test_retries_with_the_default_backoff_reach_success(
    client: Client, settings: jobs.Settings, raw: redis.Redis
) -> None:
    clock = Clock(client.store.clock.now_ms() / 1000)
    scheduler = Scheduler(client.store, settings, jobs.schedule.Schedule(), clock=clock)
    client.enqueue(DefaultBackoff, "b", 3)
    drain(["default"], MODULES, client)

    for retry in range(1, 4):
        [(payload, due)] = retry_entries(raw)
        assert payload["retry_count"] == retry
        clock.now = due - 0.01
        scheduler.tick()
        assert client.size("default") == 0, "moved before it was due"
        clock.now = due
        scheduler.tick()
        assert client.size("default") == 1
        drain(["default"], MODULES, client)

    assert done(raw) == ["b on attempt 4"]
    assert retry_entries(raw) == [] and failures(raw) == []


def test_each_wait_falls_in_its_backoff_band(client: Client, raw: redis.Redis) -> None:
    client.enqueue(DefaultBackoff, "c", 10)
    for count in range(4):
        drain(["default"], MODULES, client)
        [(payload, due)] = retry_entries(raw)
        wait = due - client.store.clock.now_ms() / 1000
        low = count**4 + 15
        assert low - 1 < wait < low + 10 * (count + 1), (count, wait)
        client.retrying().enqueue_now(str(payload["id"]))


def test_jobs_retry_with_in_seconds_sets_the_delay(client: Client, raw: redis.Redis) -> None:
    client.enqueue(AsksToRetry, "d")
    now = client.store.clock.now_ms() / 1000

    drain(["default"], MODULES, client)

    [(payload, due)] = retry_entries(raw)
    assert now + 29.5 < due < now + 31
    assert payload["error"] == "Retry: the API said: come back later in 30s"


def test_an_error_it_does_not_retry_on_fails_at_once(client: Client, raw: redis.Redis) -> None:
    client.enqueue(OnlyConnectionErrors, "value")

    drain(["default"], MODULES, client)

    [record] = failures(raw)
    assert record["exception"] == "ValueError" and "attempts" not in record
    assert retry_entries(raw) == []


def test_retrying_a_failure_by_hand_starts_the_count_afresh(
    client: Client, raw: redis.Redis
) -> None:
    client.enqueue(AlwaysFails, "e")
    for _ in range(3):  # the first run and two retries
        drain(["default"], MODULES, client)
        for payload, _ in retry_entries(raw):
            client.retrying().enqueue_now(str(payload["id"]))
    [record] = failures(raw)
    assert record["payload"]["retry_count"] == 2

    Failures(client.store).retry(str(record["id"]))

    [payload] = client.peek("default")
    assert not {"retry_count", "error", "failed_at"} & set(payload)
    drain(["default"], MODULES, client)
    assert retry_entries(raw)[0][0]["retry_count"] == 1


# -- real workers ---------------------------------------------------------------------------------
def test_a_worker_retries_with_backoff_until_the_job_succeeds(
    client: Client, redis_url: str, raw: redis.Redis
) -> None:
    job_id = client.enqueue(Flaky, "f", 3)
    worker = WorkerProcess(redis_url, env=IMPORTS)
    try:
        wait_for(lambda: done(raw), what="the fourth attempt to succeed")
        wait_for(lambda: raw.get("resque:stat:processed") == "4", what="it to be acknowledged")
    finally:
        worker.stop()

    assert done(raw) == ["f on attempt 4"]
    assert failures(raw) == [] and retry_entries(raw) == []
    assert raw.get("resque:stat:failed") == "3"  # each retry counted as a failed run
    assert job_id is not None


def test_exhausted_retries_leave_a_failure_with_the_attempts_and_call_the_hook(
    client: Client, redis_url: str, raw: redis.Redis
) -> None:
    job_id = client.enqueue(AlwaysFails, "g")
    worker = WorkerProcess(redis_url, env=IMPORTS)
    try:
        [record] = wait_for(lambda: failures(raw), what="the failure record")
        exhausted = wait_for(lambda: raw.lrange("test:exhausted", 0, -1), what="the hook")
    finally:
        worker.stop()

    assert record["id"] == job_id and record["attempts"] == 3
    assert record["exception"] == "ValueError" and record["error"] == "g is broken"
    assert record["payload"]["retry_count"] == 2
    assert exhausted == ["g ValueError: g is broken"]
    assert raw.get("test:attempts:g") == "3"
    assert retry_entries(raw) == []
