"""Failure records: made when a job fails, listed newest first, found, retried and removed by
the job's id (never by position), and capped at ``failed_max``."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import redis

import jobs
import jobs.failures
from jobs.client import Client
from jobs.failures import RAW_KEPT, Failure, FailureNotFound, Failures, describe_exception
from jobs.fetch import Fetcher
from jobs.settings import Settings
from jobs.settle import Failed, Settler
from jobs.store import Store
from tests.jobs.sample_jobs import Boom

WORKER = "host:100:default"
BACKTRACE = ["app/jobs.py:12 in perform", "app/mail.py:3 in send"]


def fail_next(store: Store, settings: Settings, queue: str = "default", error: str = "bad") -> None:
    """Take the next job off ``queue`` as a worker would, and fail it."""
    delivery = Fetcher(store, settings, lambda: [queue]).fetch(WORKER)
    assert delivery is not None
    assert Settler(store, settings).fail(delivery, Failed("ValueError", error, BACKTRACE))


def enqueue_and_fail(client: Client, *args: Any, queue: str = "default") -> str:
    job_id = client.enqueue_to(queue, Boom, *args)
    fail_next(client.store, client.settings, queue, error=f"failed {args}")
    return job_id


def stored_records(raw: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]


# -- the record ---------------------------------------------------------------------------------
def test_a_failed_job_leaves_a_record_in_resque_shape(client: Client, raw: redis.Redis) -> None:
    job_id = client.enqueue(Boom, "input", 7)
    [payload] = client.peek("default")
    before = datetime.now(UTC).replace(microsecond=0)

    fail_next(client.store, client.settings, error="bad input")

    [record] = stored_records(raw)
    assert list(record) == [
        "failed_at",
        "payload",
        "exception",
        "error",
        "backtrace",
        "worker",
        "queue",
        "id",
    ]
    failed_at = datetime.strptime(record["failed_at"], "%Y/%m/%d %H:%M:%S UTC").replace(tzinfo=UTC)
    assert before <= failed_at <= datetime.now(UTC)
    assert record["payload"] == payload
    assert record["exception"] == "ValueError"
    assert record["error"] == "bad input"
    assert record["backtrace"] == BACKTRACE
    assert record["worker"] == WORKER
    assert record["queue"] == "default"
    assert record["id"] == job_id


def test_a_failure_reads_back_as_a_failure_object(client: Client) -> None:
    job_id = enqueue_and_fail(client, "x")

    [failure] = Failures(client.store).newest()

    assert isinstance(failure, Failure)
    assert failure.id == job_id
    assert failure.payload["class"] == "tests.jobs.sample_jobs.Boom"
    assert failure.payload["args"] == ["x"]
    assert (failure.exception, failure.error) == ("ValueError", "failed ('x',)")
    assert failure.backtrace == BACKTRACE
    assert (failure.worker, failure.queue) == (WORKER, "default")


def test_an_unreadable_payload_is_recorded_as_raw_text_with_a_fresh_id(
    client: Client, raw: redis.Redis
) -> None:
    raw.rpush("resque:queue:default", "not json at all")

    fail_next(client.store, client.settings)

    [record] = stored_records(raw)
    assert record["payload"] == {"raw": "not json at all"}
    assert len(record["id"]) == 24


def test_an_unreadable_payload_is_kept_cut_to_a_bounded_size(
    client: Client, raw: redis.Redis
) -> None:
    hostile = b'{"class":"a.B","args":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    raw.rpush("resque:queue:default", hostile)

    fail_next(client.store, client.settings)

    [stored] = raw.lrange("resque:failed", 0, -1)
    assert len(stored) < RAW_KEPT + 1000
    kept = json.loads(stored)["payload"]["raw"]
    assert kept.startswith(hostile[:RAW_KEPT].decode())
    assert kept.endswith(f"... (cut: {len(hostile)} bytes in all)")


def test_a_job_over_the_byte_limit_is_kept_as_cut_text_not_whole(
    store: Store, settings: Settings, client: Client, raw: redis.Redis
) -> None:
    oversize = json.dumps({"class": "a.B", "args": ["x" * 100_000]}).encode()
    raw.rpush("resque:queue:default", oversize)
    small = Settings(redis_url=settings.redis_url, max_payload_bytes=50_000)

    fail_next(store, small)

    [record] = stored_records(raw)
    assert record["payload"]["raw"].endswith(f"... (cut: {len(oversize)} bytes in all)")
    assert len(record["payload"]["raw"]) < RAW_KEPT + 100


def test_a_record_that_nests_too_deep_to_read_is_listed_as_unreadable(
    client: Client, raw: redis.Redis
) -> None:
    raw.rpush("resque:failed", b"[" * 100_000 + b"]" * 100_000)

    [unreadable] = Failures(client.store).newest(0, 1)

    assert unreadable.exception == "UnreadableRecord"


def test_describe_exception_gives_class_message_and_backtrace_lines() -> None:
    def inner() -> None:
        raise KeyError("missing")

    try:
        inner()
    except KeyError as error:
        exception, message, backtrace = describe_exception(error)

    assert (exception, message) == ("KeyError", "'missing'")
    assert backtrace[-1].startswith(f"{__file__}:")
    assert backtrace[-1].endswith(" in inner")
    assert backtrace[0].endswith(
        " in test_describe_exception_gives_class_message_and_backtrace_lines"
    )


# -- listing ------------------------------------------------------------------------------------
def test_newest_lists_failures_newest_first(client: Client) -> None:
    first, second, third = (enqueue_and_fail(client, name) for name in ("a", "b", "c"))
    failures = Failures(client.store)

    assert [failure.id for failure in failures.newest()] == [third, second, first]
    assert [failure.id for failure in failures.newest(start=1, count=1)] == [second]
    assert [failure.id for failure in failures.newest(start=1, count=10)] == [second, first]
    assert [failure.id for failure in failures.newest(count=2)] == [third, second]
    assert failures.newest(count=0) == []
    assert failures.newest(start=3) == []


def test_count_counts_records(client: Client) -> None:
    failures = Failures(client.store)
    assert failures.count() == 0

    enqueue_and_fail(client, "a")
    enqueue_and_fail(client, "b")

    assert failures.count() == 2


def test_all_lists_every_record_newest_first_across_pages(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs.failures, "PAGE", 2)  # so five records take three pages
    ids = [enqueue_and_fail(client, n) for n in range(5)]

    assert [failure.id for failure in Failures(client.store).all()] == ids[::-1]


def test_an_unreadable_record_is_listed_and_removable_and_leaves_the_others_usable(
    client: Client, raw: redis.Redis
) -> None:
    good = enqueue_and_fail(client, "fine")
    raw.rpush("resque:failed", "<not json>")
    failures = Failures(client.store)

    [unreadable, readable] = failures.newest(0, 2)

    assert unreadable.exception == "UnreadableRecord"
    assert unreadable.payload == {"raw": "<not json>"}
    assert readable.id == good and failures.find(good).id == good
    assert failures.retry_all() == 1  # the readable one; the unreadable stays to be looked at
    failures.remove(unreadable.id)
    assert failures.count() == 0


def test_find_returns_the_record_with_that_id(client: Client) -> None:
    enqueue_and_fail(client, "a")
    wanted = enqueue_and_fail(client, "b")
    enqueue_and_fail(client, "c")

    failure = Failures(client.store).find(wanted)

    assert failure.id == wanted
    assert failure.payload["args"] == ["b"]


def test_find_raises_failure_not_found_for_an_unknown_id(client: Client) -> None:
    enqueue_and_fail(client, "a")

    with pytest.raises(FailureNotFound):
        Failures(client.store).find("0" * 24)
    assert issubclass(FailureNotFound, KeyError)


# -- retry, remove, clear -----------------------------------------------------------------------
def test_retry_puts_the_job_back_with_its_id_and_a_fresh_enqueued_at(
    client: Client, raw: redis.Redis
) -> None:
    job_id = enqueue_and_fail(client, "again")
    [original] = stored_records(raw)

    queue = Failures(client.store).retry(job_id)

    assert queue == "default"
    assert stored_records(raw) == []
    [retried] = client.peek("default")
    assert retried["id"] == job_id
    assert retried["class"] == original["payload"]["class"]
    assert retried["args"] == ["again"]
    assert retried["enqueued_at"] > original["payload"]["enqueued_at"]
    assert retried["enqueued_at"] <= time.time()
    assert list(retried) == ["class", "args", "id", "enqueued_at"]


def test_retry_puts_the_job_on_the_queue_it_failed_on(client: Client, raw: redis.Redis) -> None:
    job_id = enqueue_and_fail(client, "x", queue="urgent")

    assert Failures(client.store).retry(job_id) == "urgent"
    assert [job["id"] for job in client.peek("urgent")] == [job_id]
    assert raw.sismember("resque:queues", "urgent")


def test_retry_twice_raises_failure_not_found_and_enqueues_once(client: Client) -> None:
    job_id = enqueue_and_fail(client, "x")
    failures = Failures(client.store)
    failures.retry(job_id)

    with pytest.raises(FailureNotFound):
        failures.retry(job_id)
    assert client.size("default") == 1


def test_retry_leaves_other_records_alone(client: Client) -> None:
    keep_first = enqueue_and_fail(client, "a")
    retried = enqueue_and_fail(client, "b")
    keep_last = enqueue_and_fail(client, "c")
    failures = Failures(client.store)

    failures.retry(retried)

    assert [failure.id for failure in failures.newest()] == [keep_last, keep_first]


def test_retry_of_an_unreadable_payload_puts_back_exactly_the_same_bytes(
    client: Client, raw: redis.Redis
) -> None:
    raw.rpush("resque:queue:default", "not json at all")
    fail_next(client.store, client.settings)
    [failure] = Failures(client.store).newest()

    Failures(client.store).retry(failure.id)

    assert raw.lrange("resque:queue:default", 0, -1) == ["not json at all"]


def test_retry_wakes_idle_workers(client: Client, raw: redis.Redis) -> None:
    job_id = enqueue_and_fail(client, "x")
    pubsub = raw.pubsub()
    pubsub.subscribe("resque:jobs:wakeup:default")
    try:
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]

        Failures(client.store).retry(job_id)

        message = pubsub.get_message(timeout=5)
        assert message is not None
        assert (message["channel"], message["data"]) == ("resque:jobs:wakeup:default", "default")
    finally:
        pubsub.close()


def test_remove_deletes_only_that_record_and_enqueues_nothing(client: Client) -> None:
    keep = enqueue_and_fail(client, "a")
    removed = enqueue_and_fail(client, "b")
    failures = Failures(client.store)

    failures.remove(removed)

    assert [failure.id for failure in failures.newest()] == [keep]
    assert client.size("default") == 0
    with pytest.raises(FailureNotFound):
        failures.remove(removed)


def test_retry_all_puts_every_job_back_oldest_first_and_empties_the_list(client: Client) -> None:
    ids = [enqueue_and_fail(client, n) for n in range(3)]
    failures = Failures(client.store)

    assert failures.retry_all() == 3

    assert failures.count() == 0
    assert [job["id"] for job in client.peek("default", 0, 10)] == ids
    assert failures.retry_all() == 0


def test_clear_removes_every_record_and_says_how_many(client: Client) -> None:
    for n in range(3):
        enqueue_and_fail(client, n)
    failures = Failures(client.store)

    assert failures.clear() == 3

    assert failures.count() == 0
    assert client.size("default") == 0
    assert failures.clear() == 0


def test_jobs_failures_uses_the_default_client(client: Client) -> None:
    job_id = enqueue_and_fail(client, "x")

    assert [failure.id for failure in jobs.failed_jobs().newest()] == [job_id]


# -- the cap ------------------------------------------------------------------------------------
def test_the_failed_list_keeps_only_the_newest_failed_max_records(
    store: Store, redis_url: str
) -> None:
    capped = Client(store, Settings(redis_url=redis_url, failed_max=3))
    ids = [enqueue_and_fail(capped, n) for n in range(5)]
    failures = Failures(store)

    assert failures.count() == 3
    assert [failure.id for failure in failures.newest()] == ids[:1:-1]
    assert [failure.payload["args"] for failure in failures.all()] == [[4], [3], [2]]


def test_record_ids_outlive_position_changes(store: Store, redis_url: str) -> None:
    # Positions shift as records are trimmed; an id found before still finds the same job.
    capped = Client(store, Settings(redis_url=redis_url, failed_max=2))
    enqueue_and_fail(capped, "old")
    wanted = enqueue_and_fail(capped, "wanted")
    enqueue_and_fail(capped, "new")  # trims "old": "wanted" moves from position 1 to 0

    assert Failures(store).find(wanted).payload["args"] == ["wanted"]


def test_attempts_count_the_first_run_and_every_automatic_retry() -> None:
    def parse(**record: Any) -> Failure:
        return Failure.parse(json.dumps(record).encode())

    assert parse(payload={"class": "a.B", "args": []}).attempts == 1
    assert parse(payload={"class": "a.B", "args": [], "retry_count": 2}).attempts == 3
    assert parse(payload={"class": "a.B", "retry_count": 2}, attempts=26).attempts == 26
    assert parse(payload={"class": "a.B", "retry_count": "x"}).attempts == 1
