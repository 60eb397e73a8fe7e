"""An idle worker thread on a single queue waits inside Redis (a blocking move into its landing
list) and lands the job it takes in its in-flight list (see jobs/store/landing.py): the job is
in one list at every moment, what a thread or a worker leaves in a landing list goes back, and
the worker ends the waits when it pauses or stops."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import jobs.store.landing
from jobs.client import Client
from jobs.fetch import BatchFetcher
from jobs.recovery import Recovery
from jobs.settings import Settings
from jobs.settle import BatchSettler, Failed
from jobs.store import Store
from jobs.store.landing import Landing, in_flight_entry
from tests.jobs.helpers import WorkerProcess, done, wait_for
from tests.jobs.sample_jobs import Record

WORKER = "host:7:default"
RUN_AT = "2026-11-30T12:00:00Z"
LANDING = f"resque:jobs:landing:{WORKER}"
INFLIGHT = f"resque:jobs:inflight:{WORKER}"
QUEUE = "resque:queue:default"


def payload(name: str, **more: object) -> bytes:
    return json.dumps({"class": "app.Job", "args": [name], "id": name, **more}).encode()


@pytest.fixture
def binary(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def lua_entry(binary: redis.Redis, queue: bytes, data: bytes) -> bytes:
    """What Redis's own cjson makes of ``[queue, data]``."""
    return bytes(binary.eval("return cjson.encode({ARGV[1], ARGV[2]})", 0, queue, data))


@pytest.fixture
def registered(store: Store) -> str:
    store.workers.register(WORKER, "2026-11-30 12:00:00 +0000", RUN_AT)
    return WORKER


@pytest.fixture
def landing(store: Store, registered: str) -> Iterator[Landing]:
    taking = store.queues.landing(registered, "default")
    yield taking
    taking.close()


def in_a_thread(landing: Landing) -> tuple[threading.Thread, list[bytes | None]]:
    taken: list[bytes | None] = []
    thread = threading.Thread(target=lambda: taken.append(landing.take(RUN_AT)), daemon=True)
    thread.start()
    return thread, taken


def blocked_clients(raw: redis.Redis) -> int:
    """Clients blocked in BLMOVE now (CLIENT LIST names the last command of idle ones too)."""
    return sum(
        1
        for client in raw.client_list()
        if client.get("cmd") == "blmove" and "b" in client.get("flags", "")
    )


# -- the entry: the thread knows it without waiting for the script ------------------------------
def test_the_entry_is_what_lua_makes_of_every_byte(binary: redis.Redis) -> None:
    every_byte = bytes(range(256))
    assert in_flight_entry("default", every_byte) == lua_entry(binary, b"default", every_byte)
    for byte in range(256):
        data = b"a" + bytes([byte]) + b"z"
        assert in_flight_entry("q", data) == lua_entry(binary, b"q", data), byte


# The client is only read from: sharing it between examples is harmless.
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    queue=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-.0123456789", min_size=1), data=st.binary()
)
def test_the_entry_is_what_lua_makes_of_any_payload(
    binary: redis.Redis, queue: str, data: bytes
) -> None:
    assert in_flight_entry(queue, data) == lua_entry(binary, queue.encode(), data)


# -- taking and landing ---------------------------------------------------------------------------
def test_a_waiting_job_is_taken_and_lands_in_flight_marked_running(
    store: Store, raw: redis.Redis, landing: Landing
) -> None:
    store.queues.push("default", [payload("one", unique="app.Job:abc")])
    raw.set("resque:jobs:unique:app.Job:abc", "one")

    entry = landing.take(RUN_AT)
    # Taken, not landed yet: the thread notes the entry as its own first (housekeeping takes
    # an in-flight entry no thread knows for an orphan).
    assert raw.llen(LANDING) == 1 and raw.llen(INFLIGHT) == 0
    landing.land()

    assert landing.confirm() is True
    assert entry is not None and entry.decode() == raw.lindex(INFLIGHT, 0)
    assert raw.llen(LANDING) == 0 and raw.llen(QUEUE) == 0
    assert raw.hget("resque:jobs:status:one", "state") == "running"
    assert json.loads(raw.get(f"resque:worker:{WORKER}") or "{}")["run_at"] == RUN_AT
    assert not raw.exists("resque:jobs:unique:app.Job:abc")  # released as the copy starts


