"""Key names: exactly the map in :mod:`jobs.store.keys`'s docstring, under one namespace."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import redis

import jobs.store.keys
from jobs.client import Client
from jobs.fetch import Fetcher
from jobs.settings import Settings
from jobs.settle import Failed, Settler
from jobs.store import Keys, Store
from tests.jobs.sample_jobs import Boom

ID = "web1:4242:high,low"

KEY_NAMES: list[tuple[str, Callable[[Keys], str], str]] = [
    ("queues", lambda k: k.queues, "queues"),
    ("queue", lambda k: k.queue("mail"), "queue:mail"),
    ("workers", lambda k: k.workers, "workers"),
    ("worker", lambda k: k.worker(ID), f"worker:{ID}"),
    ("worker_started", lambda k: k.worker_started(ID), f"worker:{ID}:started"),
    ("resque_heartbeats", lambda k: k.resque_heartbeats, "workers:heartbeat"),
    ("stat", lambda k: k.stat("processed"), "stat:processed"),
    ("stat-failed", lambda k: k.stat("failed"), "stat:failed"),
    ("stat-of-worker", lambda k: k.stat("processed", ID), f"stat:processed:{ID}"),
    ("stat-failed-of-worker", lambda k: k.stat("failed", ID), f"stat:failed:{ID}"),
    ("failed", lambda k: k.failed, "failed"),
    ("inflight", lambda k: k.inflight(ID), f"jobs:inflight:{ID}"),
    ("heartbeats", lambda k: k.heartbeats, "jobs:heartbeats"),
    ("crashes", lambda k: k.crashes, "jobs:crashes"),
    ("recovery_lock", lambda k: k.recovery_lock, "jobs:lock:recovery"),
    ("wakeup_channel", lambda k: k.wakeup_channel("mail"), "jobs:wakeup:mail"),
    ("wakeup_pattern", lambda k: k.wakeup_pattern, "jobs:wakeup:*"),
    ("scheduled", lambda k: k.scheduled, "jobs:scheduled"),
    ("retries", lambda k: k.retries, "jobs:retries"),
    ("recurring", lambda k: k.recurring, "jobs:recurring"),
    ("recurring_last", lambda k: k.recurring_last, "jobs:recurring:last"),
    ("scheduler_channel", lambda k: k.scheduler_channel, "jobs:scheduler:wakeup"),
    ("metrics", lambda k: k.metrics(29_000_000), "jobs:metrics:29000000"),
    ("metrics_totals", lambda k: k.metrics_totals, "jobs:metrics:totals"),
]


@pytest.mark.parametrize(
    ("build", "suffix"), [pytest.param(build, suffix, id=name) for name, build, suffix in KEY_NAMES]
)
def test_resque_namespace_key_names(build: Callable[[Keys], str], suffix: str) -> None:
    assert build(Keys("resque")) == f"resque:{suffix}"


@pytest.mark.parametrize(
    ("build", "suffix"), [pytest.param(build, suffix, id=name) for name, build, suffix in KEY_NAMES]
)
def test_a_custom_namespace_prefixes_every_key(build: Callable[[Keys], str], suffix: str) -> None:
    assert build(Keys("myapp")) == f"myapp:{suffix}"


def test_the_default_namespace_is_resque() -> None:
    assert Keys() == Keys("resque")
    assert Keys().queue("mail") == "resque:queue:mail"


def test_every_key_in_the_docstring_map_is_built_and_nothing_else() -> None:
    # Every ``ns:...`` in the docstring that names a key (not the ``ns:jobs:`` prefix).
    documented = set(re.findall(r"``(ns:[^`]*[^`:])``", jobs.store.keys.__doc__ or ""))
    keys = Keys("ns")
    built = {
        keys.queues,
        keys.queue("NAME"),
        keys.workers,
        keys.worker("ID"),
        keys.worker_started("ID"),
        keys.resque_heartbeats,
        keys.stat("processed"),
        keys.stat("failed"),
        keys.stat("processed", "ID"),
        keys.stat("failed", "ID"),
        keys.failed,
        keys.inflight("ID"),
        keys.landing("ID"),
        keys.heartbeats,
        keys.crashes,
        keys.recovery_lock,
        keys.wakeup_channel("NAME"),
        keys.history("STAT", "MINUTE"),  # type: ignore[arg-type]
        keys.flags("ID"),
        keys.scheduled,
        keys.retries,
        keys.recurring,
        keys.recurring_last,
        keys.scheduler_channel,
        keys.status("JOB_ID"),
        keys.metrics("MINUTE"),  # type: ignore[arg-type]
        keys.metrics_totals,
        keys.unique_lock("CLASS:DIGEST"),
    }

    assert documented == built


@pytest.mark.parametrize("namespace", ["resque", "myapp", "a:b"])
def test_queue_name_from_wakeup_undoes_wakeup_channel(namespace: str) -> None:
    keys = Keys(namespace)

    assert keys.queue_name_from_wakeup(keys.wakeup_channel("mail")) == "mail"
    assert keys.queue_name_from_wakeup(keys.wakeup_channel("jobs")) == "jobs"


def test_a_store_with_a_custom_namespace_writes_only_under_it(
    redis_url: str, raw: redis.Redis
) -> None:
    settings = Settings(redis_url=redis_url, namespace="myapp")
    store = Store(redis_url, settings.namespace)
    client = Client(store, settings)
    client.enqueue(Boom, "x")
    client.enqueue(Boom, "y")
    store.workers.register(ID, "started", "beat")
    fetcher = Fetcher(store, settings, lambda: ["default"])
    failed = fetcher.fetch(ID)
    settler = Settler(store, settings)
    assert failed is not None and settler.fail(failed, Failed("ValueError", "x"))
    done = fetcher.fetch(ID)
    assert done is not None and settler.acknowledge(done)
    client.enqueue_to("other", Boom)

    written = raw.keys("*")

    assert written
    assert [key for key in written if not key.startswith("myapp:")] == []
    assert {"myapp:queues", "myapp:queue:other", "myapp:failed", "myapp:workers"} <= set(written)
    assert f"myapp:stat:processed:{ID}" in written
