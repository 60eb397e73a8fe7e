"""Run-time metrics in Redis (jobs/store/metrics.py and lua/lib/metrics.lua): written by the
scripts that settle jobs, per class and minute, with expiry and a cap on classes."""

from __future__ import annotations

import json
import time

import redis

from jobs.store import Store
from jobs.store.metrics import BUCKET_BOUNDS_US, MOST_CLASSES, OTHER_CLASS, bucket_of
from jobs.store.queues import QueueStore
from jobs.store.scripts import Scripts
from jobs.store.status import STATUS_SECONDS

W = "host:100:high"
RUN_AT = "2026-11-26T19:32:07Z"


def payload(class_name: str, n: int = 0) -> bytes:
    return json.dumps({"class": class_name, "args": [n], "id": f"{class_name}-{n}"}).encode()


def minute_hash(raw: redis.Redis, store: Store) -> tuple[str, dict[str, str]]:
    [key] = raw.keys("resque:jobs:metrics:[0-9]*")
    return key, raw.hgetall(key)  # type: ignore[return-value]


def test_bucket_of_puts_a_run_at_a_bound_in_that_bound_s_bucket() -> None:
    assert bucket_of(0) == 0
    assert bucket_of(1_000) == 0
    assert bucket_of(1_001) == 1
    assert bucket_of(30_000) == 5  # 25 ms < 30 ms <= 50 ms
    assert bucket_of(10**9) == len(BUCKET_BOUNDS_US)  # longer than the last bound


