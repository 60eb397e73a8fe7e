"""Delayed jobs: enqueue_at / enqueue_in / perform_in / perform_at, listing and removing them,
and the scheduler moving them to their queues when (and not before) they are due."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

import jobs
import jobs.testing
from jobs.client import Client
from jobs.delayed_jobs import NotDelayed
from jobs.payload import encode
from jobs.schedule import Schedule
from jobs.scheduler import Scheduler
from jobs.settings import Settings
from tests.jobs.helpers import WorkerProcess, done, wait_for
from tests.jobs.retry_jobs import Maintenance, Stamped
from tests.jobs.sample_jobs import Counted, Record

IMPORTS = {"JOBS_IMPORT": "tests.jobs.sample_jobs,tests.jobs.retry_jobs"}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def scheduled(raw: redis.Redis) -> list[tuple[str, dict[str, object], float]]:
    """The scheduled set as (queue, payload, due in Unix seconds), soonest first."""
    rows = raw.zrange("resque:jobs:scheduled", 0, -1, withscores=True)
    entries = [(json.loads(member), score) for member, score in rows]
    return [(queue, json.loads(payload), score / 1000) for (queue, payload), score in entries]


@pytest.fixture
def clock(client: Client) -> Clock:
    """Starts at Redis's time, which enqueue_in counts from."""
    return Clock(client.store.clock.now_ms() / 1000)


@pytest.fixture
def scheduler(client: Client, settings: Settings, clock: Clock) -> Scheduler:
    return Scheduler(client.store, settings, Schedule(), clock=clock)


# -- scheduling -----------------------------------------------------------------------------------
def test_enqueue_in_holds_the_job_in_the_scheduled_set_in_resque_format(
    client: Client, raw: redis.Redis
) -> None:
    before = client.store.clock.now_ms() / 1000

    job_id = client.enqueue_in(60, Record, "later", 1)

    [(queue, payload, due)] = scheduled(raw)
    assert queue == "default"
    assert payload["class"] == "tests.jobs.sample_jobs.Record" and payload["id"] == job_id
    assert payload["args"] == ["later", 1]
    assert before + 59.9 < due < before + 61
    assert client.size("default") == 0


def test_enqueue_at_takes_an_aware_datetime_or_unix_seconds(
    client: Client, raw: redis.Redis
) -> None:
    when = datetime.now(UTC) + timedelta(hours=1)

    client.enqueue_at(when, Record, "dt")
    client.enqueue_at(when.timestamp() + 60, Record, "seconds")

    dues = [(payload["args"], due) for _, payload, due in scheduled(raw)]
    assert dues == [
        (["dt"], pytest.approx(when.timestamp(), abs=0.001)),
        (["seconds"], pytest.approx(when.timestamp() + 60, abs=0.001)),
    ]


def test_a_naive_datetime_is_refused_because_its_timezone_is_a_guess(client: Client) -> None:
    with pytest.raises(ValueError, match="no timezone"):
        client.enqueue_at(datetime.now() + timedelta(hours=1), Record, 1)


@pytest.mark.parametrize("when", [time.time() - 3600, 0])
def test_a_time_in_the_past_enqueues_now(client: Client, raw: redis.Redis, when: float) -> None:
    job_id = client.enqueue_at(when, Record, "overdue")

    assert [job["id"] for job in client.peek("default")] == [job_id]
    assert scheduled(raw) == []


def test_enqueue_in_zero_or_less_enqueues_now(client: Client) -> None:
    client.enqueue_in(0, Record, "now")
    client.enqueue_in(-5, Record, "also now")

    assert client.size("default") == 2


def test_arguments_are_checked_when_scheduling(client: Client, raw: redis.Redis) -> None:
    with pytest.raises(jobs.JobArgumentError):
        client.enqueue_in(60, Record, object())

    assert scheduled(raw) == []


