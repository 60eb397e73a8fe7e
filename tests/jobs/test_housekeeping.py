"""Housekeeping, what a worker does once per heartbeat: heartbeat, recover dead workers (but
not on heartbeats right after an outage), put back its own orphans, and drop old failures.

Driven directly against a real Redis, with fake workers written into the registry.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from jobs.dev.local_redis import PrivateRedis
from jobs.housekeeping import Housekeeping
from jobs.recovery import process_exists
from jobs.registry import Registration
from jobs.settings import Settings
from jobs.store import Store
from tests.jobs.helpers import wait_for

HOST = socket.gethostname()
ME = f"{HOST}:{os.getpid()}:default"
DEAD_PID = 2**22 + 1  # above Linux's largest pid_max: no process can have it
GONE = f"{HOST}:{DEAD_PID}:default"  # this host, a process that no longer exists
ALIVE = f"{HOST}:{os.getppid()}:default"  # this host, a process that exists
ELSEWHERE = "elsewhere:1:default"  # another host: only its heartbeat can tell
RUN_AT = "2026-11-26T19:32:07Z"
P1 = b'{"class":"app.Mail","args":[1],"id":"aaa","enqueued_at":1.5}'
P2 = b'{"class":"app.Mail","args":[2],"id":"bbb","enqueued_at":2.5}'
LOCK = "resque:jobs:lock:recovery"
HEARTBEATS = "resque:jobs:heartbeats"
TIME_FORMAT = "%Y/%m/%d %H:%M:%S UTC"


def housekeeping(
    store: Store, settings: Settings, running: dict[str, list[bytes] | None] | None = None
) -> Housekeeping:
    registration = Registration(store, [ME])
    registration.register()
    return Housekeeping(store, settings, registration, lambda: running or {})


def holding(store: Store, worker_id: str, *payloads: bytes, queue: str = "default") -> list[bytes]:
    """Register ``worker_id`` and move ``payloads`` in flight for it. Returns the entries."""
    store.workers.register(worker_id, "2026-11-26 20:32:07 +0100", RUN_AT)
    store.queues.push(queue, list(payloads))
    entries = [store.queues.fetch(worker_id, [queue], RUN_AT) for _ in payloads]
    assert all(entries)
    return entries  # type: ignore[return-value]


def make_late(store: Store, raw: redis.Redis, worker_id: str, seconds: float = 60) -> None:
    raw.zadd(HEARTBEATS, {worker_id: store.workers.now_ms() - int(seconds * 1000)})


def waiting(raw: redis.Redis, queue: str = "default") -> list[str]:
    return list(raw.lrange(f"resque:queue:{queue}", 0, -1))


def in_flight(raw: redis.Redis, worker_id: str) -> list[str]:
    return list(raw.lrange(f"resque:jobs:inflight:{worker_id}", 0, -1))


def recovered(raw: redis.Redis, worker_id: str) -> bool:
    return not in_flight(raw, worker_id) and not raw.sismember("resque:workers", worker_id)


def run_holding_the_lock(keeping: Housekeeping, raw: redis.Redis) -> None:
    """One run that surely looks for dead workers (no one else holds the recovery lock)."""
    raw.delete(LOCK)
    keeping.run()


@pytest.fixture(autouse=True)
def no_such_process() -> None:
    assert not process_exists(DEAD_PID)
    assert process_exists(os.getppid())


# -- heartbeat ----------------------------------------------------------------------------------
def test_run_heartbeats_this_worker(store: Store, settings: Settings, raw: redis.Redis) -> None:
    keeping = housekeeping(store, settings)
    first = raw.zscore(HEARTBEATS, ME)
    assert first is not None

    def moved() -> bool:
        keeping.run()
        score = raw.zscore(HEARTBEATS, ME)
        return score is not None and score > first

    wait_for(moved, what="the heartbeat to move")
    assert raw.hget("resque:workers:heartbeat", ME)


# -- this worker's orphans ----------------------------------------------------------------------
def test_run_puts_an_orphan_back_at_the_front_of_its_queue_without_counting_a_crash(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    holding(store, ME, P1)
    store.queues.push("default", [P2])
    keeping = housekeeping(store, settings, running={})

    keeping.run()

    assert waiting(raw) == [P1.decode(), P2.decode()]
    assert in_flight(raw, ME) == []
    assert raw.hlen("resque:jobs:crashes") == 0
    assert raw.llen("resque:failed") == 0
    assert raw.sismember("resque:workers", ME)


def test_run_leaves_alone_a_slot_that_is_taking_its_next_job_right_now(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    # A thread has just acknowledged one job and taken the next in one step; its runner does
    # not know the new entry yet. It must not be taken for an orphan and run a second time.
    holding(store, ME, P1)
    keeping = housekeeping(store, settings, running={ME: None})

    keeping.run()

    assert len(in_flight(raw, ME)) == 1 and waiting(raw) == []


def test_run_leaves_a_running_job_in_flight(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    [entry] = holding(store, ME, P1)
    keeping = housekeeping(store, settings, running={ME: [entry]})

    keeping.run()

    assert in_flight(raw, ME) == [entry.decode()]
    assert waiting(raw) == []


def test_run_puts_back_only_the_copies_of_an_entry_that_nothing_runs(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    entry, same = holding(store, ME, P1, P1)  # the same job enqueued twice: identical entries
    assert entry == same
    keeping = housekeeping(store, settings, running={ME: [entry]})

    keeping.run()

    assert in_flight(raw, ME) == [entry.decode()]
    assert waiting(raw) == [P1.decode()]
    assert raw.hlen("resque:jobs:crashes") == 0


def test_a_job_settled_between_the_two_looks_is_no_orphan_and_no_warning(
    store: Store, settings: Settings, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # Housekeeping reads Redis, then what the slots hold. A thread that acknowledges its job in
    # between leaves an entry that Redis showed and the slot no longer knows: it was settled,
    # not orphaned. Nothing is put back, and nothing is worth a warning.
    [entry] = holding(store, ME, P1)

    def slot_acknowledges_meanwhile() -> dict[str, list[bytes] | None]:
        assert store.queues.acknowledge(ME, entry)
        return {ME: []}

    registration = Registration(store, [ME])
    keeping = Housekeeping(store, settings, registration, slot_acknowledges_meanwhile)

    keeping.run()

    assert in_flight(raw, ME) == [] and waiting(raw) == []
    assert "could not report" not in caplog.text


# -- recovering dead workers --------------------------------------------------------------------
def test_run_recovers_a_worker_on_this_host_whose_process_is_gone(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    holding(store, GONE, P1)
    keeping = housekeeping(store, settings)

    run_holding_the_lock(keeping, raw)

    assert waiting(raw) == [P1.decode()]
    assert recovered(raw, GONE)
    assert raw.hlen("resque:jobs:crashes") == 1  # a worker died running it
    assert in_flight(raw, ME) == [] and raw.sismember("resque:workers", ME)


def test_run_leaves_a_live_worker_on_this_host_alone(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    [entry] = holding(store, ALIVE, P1)
    keeping = housekeeping(store, settings)

    run_holding_the_lock(keeping, raw)

    assert in_flight(raw, ALIVE) == [entry.decode()]
    assert raw.sismember("resque:workers", ALIVE)


def test_right_after_an_outage_only_a_gone_process_counts_as_dead(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    [entry] = holding(store, ELSEWHERE, P1)
    make_late(store, raw, ELSEWHERE)  # far over dead_after (5s)...
    holding(store, GONE, P2)
    keeping = housekeeping(store, settings)
    keeping.after_outage()  # ...but every heartbeat is old after an outage

    run_holding_the_lock(keeping, raw)

    assert in_flight(raw, ELSEWHERE) == [entry.decode()]
    assert raw.sismember("resque:workers", ELSEWHERE)
    assert recovered(raw, GONE)
    assert waiting(raw) == [P2.decode()]


def test_a_late_worker_on_another_host_is_recovered_once_heartbeats_are_trusted(
    store: Store, raw: redis.Redis, redis_url: str
) -> None:
    settings = Settings(redis_url=redis_url, heartbeat_interval=0.05, dead_after=0.2)
    holding(store, ELSEWHERE, P1)
    keeping = housekeeping(store, settings)

    def done() -> bool:
        keeping.run()
        return recovered(raw, ELSEWHERE)

    wait_for(done, what="the late worker to be recovered")  # also waits out Redis's uptime
    assert waiting(raw) == [P1.decode()]
    assert raw.hlen("resque:jobs:crashes") == 1


def test_after_an_outage_heartbeats_are_trusted_again_after_dead_after(
    store: Store, raw: redis.Redis, redis_url: str
) -> None:
    settings = Settings(redis_url=redis_url, heartbeat_interval=0.05, dead_after=1.0)
    holding(store, ELSEWHERE, P1)
    make_late(store, raw, ELSEWHERE)
    keeping = housekeeping(store, settings)

    back = time.monotonic()
    keeping.after_outage()
    run_holding_the_lock(keeping, raw)
    assert not recovered(raw, ELSEWHERE)

    def done() -> bool:
        keeping.run()
        return recovered(raw, ELSEWHERE)

    wait_for(done, what="the late worker to be recovered")
    assert time.monotonic() - back >= settings.dead_after
    assert waiting(raw) == [P1.decode()]


@pytest.fixture
def fresh_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis that has only just started (as after a restart): its uptime is about zero."""
    with PrivateRedis(tmp_path) as server:
        yield server.url


