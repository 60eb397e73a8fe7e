"""Shared fixtures: a private Redis server for the whole session (never one we did not start),
emptied before every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from jobs.client import Client, set_default_client
from jobs.dev.local_redis import PrivateRedis
from jobs.settings import LOCAL_REDIS_SWITCH, Settings
from jobs.store import Store
from tests.jobs.helpers import stop_leftover_processes

# The tests are the workshop's own, like `make test` (whose Makefile sets the same switch): a
# command they start without REDIS_URL may use the project's Redis (see jobs/settings.py).
os.environ.setdefault(LOCAL_REDIS_SWITCH, "1")


@pytest.fixture(autouse=True)
def no_process_outlives_its_test() -> Iterator[None]:
    """A test that fails halfway must not leave its workers running (they would go on
    working someone's Redis, or wait for one, for good)."""
    yield
    stop_leftover_processes()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    with PrivateRedis(Path(tmp_path_factory.mktemp("redis"))) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: PrivateRedis) -> str:
    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client, for looking at keys the way a learner would with redis-cli."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(redis_url=redis_url, heartbeat_interval=0.2, dead_after=5.0)


@pytest.fixture
def store(settings: Settings) -> Store:
    assert settings.redis_url is not None
    return Store(settings.redis_url, settings.namespace)


@pytest.fixture
def client(store: Store, settings: Settings) -> Iterator[Client]:
    client = Client(store, settings)
    set_default_client(client)
    yield client
    set_default_client(None)