def test_perform_in_and_perform_at_on_job_classes(client: Client, raw: redis.Redis) -> None:
    in_id = Counted.perform_in(30, 1)
    at_id = Counted.perform_at(datetime.now(UTC) + timedelta(minutes=5), 2)

    assert [(q, p["id"]) for q, p, _ in scheduled(raw)] == [("sidekiq", in_id), ("sidekiq", at_id)]


def test_the_module_functions_use_the_default_client(client: Client, raw: redis.Redis) -> None:
    jobs.enqueue_in(10, Record, "a")
    jobs.enqueue_at(time.time() + 20, Record, "b")

    assert [p["args"] for _, p, _ in scheduled(raw)] == [["a"], ["b"]]


def test_an_enqueue_hook_can_veto_a_scheduled_job(client: Client, raw: redis.Redis) -> None:
    client.hooks = jobs.hooks.Hooks()
    client.hooks.around_enqueue(lambda job, call_next: None)

    assert client.enqueue_in(60, Record, "vetoed") is None
    assert scheduled(raw) == []


def test_inline_testing_runs_delayed_jobs_at_once(
    raw: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)  # where the sample jobs report
    with jobs.testing.inline() as inline:
        Counted.perform_in(3600, 21)
        jobs.enqueue_at(datetime.now(UTC) + timedelta(days=1), Record, "tomorrow")

    assert inline.performed == [
        ("tests.jobs.sample_jobs.Counted", [21]),
        ("tests.jobs.sample_jobs.Record", ["tomorrow"]),
    ]
    assert scheduled(raw) == []


# -- the scheduler moves them ---------------------------------------------------------------------
def test_a_delayed_job_moves_to_its_queue_at_its_time_and_not_before(
    client: Client, scheduler: Scheduler, clock: Clock, raw: redis.Redis
) -> None:
    job_id = client.enqueue_in(5, Record, "x")
    [(_, _, due)] = scheduled(raw)

    clock.now = due - 0.002
    scheduler.tick()
    assert client.size("default") == 0

    clock.now = due
    scheduler.tick()
    assert [job["id"] for job in client.peek("default")] == [job_id]
    assert scheduled(raw) == []


def test_due_jobs_move_in_due_order_each_to_its_own_queue(
    client: Client, scheduler: Scheduler, clock: Clock
) -> None:
    client.enqueue_in(3, Record, "third")
    client.enqueue_in(1, Record, "first")
    client.enqueue_in(2, Maintenance, "elsewhere")
    client.enqueue_in(100, Record, "not yet")

    clock.now += 10
    scheduler.tick()

    assert [job["args"] for job in client.peek("default", 0, 10)] == [["first"], ["third"]]
    assert [job["args"] for job in client.peek("maintenance")] == [["elsewhere"]]
    assert client.delayed().count() == 1


def test_tick_says_how_long_to_sleep_at_most_one_second(
    client: Client, scheduler: Scheduler, clock: Clock
) -> None:
    assert scheduler.tick() == 1.0  # nothing waiting

    client.enqueue_in(0.25, Record, "soon")
    assert 0.2 <= scheduler.tick() <= 0.3  # (the test clock started a moment earlier)

    client.enqueue_in(30, Record, "later")
    clock.now += 1
    assert scheduler.tick() == 1.0


def test_scheduling_the_soonest_job_wakes_sleeping_schedulers(
    client: Client, raw: redis.Redis
) -> None:
    client.enqueue_in(60, Record, "later")
    listener = raw.pubsub(ignore_subscribe_messages=True)
    listener.subscribe("resque:jobs:scheduler:wakeup")
    wait_for(lambda: raw.pubsub_numsub("resque:jobs:scheduler:wakeup")[0][1] == 1)

    client.enqueue_in(120, Record, "not sooner: no wake-up")
    client.enqueue_in(5, Record, "sooner: wake up")

    message = wait_for(lambda: listener.get_message(timeout=0.1), what="a wake-up")
    [(_, _, due)] = [row for row in scheduled(raw) if row[1]["args"] == ["sooner: wake up"]]
    assert int(message["data"]) == round(due * 1000)
    assert listener.get_message(timeout=0.1) is None
    listener.close()