def test_heartbeats_are_not_trusted_until_redis_has_been_up_for_dead_after(
    fresh_redis: str,
) -> None:
    settings = Settings(redis_url=fresh_redis, heartbeat_interval=0.05, dead_after=1.0)
    store = Store(fresh_redis)
    raw = redis.Redis.from_url(fresh_redis, decode_responses=True)
    holding(store, ELSEWHERE, P1)
    make_late(store, raw, ELSEWHERE)
    keeping = housekeeping(store, settings)

    run_holding_the_lock(keeping, raw)  # no outage seen by this worker, but Redis is new
    assert not recovered(raw, ELSEWHERE)

    def done() -> bool:
        keeping.run()
        return recovered(raw, ELSEWHERE)

    wait_for(done, what="the late worker to be recovered")
    assert store.workers.redis_uptime() > settings.dead_after
    raw.close()


# -- failed-list retention ----------------------------------------------------------------------
def failed_at(seconds_ago: float) -> str:
    return time.strftime(TIME_FORMAT, time.gmtime(time.time() - seconds_ago))


def record(when: str, name: str) -> str:
    return json.dumps({"failed_at": when, "id": name})


DAY = 86400


def test_run_drops_failure_records_older_than_the_retention(
    store: Store, raw: redis.Redis, redis_url: str
) -> None:
    settings = Settings(redis_url=redis_url, failed_retention_days=1)
    old = [record(failed_at(3 * DAY), "old1"), record(failed_at(DAY + 60), "old2")]
    recent = [record(failed_at(DAY - 60), "recent1"), record(failed_at(0), "recent2")]
    raw.rpush("resque:failed", *old, *recent)
    keeping = housekeeping(store, settings)

    run_holding_the_lock(keeping, raw)

    assert raw.lrange("resque:failed", 0, -1) == recent