def test_an_idle_thread_takes_the_job_the_moment_it_is_pushed(
    store: Store, raw: redis.Redis, landing: Landing
) -> None:
    thread, taken = in_a_thread(landing)
    wait_for(lambda: blocked_clients(raw) == 1, what="the thread to wait inside Redis")

    store.queues.push("default", [payload("late")])
    thread.join(10)

    assert taken and taken[0] == in_flight_entry("default", payload("late"))
    landing.land()
    assert landing.confirm() is True
    assert raw.lrange(INFLIGHT, 0, -1) == [taken[0].decode()]


def test_the_worker_ends_a_wait_at_once(
    raw: redis.Redis, landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs.store.landing, "WAIT_SECONDS", 60.0)
    thread, taken = in_a_thread(landing)
    wait_for(lambda: blocked_clients(raw) == 1, what="the thread to wait inside Redis")

    landing.unblock()
    thread.join(10)

    assert not thread.is_alive() and taken == [None]


def test_a_wait_the_worker_no_longer_wants_ends_even_if_it_began_after_the_worker_asked(
    raw: redis.Redis, landing: Landing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs.store.landing, "WAIT_SECONDS", 60.0)
    taken: list[bytes | None] = []
    thread = threading.Thread(target=lambda: taken.append(landing.take(RUN_AT, lambda: False)))
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and taken == [None]


def test_what_a_thread_left_in_its_landing_list_goes_back_first(
    store: Store, raw: redis.Redis, landing: Landing
) -> None:
    raw.rpush(LANDING, payload("left-1"), payload("left-2"))  # it lost Redis before landing
    store.queues.push("default", [payload("next")])

    entry = landing.take(RUN_AT)

    assert entry == in_flight_entry("default", payload("left-1"))
    assert [json.loads(p)["id"] for p in raw.lrange(QUEUE, 0, -1)] == ["left-2", "next"]


def test_a_job_taken_by_a_worker_that_has_unregistered_goes_back_to_its_queue(
    store: Store, raw: redis.Redis
) -> None:
    landing = store.queues.landing("host:8:default", "default")  # never registered, or gone
    store.queues.push("default", [payload("orphan")])

    assert landing.take(RUN_AT) is not None
    landing.land()
    assert landing.confirm() is False

    assert [json.loads(p)["id"] for p in raw.lrange(QUEUE, 0, -1)] == ["orphan"]
    assert not raw.exists("resque:jobs:landing:host:8:default")
    assert not raw.exists("resque:jobs:inflight:host:8:default")
    landing.close()


def test_a_worker_with_a_job_in_its_landing_list_cannot_unregister(
    store: Store, raw: redis.Redis, registered: str
) -> None:
    raw.rpush(LANDING, payload("taking"))
    assert store.workers.unregister(registered) == "busy"
    assert store.queues.return_landing(registered, "default") == 1
    assert store.workers.unregister(registered) == "unregistered"


def test_a_dead_workers_landing_list_goes_back_to_its_queue(
    store: Store, settings: Settings, raw: redis.Redis, registered: str
) -> None:
    raw.rpush(LANDING, payload("taking"))
    raw.zadd("resque:jobs:heartbeats", {registered: 1000})

    assert Recovery(store, settings, []).recover_worker(registered, "1000", "no heartbeat") == 1

    assert [json.loads(p)["id"] for p in raw.lrange(QUEUE, 0, -1)] == ["taking"]
    assert registered not in raw.smembers("resque:workers")