# -- listing and removing -------------------------------------------------------------------------
def test_list_delayed_jobs_soonest_first(client: Client) -> None:
    ids = [client.enqueue_in(seconds, Record, seconds) for seconds in (30, 10, 20)]

    page = client.delayed().page(0, 10)

    assert [job.id for job in page] == [ids[1], ids[2], ids[0]]
    assert [job.args for job in page] == [[10], [20], [30]]
    assert {job.queue for job in page} == {"default"}
    assert page[0].due < page[1].due < page[2].due
    assert client.delayed().count() == 3


def test_remove_a_delayed_job_by_id(client: Client, scheduler: Scheduler, clock: Clock) -> None:
    keep = client.enqueue_in(5, Record, "keep")
    drop = client.enqueue_in(5, Record, "drop")

    assert drop is not None
    client.delayed().remove(drop)
    clock.now += 10
    scheduler.tick()

    assert [job["id"] for job in client.peek("default", 0, 10)] == [keep]
    with pytest.raises(NotDelayed):
        client.delayed().remove(drop)


def test_remove_delayed_jobs_by_class_and_arguments(client: Client) -> None:
    client.enqueue_in(5, Record, "a", 1)
    client.enqueue_in(6, Record, "a", 1)
    client.enqueue_in(7, Record, "a", 2)
    client.enqueue_in(8, Counted, "a", 1)

    assert jobs.remove_delayed(Record, "a", 1) == 2

    assert [(job.class_name, job.args) for job in client.delayed().page(0, 10)] == [
        ("tests.jobs.sample_jobs.Record", ["a", 2]),
        ("tests.jobs.sample_jobs.Counted", ["a", 1]),
    ]


def test_enqueue_a_delayed_job_now(client: Client) -> None:
    job_id = client.enqueue_in(3600, Record, "impatient")

    assert job_id is not None
    assert client.delayed().enqueue_now(job_id) == "default"

    assert [job["id"] for job in client.peek("default")] == [job_id]
    assert client.delayed().count() == 0


def test_an_unknown_id_is_not_waiting(client: Client) -> None:
    client.enqueue_in(5, Record, "x")

    for job_id in ("", "nope", "*", "[a-z]*"):
        with pytest.raises(NotDelayed):
            client.delayed().enqueue_now(job_id)
    assert client.delayed().count() == 1


# -- with a real worker ---------------------------------------------------------------------------
def test_a_worker_runs_a_delayed_job_after_its_time_and_within_a_second(
    client: Client, redis_url: str, raw: redis.Redis
) -> None:
    worker = WorkerProcess(redis_url, env=IMPORTS)
    try:
        worker.wait_registered(raw)
        due = time.time() + 0.7
        client.enqueue_at(due, Stamped, "delayed")
        [ran] = wait_for(lambda: raw.lrange("test:ran", 0, -1), what="the delayed job")
    finally:
        worker.stop()

    ran_at = float(ran.split()[1])
    assert due - 0.001 <= ran_at < due + 1.0


def test_a_worker_started_later_runs_jobs_that_fell_due_meanwhile(
    client: Client, redis_url: str, raw: redis.Redis
) -> None:
    an_hour_ago = int((time.time() - 3600) * 1000)
    _, payload = encode("tests.jobs.sample_jobs.Record", ["missed"], 10_000)
    # Scheduled for an hour ago while nobody was running (told it was earlier still).
    client.store.delayed.schedule("default", payload, at_ms=an_hour_ago, now_ms=an_hour_ago - 1)
    worker = WorkerProcess(redis_url, env=IMPORTS)
    try:
        wait_for(lambda: done(raw), what="the job that fell due")
    finally:
        worker.stop()

    assert done(raw) == ["missed"]
