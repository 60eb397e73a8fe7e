"""Unique jobs (jobs/unique.py): at most one copy with the same arguments waits; the lock goes
when a worker takes the copy, expires in any case, and holds with two workers and a kill -9."""

from __future__ import annotations

import json
import signal

import pytest
import redis

import jobs
from jobs.client import Client
from jobs.job_class import NotAJobError
from jobs.store import Store
from tests.jobs.helpers import WorkerProcess, done, release, started, wait_for
from tests.jobs.sample_jobs import Record, UniqueHeld
from tests.jobs.test_worker import _alive

W = "host:100:default"
RUN_AT = "2026-11-29T12:00:00Z"
LOCK = "tests.jobs.sample_jobs.UniqueHeld:abc"


class Recount:
    queue = "counts"
    unique = True
    unique_for = 30

    @staticmethod
    def perform(*_args: object) -> None:
        pass


class NotForLong:
    queue = "counts"
    unique = True
    unique_for = 0

    @staticmethod
    def perform() -> None:
        pass


def waiting(raw: redis.Redis, queue: str = "counts") -> list[dict[str, object]]:
    return [json.loads(payload) for payload in raw.lrange(f"resque:queue:{queue}", 0, -1)]


def lock_keys(raw: redis.Redis) -> list[str]:
    return sorted(raw.scan_iter("resque:jobs:unique:*"))


# -- the scripts: enqueue_unique.lua, fetch.lua, release_unique.lua ------------------------------
def push(store: Store, job_id: str, lock_ms: int = 60_000) -> str:
    payload = json.dumps({"class": "app.Recount", "args": [], "id": job_id, "unique": LOCK})
    return store.queues.push_unique(
        "default", payload.encode(), job_id=job_id, lock=LOCK, lock_ms=lock_ms
    )


def test_a_copy_is_pushed_only_while_none_waits(store: Store, raw: redis.Redis) -> None:
    assert push(store, "first") == "first"
    assert push(store, "second") == "first"  # the waiting copy's id, nothing pushed
    assert [job["id"] for job in waiting(raw, "default")] == ["first"]
    assert raw.get(f"resque:jobs:unique:{LOCK}") == "first"
    assert 0 < raw.pttl(f"resque:jobs:unique:{LOCK}") <= 60_000
    assert raw.sismember("resque:queues", "default")


def test_taking_the_copy_releases_the_lock_so_a_change_during_the_run_queues_another(
    store: Store, raw: redis.Redis
) -> None:
    push(store, "first")
    [_taken] = store.queues.acknowledge_and_fetch(W, [], ["default"], RUN_AT, 1)[1]
    assert lock_keys(raw) == []
    assert push(store, "second") == "second"  # while "first" runs
    assert push(store, "third") == "second"


def test_a_copy_put_back_after_a_crash_leaves_the_newer_copys_lock_alone(
    store: Store, raw: redis.Redis
) -> None:
    push(store, "first")
    [entry] = store.queues.acknowledge_and_fetch(W, [], ["default"], RUN_AT, 1)[1]
    push(store, "second")
    assert store.queues.requeue(
        W, entry, "crash", crash_limit=3, crash_record=b"{}", keep_failed=10
    ) == "requeued"  # fmt: skip
    # "first" is at the front again (losing no work comes first) and is taken first ...
    store.queues.acknowledge_and_fetch(W, [entry], ["default"], RUN_AT, 1)
    # ... without releasing "second"'s lock: "second" still waits, alone.
    assert raw.get(f"resque:jobs:unique:{LOCK}") == "second"
    assert push(store, "third") == "second"


def test_a_lock_whose_copy_vanished_expires(store: Store, raw: redis.Redis) -> None:
    push(store, "lost", lock_ms=200)
    raw.delete("resque:queue:default")  # the copy vanishes without a worker taking it
    assert push(store, "blocked", lock_ms=200) == "lost"
    wait_for(lambda: push(store, "again") == "again", what="the lock to expire")


def test_release_unique_deletes_only_the_holders_lock(store: Store, raw: redis.Redis) -> None:
    push(store, "first")
    assert not store.queues.release_unique(LOCK, "someone else")
    assert raw.get(f"resque:jobs:unique:{LOCK}") == "first"
    assert store.queues.release_unique(LOCK, "first")
    assert lock_keys(raw) == []


# -- the client -----------------------------------------------------------------------------------
@pytest.mark.usefixtures("client")
def test_enqueue_returns_the_waiting_copys_id_and_adds_nothing(raw: redis.Redis) -> None:
    first = jobs.enqueue(Recount)
    assert [jobs.enqueue(Recount) for _ in range(5)] == [first] * 5
    other = jobs.enqueue(Recount, "other")  # other arguments, another lock
    assert other != first
    assert [job["id"] for job in waiting(raw)] == [first, other]
    locks = {f"resque:jobs:unique:{job['unique']}": job["id"] for job in waiting(raw)}
    assert {key: raw.get(key) for key in lock_keys(raw)} == locks