def test_run_keeps_a_record_whose_time_it_cannot_read_and_all_after_it(
    store: Store, raw: redis.Redis, redis_url: str
) -> None:
    settings = Settings(redis_url=redis_url, failed_retention_days=1)
    unreadable = json.dumps({"failed_at": None, "id": "unreadable"})
    kept = [unreadable, record(failed_at(3 * DAY), "old2"), "not json", record(failed_at(0), "new")]
    raw.rpush("resque:failed", record(failed_at(3 * DAY), "old1"), *kept)
    keeping = housekeeping(store, settings)

    run_holding_the_lock(keeping, raw)

    assert raw.lrange("resque:failed", 0, -1) == kept


def test_run_trims_only_while_holding_the_recovery_lock(
    store: Store, raw: redis.Redis, redis_url: str
) -> None:
    settings = Settings(redis_url=redis_url, failed_retention_days=1)
    old = record(failed_at(3 * DAY), "old")
    raw.rpush("resque:failed", old)
    keeping = housekeeping(store, settings)
    raw.set(LOCK, "another-worker", px=60_000)

    keeping.run()

    assert raw.lrange("resque:failed", 0, -1) == [old]
    raw.delete(LOCK)
    keeping.run()
    assert raw.lrange("resque:failed", 0, -1) == []
