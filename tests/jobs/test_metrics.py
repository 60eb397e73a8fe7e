"""Run-time metrics end to end: a worker runs jobs of known durations, and what the metrics
say (jobs/metrics.py over jobs/store/metrics.py) matches them within a bucket's width."""

from __future__ import annotations

import time

import pytest
import redis

from jobs.client import Client
from jobs.metrics import HOUR_MINUTES, by_time_spent, percentile_us, summed
from jobs.store import BUCKET_BOUNDS_US, BUCKETS, ClassRuns, Store
from tests.jobs.helpers import WorkerProcess
from tests.jobs.timed_jobs import Sleeps, SleepsThenFails

MODES = {"fork per job": ["--fork"], "threads": ["--no-fork", "--threads", "2"]}


def test_a_percentile_is_placed_inside_its_bucket_in_proportion() -> None:
    buckets = [0] * BUCKETS
    buckets[5] = 10  # ten runs of 25 to 50 ms

    assert percentile_us(buckets, 0.5) == 25_000 + 25_000 * 0.5
    assert percentile_us(buckets, 1.0) == 50_000
    assert percentile_us([0] * BUCKETS, 0.5) is None


def test_past_the_last_bound_a_percentile_says_at_least_the_bound() -> None:
    buckets = [0] * BUCKETS
    buckets[-1] = 3

    assert percentile_us(buckets, 0.95) == BUCKET_BOUNDS_US[-1]


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_the_metrics_of_a_known_workload_match_it_within_a_bucket(
    mode: list[str], redis_url: str, raw: redis.Redis, client: Client, store: Store
) -> None:
    # 70 ms on average: twelve of 30 ms (25-50 ms bucket), six of 150 ms (100-250 ms bucket).
    for _ in range(12):
        client.enqueue(Sleeps, 0.03)
    for _ in range(6):
        client.enqueue(Sleeps, 0.15)
    for _ in range(4):
        client.enqueue(SleepsThenFails, 0.06)
    worker = WorkerProcess(
        redis_url, "--queue", "timed", "--interval", "0", *mode,
        env={"JOBS_IMPORT": "tests.jobs.timed_jobs"},
    )  # fmt: skip
    assert worker.wait(60) == 0, worker.output()

    rows = {row.name: row for row in by_time_spent(last_hour(store))}

    sleeps, fails = (
        rows["tests.jobs.timed_jobs.Sleeps"],
        rows["tests.jobs.timed_jobs.SleepsThenFails"],
    )
    assert (sleeps.processed, sleeps.failed) == (18, 0)
    assert (fails.processed, fails.failed) == (4, 4)
    assert sleeps.mean_ms is not None and 70 <= sleeps.mean_ms <= 70 + 50  # its bucket: 50-100
    assert sleeps.p50_ms is not None and 25 <= sleeps.p50_ms <= 50
    assert sleeps.p95_ms is not None and 100 <= sleeps.p95_ms <= 250
    assert fails.p50_ms is not None and 50 <= fails.p50_ms <= 100
    assert 12 * 30 + 6 * 150 <= sleeps.total_ms <= (12 * 30 + 6 * 150) * 1.5
    assert next(iter(rows)) == "tests.jobs.timed_jobs.Sleeps"  # the most time first


def test_with_metrics_off_a_worker_records_none(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    client.enqueue(Sleeps, 0.0)
    worker = WorkerProcess(
        redis_url, "--queue", "timed", "--interval", "0",
        env={"JOBS_IMPORT": "tests.jobs.timed_jobs", "JOBS_METRICS": "0"},
    )  # fmt: skip
    assert worker.wait(60) == 0, worker.output()

    assert raw.get("resque:stat:processed") == "1"
    assert raw.keys("resque:jobs:metrics:*") == []


def last_hour(store: Store) -> dict[str, ClassRuns]:
    return summed(store.metrics.minutes(int(time.time() // 60), HOUR_MINUTES))
