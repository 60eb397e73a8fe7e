"""The registry at a worker's start: a worker warns when Redis may evict its keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.jobs.helpers import WorkerProcess


@pytest.fixture
def evicting_redis(raw: redis.Redis) -> Iterator[str]:
    """The test Redis set to evict the least recently used keys, set back afterwards."""
    before = raw.config_get("maxmemory-policy")["maxmemory-policy"]
    raw.config_set("maxmemory-policy", "allkeys-lru")
    try:
        yield "allkeys-lru"
    finally:
        raw.config_set("maxmemory-policy", before)


def test_a_worker_started_against_an_evicting_redis_warns_that_it_can_lose_jobs(
    redis_url: str, raw: redis.Redis, evicting_redis: str
) -> None:
    worker = WorkerProcess(redis_url)
    worker.wait_registered(raw)
    output = worker.output()
    assert "has maxmemory-policy allkeys-lru" in output
    assert "Set maxmemory-policy noeviction" in output


def test_a_worker_started_against_a_redis_that_keeps_every_key_does_not_warn(
    redis_url: str, raw: redis.Redis
) -> None:
    assert raw.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    worker = WorkerProcess(redis_url)
    worker.wait_registered(raw)
    assert "maxmemory-policy" not in worker.output()