def test_acknowledging_a_batch_counts_each_class_its_time_and_buckets(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push(
        "high", [payload("app.Mail", 1), payload("app.Mail", 2), payload("app.Thumb")]
    )
    taken = store.queues.acknowledge_and_fetch(W, [], ["high"], RUN_AT, 3)[1]

    store.queues.acknowledge_and_fetch(W, taken, [], RUN_AT, 0, run_us=[30_000, 40_000, 700])

    key, fields = minute_hash(raw, store)
    assert fields == {
        "classes": "2",
        "p:app.Mail": "2",
        "us:app.Mail": "70000",
        "h5:app.Mail": "2",
        "p:app.Thumb": "1",
        "us:app.Thumb": "700",
        "h0:app.Thumb": "1",
    }
    assert raw.hgetall("resque:jobs:metrics:totals") == fields
    assert raw.ttl("resque:jobs:metrics:totals") == -1  # counters: kept
    minute = int(key.rsplit(":", 1)[1])
    assert raw.expiretime(key) == (minute + 61) * 60  # an hour after its minute ends


def test_with_metrics_off_nothing_is_recorded(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [payload("app.Mail")])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None

    assert store.queues.acknowledge(W, entry, run_us=None)

    assert raw.get("resque:stat:processed") == "1"
    assert raw.keys("resque:jobs:metrics:*") == []


def test_with_metrics_off_a_failure_and_a_retry_record_none(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [payload("app.Mail", 1), payload("app.Mail", 2)])
    first = store.queues.fetch(W, ["high"], RUN_AT)
    assert first is not None and store.queues.fail(W, first, b"{}", 100, run_us=None)
    second = store.queues.fetch(W, ["high"], RUN_AT)
    assert second is not None
    assert store.delayed.retry(W, second, payload("app.Mail", 2), 1000, run_us=None)

    assert raw.get("resque:stat:failed") == "2"
    assert raw.keys("resque:jobs:metrics:*") == []


def test_a_failure_and_a_retry_count_as_failed_runs(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [payload("app.Mail", 1), payload("app.Mail", 2)])
    first = store.queues.fetch(W, ["high"], RUN_AT)
    assert first is not None
    assert store.queues.fail(W, first, b"{}", 100, run_us=3_000_000)
    second = store.queues.fetch(W, ["high"], RUN_AT)
    assert second is not None

    assert store.delayed.retry(W, second, payload("app.Mail", 2), 1000, run_us=2_000)

    _, fields = minute_hash(raw, store)
    assert fields == {
        "classes": "1",
        "p:app.Mail": "2",
        "f:app.Mail": "2",
        "us:app.Mail": "3002000",
        "h11:app.Mail": "1",  # 2.5 s < 3 s <= 5 s
        "h1:app.Mail": "1",  # 1 ms < 2 ms <= 2.5 ms
    }


def test_an_unreadable_payload_is_counted_under_a_name_that_says_so(
    store: Store, raw: redis.Redis
) -> None:
    raw.rpush("resque:queue:high", "not json")
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None

    assert store.queues.fail(W, entry, b"{}", 100, run_us=10)

    assert minute_hash(raw, store)[1]["f:(unreadable)"] == "1"


def test_a_hash_takes_a_bounded_number_of_classes_and_files_the_rest_as_other(
    store: Store, raw: redis.Redis
) -> None:
    names = [f"app.Made{n}" for n in range(MOST_CLASSES + 50)]
    store.queues.push("high", [payload(name) for name in names])
    for _ in names:
        taken = store.queues.acknowledge_and_fetch(W, [], ["high"], RUN_AT, 1)[1]
        store.queues.acknowledge_and_fetch(W, taken, [], RUN_AT, 0, run_us=[5])

    _, fields = minute_hash(raw, store)
    assert fields["classes"] == str(MOST_CLASSES)
    assert fields[f"p:{names[MOST_CLASSES - 1]}"] == "1"
    assert f"p:{names[MOST_CLASSES]}" not in fields
    assert fields[f"p:{OTHER_CLASS}"] == "50"
    assert raw.hget("resque:jobs:metrics:totals", f"p:{OTHER_CLASS}") == "50"


def test_memory_stays_bounded_over_hours_of_simulated_minutes(
    store: Store, raw: redis.Redis
) -> None:
    """Three hours of minutes, a minute at a time by an injected clock, ending now, with
    seven classes a minute: each minute's metrics expire an hour after it ends, so at most 61
    minutes are ever kept, and the totals hash stops growing once every class is in it."""
    now_minute = int(time.time() // 60)
    minute = now_minute - 180
    scripts = Scripts(store.client, store.keys, STATUS_SECONDS)
    queues = QueueStore(store.client, store.keys, scripts, lambda: minute)
    totals_fields = []
    while minute <= now_minute:
        queues.push("high", [payload(f"app.Job{n % 7}", n) for n in range(20)])
        taken = queues.acknowledge_and_fetch(W, [], ["high"], RUN_AT, 20)[1]
        queues.acknowledge_and_fetch(W, taken, [], RUN_AT, 0, run_us=[n * 997 for n in range(20)])
        assert len(raw.keys("resque:jobs:metrics:[0-9]*")) <= 61
        totals_fields.append(raw.hlen("resque:jobs:metrics:totals"))
        minute += 1

    # A minute is kept until an hour after it ends, by Redis's clock, which may have passed
    # into the next minute while the loop ran (on a busy machine): either window is right.
    before = redis_minute(raw)
    kept = sorted(int(key.rsplit(":", 1)[1]) for key in raw.keys("resque:jobs:metrics:[0-9]*"))
    after = redis_minute(raw)
    assert kept in (
        list(range(before - 60, now_minute + 1)),
        list(range(after - 60, now_minute + 1)),
    )
    assert raw.hget("resque:jobs:metrics:totals", "p:app.Job0") == str(181 * 3)
    assert set(totals_fields) == {totals_fields[0]}
    one_minute = int(raw.memory_usage(f"resque:jobs:metrics:{now_minute}"))  # type: ignore[arg-type]
    assert metrics_memory(raw, "resque:jobs:metrics:[0-9]*") <= 61 * one_minute * 1.1


def redis_minute(raw: redis.Redis) -> int:
    seconds, _ = raw.time()
    return int(seconds) // 60


def metrics_memory(raw: redis.Redis, pattern: str) -> int:
    return sum(int(raw.memory_usage(key) or 0) for key in raw.scan_iter(pattern))  # type: ignore[arg-type]