@pytest.mark.usefixtures("client")
def test_arguments_are_compared_as_json(raw: redis.Redis) -> None:
    first = jobs.enqueue(Recount, {"a": 1, "b": 2})
    assert jobs.enqueue(Recount, {"b": 2, "a": 1}) == first
    assert jobs.enqueue(Recount, {"a": True, "b": 2}) != first  # true is not 1 in JSON
    assert len(waiting(raw)) == 2


@pytest.mark.usefixtures("client")
def test_a_job_that_is_not_unique_keeps_resques_payload(raw: redis.Redis) -> None:
    jobs.enqueue(Record, 1)
    jobs.enqueue(Record, 1)
    payloads = waiting(raw, "default")
    assert len(payloads) == 2
    assert all(set(p) == {"class", "args", "id", "enqueued_at"} for p in payloads)
    assert lock_keys(raw) == []


@pytest.mark.usefixtures("client")
def test_the_lock_lives_unique_for_seconds(raw: redis.Redis) -> None:
    jobs.enqueue(Recount)
    assert 29_000 < raw.pttl(lock_keys(raw)[0]) <= 30_000


@pytest.mark.usefixtures("client")
def test_a_unique_for_that_is_not_a_positive_number_is_refused(raw: redis.Redis) -> None:
    with pytest.raises(NotAJobError, match=r"NotForLong.unique_for is 0: give the seconds"):
        jobs.enqueue(NotForLong)
    assert waiting(raw) == [] and lock_keys(raw) == []


@pytest.mark.usefixtures("client")
def test_an_argument_json_cannot_carry_is_refused_by_name(raw: redis.Redis) -> None:
    with pytest.raises(jobs.JobArgumentError, match=r"argument 2 .* is a set"):
        jobs.enqueue(Recount, "fine", {1, 2})
    assert waiting(raw) == [] and lock_keys(raw) == []


def test_cancel_and_dequeue_release_the_lock(client: Client, raw: redis.Redis) -> None:
    first = jobs.enqueue(Recount)
    assert first is not None
    jobs.cancel(first)
    second = jobs.enqueue(Recount)
    assert second != first
    assert jobs.dequeue(Recount) == 1
    assert lock_keys(raw) == []
    assert jobs.enqueue(Recount) not in (first, second)


def test_enqueue_many_takes_each_jobs_lock(client: Client, raw: redis.Redis) -> None:
    ids = client.enqueue_many(Recount, [[1], [2], [1]])
    assert ids[0] == ids[2] and ids[0] != ids[1]
    assert len(waiting(raw)) == 2


# -- real workers ----------------------------------------------------------------------------------
def test_with_two_workers_at_most_one_copy_waits_and_a_change_during_a_run_gets_its_run(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    """Bursts of enqueues while two workers take copies: never more than one copy waits, and
    a copy enqueued while others run runs too (two running and one waiting: three in all)."""
    workers = [WorkerProcess(redis_url, "--queue", "default") for _ in range(2)]
    ids: set[str | None] = set()

    def burst() -> None:
        for _ in range(10):
            ids.add(jobs.enqueue(UniqueHeld, "u"))
            assert raw.llen("resque:queue:default") <= 1, "two copies wait"

    try:
        for workers_busy in (1, 2):
            burst()
            wait_for(lambda n=workers_busy: len(started(raw)) >= n, what=f"{workers_busy} runs")
        burst()  # both workers are busy now: the burst leaves one copy waiting
        assert raw.llen("resque:queue:default") == 1 and len(ids) == 3
        for _ in range(3):
            release(raw, "u")
        wait_for(lambda: len(done(raw)) == 3, what="the three copies to finish")
        assert len(started(raw)) == 3 and raw.llen("resque:queue:default") == 0
        assert lock_keys(raw) == []
    finally:
        for _ in range(5):
            release(raw, "u")  # a failed check leaves no job holding its worker
        for worker in workers:
            worker.signal(signal.SIGQUIT)
            worker.wait()


def test_a_worker_killed_mid_job_leaves_no_lock_behind(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    """kill -9 while a unique job runs: enqueueing it works at once (the lock went when the job
    started), and the killed copy is put back and runs too."""
    jobs.enqueue(UniqueHeld, "k")
    victim = WorkerProcess(redis_url, "--queue", "default")
    wait_for(lambda: started(raw), what="the job to start")
    child_pid = int(started(raw)[0].split()[1])
    victim.signal(signal.SIGKILL)
    victim.wait()
    # Its child dies with it (else it could take a release meant for the copies below).
    wait_for(lambda: not _alive(child_pid), what="the child to die with its worker")
    again = jobs.enqueue(UniqueHeld, "k")
    assert jobs.enqueue(UniqueHeld, "k") == again
    rescuer = WorkerProcess(redis_url, "--queue", "default")
    try:
        release(raw, "k")  # one release for each copy: the killed one and the new one
        release(raw, "k")
        wait_for(lambda: len(done(raw)) == 2, what="both copies to run", timeout=30)
        assert len(started(raw)) == 3  # the first run, killed, and the two copies
        assert lock_keys(raw) == []
        assert jobs.enqueue(UniqueHeld, "k") not in (again, None)
    finally:
        for _ in range(5):
            release(raw, "k")
        rescuer.signal(signal.SIGQUIT)
        rescuer.wait()
