"""Recovery of a dead worker's jobs, in one process against a real Redis: only a job known to
have been running is counted against, and a job held in a batch at a death is next run alone."""

from __future__ import annotations

import json
import socket

import redis

from jobs.recovery import Recovery
from jobs.settings import Settings
from jobs.store import Store

DEAD = "host:1:default"
RUN_AT = "2026-11-29T12:00:00Z"


def payload(name: str) -> bytes:
    return json.dumps({"class": "app.Job", "args": [name], "id": name}).encode()


def hold(store: Store, worker_id: str, names: list[str]) -> None:
    """``worker_id`` takes these jobs (as one batch) and then dies: its heartbeat is old."""
    store.queues.push("default", [payload(name) for name in names])
    taken = store.queues.acknowledge_and_fetch(worker_id, [], ["default"], RUN_AT, len(names))[1]
    assert len(taken) == len(names)


def recover(store: Store, settings: Settings, raw: redis.Redis, worker_id: str = DEAD) -> int:
    raw.zadd("resque:jobs:heartbeats", {worker_id: 1000})
    return Recovery(store, settings, []).recover_worker(worker_id, "1000", "no heartbeat")


def waiting(raw: redis.Redis) -> list[str]:
    return [json.loads(p)["id"] for p in raw.lrange("resque:queue:default", 0, -1)]


def crash_counts(raw: redis.Redis) -> list[int]:
    return sorted(int(count) for count in raw.hvals("resque:jobs:crashes"))


def test_the_one_job_a_dead_worker_held_was_running_and_is_counted(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    hold(store, DEAD, ["only"])

    assert recover(store, settings, raw) == 1

    assert waiting(raw) == ["only"]
    assert crash_counts(raw) == [1]


def test_a_dead_workers_batch_goes_back_uncounted_but_marked(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    hold(store, DEAD, ["a", "b", "c"])

    assert recover(store, settings, raw) == 3

    assert sorted(waiting(raw)) == ["a", "b", "c"]
    assert crash_counts(raw) == [0, 0, 0]  # marked, none counted


def test_a_marked_job_is_taken_alone_and_ends_the_batch_before_it(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    hold(store, DEAD, ["m1", "m2"])
    recover(store, settings, raw)  # m1 and m2 marked, back on the queue
    store.queues.push("default", [payload("x"), payload("y")])
    worker = f"{socket.gethostname()}:2:default"
    queue_order = waiting(raw)

    batches = []
    while batch := store.queues.acknowledge_and_fetch(worker, [], ["default"], RUN_AT, 16)[1]:
        batches.append([json.loads(json.loads(entry)[1])["id"] for entry in batch])
        store.queues.acknowledge_and_fetch(worker, batch, [], RUN_AT, 0)

    assert batches == [[queue_order[0]], [queue_order[1]], ["x", "y"]]
    assert crash_counts(raw) == []  # acknowledged: the marks are gone


def test_a_worker_died_record_says_why_the_worker_was_thought_dead(
    store: Store, raw: redis.Redis, redis_url: str
) -> None:
    settings = Settings(redis_url=redis_url, crash_limit=1)
    hold(store, DEAD, ["only"])

    recover(store, settings, raw)

    [record] = [json.loads(stored) for stored in raw.lrange("resque:failed", 0, -1)]
    assert record["exception"] == "WorkerDied"
    assert record["error"].endswith("(the last time: no heartbeat)")
