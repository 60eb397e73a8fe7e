"""Redis Sentinel: ``REDIS_URL=redis+sentinel://...`` is read, and reaches the primary through
the Sentinels; ``JOBS_ENQUEUE_REPLICAS`` waits for a replica. Real servers: a primary, a replica
and three Sentinels on loopback (see sentinel_group.py). The failovers (kill -9 of the primary)
are in tests/jobs/test_sentinel_failover.py, a separate CI step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from jobs.client import Client
from jobs.settings import Settings
from jobs.store import NotReplicated, open_store
from jobs.store.connection import SentinelUrlError, parse_sentinel_url, redact
from tests.jobs.failover_jobs import Tally
from tests.jobs.helpers import ROOT
from tests.jobs.sentinel_group import SentinelGroup

URL = (
    "redis+sentinel://:s3cret@h1:26379,[::1]:26380/mymaster/2?sentinel_password=pw&socket_timeout=2"
)


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_passwords() -> None:
    address = parse_sentinel_url(URL)
    assert address.sentinels == [("h1", 26379), ("::1", 26380)]
    assert (address.service, address.db) == ("mymaster", 2)
    assert address.sentinel_options == {"password": "pw"}
    assert address.server_options == {"username": None, "password": "s3cret", "socket_timeout": 2.0}
    assert redact(URL) == (
        "redis+sentinel://:***@h1:26379,[::1]:26380/mymaster/2"
        "?sentinel_password=***&socket_timeout=2"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+sentinel://:pw@h1:26379/", "names no service: expected redis+sentinel://"),
        ("redis+sentinel://h1:26379,h2/mymaster", "expected host:port for each Sentinel, not 'h2'"),
        ("redis+sentinel://h1:1/mymaster/zero", "the database must be a number, not 'zero'"),
        ("redis+sentinel://:pw@h1:1/m?pasword=x", "unknown option ['pasword']; known: password,"),
        ("redis+sentinel://:pw@h1:1/m?socket_timeout=x", "socket_timeout must be seconds, not 'x'"),
    ],
)
def test_a_sentinel_url_that_cannot_be_used_says_why_without_its_password(
    url: str, message: str
) -> None:
    with pytest.raises(SentinelUrlError, match=r".*") as raised:
        open_store(url)
    assert message in str(raised.value)
    assert ":pw@" not in str(raised.value)


def test_an_enqueue_waits_for_replicas_when_asked_and_says_so_when_too_few_confirm(
    tmp_path: Path,
) -> None:
    with SentinelGroup(tmp_path, ready_for_failover=False) as group:
        one = Settings(redis_url=group.url, enqueue_replicas=1)
        Client(open_store(group.url), one).enqueue(Tally, 1)
        # WAIT returned: the replica holds the job already, without waiting for it here
        assert group.client(group.replica_port).llen("resque:queue:tally") == 1

        Client(open_store(group.url), one).enqueue_in(3600, Tally, 2)
        assert group.client(group.replica_port).zcard("resque:jobs:scheduled") == 1

        two = Settings(redis_url=group.url, enqueue_replicas=2, enqueue_replicas_timeout=0.1)
        with pytest.raises(NotReplicated) as raised:
            Client(open_store(group.url), two).enqueue(Tally, 3)
        assert "the job is on the primary, but only 1 of 2 replicas had it after 100 ms" in str(
            raised.value
        )
        assert "Enqueue it again if it must not be lost (it may then run twice)" in str(
            raised.value
        )
        with pytest.raises(NotReplicated):
            Client(open_store(group.url), two).enqueue_in(3600, Tally, 4)
        primary = redis.Redis(port=group.primary_port)
        assert primary.llen("resque:queue:tally") == 2
        assert primary.zcard("resque:jobs:scheduled") == 2


def test_an_idle_thread_waits_for_its_job_on_the_primary(tmp_path: Path) -> None:
    with SentinelGroup(tmp_path, ready_for_failover=False) as group:
        store = open_store(group.url)
        store.workers.register("host:9:tally", "2026-11-30 12:00:00 +0000", "2026-11-30T12:00:00Z")
        landing = store.queues.landing("host:9:tally", "tally")
        try:
            Client(store, Settings(redis_url=group.url)).enqueue(Tally, 1)

            assert landing.take("2026-11-30T12:00:00Z") is not None
            landing.land()
            assert landing.confirm() is True
        finally:
            landing.close()
        primary = redis.Redis(port=group.primary_port)
        assert primary.llen("resque:jobs:inflight:host:9:tally") == 1


def test_a_worker_given_a_bad_sentinel_url_stops_with_one_line_that_says_why() -> None:
    environment = {**os.environ, "REDIS_URL": "redis+sentinel://:pw@h1:26379/mymaster/zero"}
    result = subprocess.run(
        [sys.executable, "-m", "jobs", "work", "--import", "tests.jobs.sample_jobs"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Error: redis+sentinel://:***@h1:26379/mymaster/zero:"
        " the database must be a number, not 'zero'"
    )