# -- a worker -------------------------------------------------------------------------------------
def test_a_single_queue_thread_worker_waits_inside_redis_and_pauses_and_stops_at_once(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    long_waits = {"JOBS_IMPORT": "tests.jobs.sample_jobs,tests.jobs.landing_jobs"}
    worker = WorkerProcess(redis_url, "--queue", "default", "--threads", "2", env=long_waits)
    try:
        wait_for(lambda: blocked_clients(raw) == 2, what="both threads to wait inside Redis")
        client.enqueue(Record, "first")
        wait_for(lambda: done(raw) == ["first"], what="the job to run")
        wait_for(lambda: blocked_clients(raw) == 2, what="the thread to wait again")
        assert raw.keys("resque:jobs:landing:*") == []
        assert all(raw.llen(key) == 0 for key in raw.keys("resque:jobs:inflight:*"))

        worker.signal(signal.SIGUSR2)  # pause: no thread may take a job
        wait_for(lambda: blocked_clients(raw) == 0, what="the waits to end on pause")
        worker.signal(signal.SIGCONT)
        wait_for(lambda: blocked_clients(raw) == 2, what="the threads to wait again")

        worker.signal(signal.SIGQUIT)
        assert worker.wait(10) == 0
        assert blocked_clients(raw) == 0
        assert raw.smembers("resque:workers") == set()
    finally:
        worker.stop()


def test_a_worker_on_several_queues_waits_on_wake_ups_instead(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    worker = WorkerProcess(redis_url, "--queue", "default,other", "--threads", "2")
    try:
        worker.wait_registered(raw, 2)
        client.enqueue(Record, "woken")
        wait_for(lambda: done(raw) == ["woken"], what="the job to run")
        assert blocked_clients(raw) == 0
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait(10)
        worker.stop()


# -- the order of a thread's commands -----------------------------------------------------------
def landing_fetcher(store: Store, settings: Settings) -> BatchFetcher:
    landing = store.queues.landing(WORKER, "default")
    return BatchFetcher(store, settings, WORKER, lambda: ["default"], landing=landing)


def test_a_unique_job_starts_only_once_it_has_landed_and_released_its_lock(
    store: Store, settings: Settings, raw: redis.Redis, registered: str
) -> None:
    fetcher = landing_fetcher(store, settings)
    store.queues.push("default", [payload("u", unique="app.Job:abc"), payload("plain")])

    assert fetcher.wait() is not None
    assert fetcher.landing is not None and fetcher.landing.confirm() is None  # already read

    fetcher.forget()
    assert fetcher.wait() is not None
    assert fetcher.landing.confirm() is True  # a plain job starts without waiting for it


def test_a_failed_job_is_settled_after_its_landing(
    store: Store, settings: Settings, raw: redis.Redis, registered: str
) -> None:
    fetcher = landing_fetcher(store, settings)
    store.queues.push("default", [payload("bad")])
    delivery = fetcher.wait()
    assert delivery is not None

    BatchSettler(store, settings, fetcher).settle(delivery, Failed("Boom", "it broke"))

    assert fetcher.landing is not None and fetcher.landing.confirm() is None
    assert raw.llen(INFLIGHT) == 0
    assert [json.loads(r)["payload"]["id"] for r in raw.lrange("resque:failed", 0, -1)] == ["bad"]


def test_a_redis_user_that_may_not_unblock_leaves_the_wait_to_run_out(
    redis_url: str, raw: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw.acl_setuser(
        "no-unblock",
        enabled=True,
        passwords=["+pw"],
        keys=["*"],
        channels=["*"],
        commands=["+@all", "-client", "+client|id"],  # all but CLIENT UNBLOCK (Redis 6.2's way)
    )
    monkeypatch.setattr(jobs.store.landing, "WAIT_SECONDS", 0.5)
    store = Store(redis_url.replace("redis://", "redis://no-unblock:pw@", 1))
    store.workers.register(WORKER, "2026-11-30 12:00:00 +0000", RUN_AT)
    landing = store.queues.landing(WORKER, "default")
    try:
        thread, taken = in_a_thread(landing)
        wait_for(lambda: blocked_clients(raw) == 1, what="the thread to wait inside Redis")

        landing.unblock()  # refused by Redis: no error, the wait ends by itself
        thread.join(10)

        assert not thread.is_alive() and taken == [None]
    finally:
        landing.close()
        raw.acl_deluser("no-unblock")
