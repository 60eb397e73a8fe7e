"""Job status: a job's state by its id, written by the same Redis scripts that take and settle
it, so the status never disagrees with the queue; kept for a day, then forgotten."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime

import redis

import jobs
from jobs.client import Client
from jobs.failures import Failures
from jobs.fetch import BatchFetcher, Delivery, Fetcher
from jobs.settings import Settings
from jobs.settle import BatchSettler, Failed, RetryLater, Settler, put_back
from jobs.status import JobStatus
from jobs.store import Store
from tests.jobs.helpers import WorkerProcess, release, started, wait_for
from tests.jobs.sample_jobs import Boom, Held, Record

W = "host:1:default"


def take(store: Store, settings: Settings) -> Delivery:
    delivery = Fetcher(store, settings, lambda: ["default"]).fetch(W)
    assert delivery is not None
    return delivery


def status_of(job_id: str | None) -> JobStatus:
    assert job_id is not None
    status = jobs.status(job_id)
    assert status is not None, "the job has no status"
    return status


def ended(job_id: str | None) -> bool:
    status = jobs.status(job_id or "")
    return status is not None and status.finished


def test_a_job_has_no_status_until_a_worker_takes_it(client: Client) -> None:
    job_id = jobs.enqueue(Record, 1)
    assert job_id is not None

    assert jobs.status(job_id) is None
    assert jobs.status("no-such-job") is None


def test_a_job_taken_by_a_worker_is_running_with_its_queue_class_and_times(
    client: Client, store: Store, settings: Settings
) -> None:
    before = datetime.now(UTC)
    job_id = jobs.enqueue(Record, 1)

    take(store, settings)

    status = status_of(job_id)
    assert (status.state, status.queue, status.class_name) == (
        "running",
        "default",
        "tests.jobs.sample_jobs.Record",
    )
    assert status.enqueued_at is not None and status.started_at is not None
    assert before.timestamp() - 1 <= status.enqueued_at.timestamp() <= status.started_at.timestamp()
    assert status.finished_at is None and status.error == "" and not status.finished


def test_an_acknowledged_job_is_done(client: Client, store: Store, settings: Settings) -> None:
    job_id = jobs.enqueue(Record, 1)
    assert Settler(store, settings).acknowledge(take(store, settings))

    status = status_of(job_id)
    assert status.state == "done" and status.finished
    assert status.started_at is not None and status.finished_at is not None
    assert status.started_at <= status.finished_at


def test_a_failed_job_says_its_error(client: Client, store: Store, settings: Settings) -> None:
    job_id = jobs.enqueue(Boom, "no")
    failed = Failed("ValueError", "not an image", ["app.py:1 in perform"])
    assert Settler(store, settings).fail(take(store, settings), failed)

    status = status_of(job_id)
    assert (status.state, status.error) == ("failed", "ValueError: not an image")
    assert status.finished


def test_a_job_waiting_for_a_retry_says_when_and_why(
    client: Client, store: Store, settings: Settings
) -> None:
    job_id = jobs.enqueue(Boom, "no")
    delivery = take(store, settings)
    retried = {**delivery.decoded().body, "retry_count": 1, "error": "TimeoutError: slow API"}

    retry = RetryLater(json.dumps(retried).encode(), in_seconds=30)
    assert Settler(store, settings).retry(delivery, retry)

    status = status_of(job_id)
    assert (status.state, status.error) == ("retrying", "TimeoutError: slow API")
    assert status.retry_at is not None and status.finished_at is not None
    assert 29 <= (status.retry_at - status.finished_at).total_seconds() <= 31
    assert not status.finished


def test_a_job_put_back_is_waiting_again_and_one_that_killed_its_workers_failed(
    client: Client, store: Store, settings: Settings
) -> None:
    job_id = jobs.enqueue(Record, 1)
    put_back(store, settings, W, take(store, settings).entry, "interrupted")
    assert status_of(job_id).state == "waiting"

    for _ in range(settings.crash_limit):
        outcome = put_back(store, settings, W, take(store, settings).entry, "crash")

    assert outcome == "failed"
    status = status_of(job_id)
    assert status.state == "failed"
    assert status.error.startswith("WorkerDied: the worker running this job died")


def test_jobs_a_thread_gives_back_are_waiting_again(
    client: Client, store: Store, settings: Settings
) -> None:
    first, second, third = (jobs.enqueue(Record, n) for n in range(3))
    fetcher = BatchFetcher(store, settings, W, lambda: ["default"], clock=lambda: 0.0)
    delivery = take(store, settings)
    fetcher.begin(delivery)
    assert BatchSettler(store, settings, fetcher).acknowledge(delivery)
    fetcher.next()  # acknowledges the first; takes the second (running) and the third (held)
    assert status_of(second).state == "running" and status_of(third).state == "running"

    fetcher.give_back()

    assert [status_of(job_id).state for job_id in (first, second, third)] == [
        "done",
        "running",
        "waiting",
    ]


def test_a_failure_retried_from_the_failed_list_is_waiting_again(
    client: Client, store: Store, settings: Settings
) -> None:
    job_id = jobs.enqueue(Boom, "no")
    Settler(store, settings).fail(take(store, settings), Failed("ValueError", "no"))
    [failure] = Failures(store).newest()

    Failures(store).retry(failure.id)

    assert status_of(job_id).state == "waiting"


def test_jobs_without_an_id_or_not_json_are_taken_all_the_same_without_a_status(
    client: Client, store: Store, settings: Settings, raw: redis.Redis
) -> None:
    raw.rpush("resque:queue:default", '{"class":"app.Resque","args":[]}', "not json", "[1]")
    for _ in range(3):
        assert Settler(store, settings).acknowledge(take(store, settings))
    assert raw.keys("resque:jobs:status:*") == []


def test_a_status_is_forgotten_a_day_after_its_last_change(
    client: Client, store: Store, settings: Settings, raw: redis.Redis
) -> None:
    job_id = jobs.enqueue(Record, 1)
    Settler(store, settings).acknowledge(take(store, settings))

    assert 24 * 3600 - 60 <= raw.ttl(f"resque:jobs:status:{job_id}") <= 24 * 3600


def test_a_worker_records_running_then_done_or_failed(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    held, boom = jobs.enqueue(Held, "h"), jobs.enqueue(Boom, "broken upload")
    worker = WorkerProcess(redis_url, "--queue", "default")  # a child per job, as Resque
    try:
        wait_for(lambda: started(raw), what="the held job to start")
        assert status_of(held).state == "running"
        assert jobs.status(boom or "") is None  # still waiting behind it
        release(raw, "h")
        wait_for(lambda: ended(held) and ended(boom), what="both jobs to end")
    finally:
        worker.signal(signal.SIGQUIT)
        assert worker.wait() == 0
    assert status_of(held).state == "done"
    assert (status_of(boom).state, status_of(boom).error) == ("failed", "ValueError: broken upload")
