"""The batch fetcher of a worker thread: it takes quick jobs several at a time, acknowledges them
with its next round trip, and gives back what it holds when asked; whatever it holds is in its
in-flight list in Redis all along."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
import redis

from jobs import fetch
from jobs.fetch import MAX_BATCH, BatchFetcher, Delivery, Fetcher
from jobs.runners import ThreadRunner
from jobs.settings import Settings
from jobs.settle import BatchSettler, Done, Settle, Settler
from jobs.store import Store, entry_parts
from tests.jobs.helpers import wait_for

W = "host:100-1:default"


def payloads(count: int) -> list[bytes]:
    return [
        json.dumps({"class": "app.Job", "args": [n], "id": str(n)}).encode() for n in range(count)
    ]


def args_of(delivery: Delivery | None) -> int:
    assert delivery is not None
    return int(delivery.decoded().args[0])


class StepClock:
    """A clock that moves ``step`` seconds each time it is read: how long every job seems to
    take, whatever the machine is doing (0: every job is instant)."""

    def __init__(self, step: float = 0.0) -> None:
        self.step, self.now = step, 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class Thread:
    """Drives a BatchFetcher the way a worker thread does, with ``queues`` to pause it."""

    def __init__(self, store: Store, settings: Settings, job_seconds: float = 0.0) -> None:
        self.queues = ["default"]
        clock = StepClock(job_seconds)
        self.fetcher = BatchFetcher(store, settings, W, lambda: self.queues, clock)
        first = Fetcher(store, settings, lambda: self.queues).fetch(W)
        assert first is not None
        self.fetcher.begin(first)
        self.settler = BatchSettler(store, settings, self.fetcher)
        self.current: Delivery | None = first

    def finish_and_go_on(self) -> Delivery | None:
        assert self.current is not None
        assert self.settler.acknowledge(self.current)
        self.current = self.fetcher.next()
        return self.current


def processed(raw: redis.Redis) -> int:
    return int(raw.get("resque:stat:processed") or 0)


def in_flight(store: Store) -> list[bytes]:
    return store.queues.inflight(W)


def test_a_thread_running_quick_jobs_takes_the_next_ones_in_a_batch(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    store.queues.push("default", payloads(40))
    thread = Thread(store, settings)

    assert args_of(thread.finish_and_go_on()) == 1

    assert len(in_flight(store)) == MAX_BATCH
    assert [int(json.loads(entry_parts(e)[1])["args"][0]) for e in in_flight(store)] == list(
        range(1, 1 + MAX_BATCH)
    )
    assert thread.fetcher.known() == in_flight(store)
    assert processed(raw) == 1


def test_acknowledgements_wait_for_the_round_trip_that_takes_the_next_batch(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    store.queues.push("default", payloads(40))
    thread = Thread(store, settings)
    thread.finish_and_go_on()  # job 0 acknowledged; jobs 1..16 taken

    ran = [args_of(thread.current)]
    for _ in range(MAX_BATCH - 1):
        ran.append(args_of(thread.finish_and_go_on()))
        assert processed(raw) == 1
    assert len(thread.fetcher.known() or []) == MAX_BATCH  # running + finished, all in flight

    assert args_of(thread.finish_and_go_on()) == 1 + MAX_BATCH

    assert ran == list(range(1, 1 + MAX_BATCH))
    assert processed(raw) == 1 + MAX_BATCH
    assert thread.fetcher.known() == in_flight(store)


def test_slow_jobs_are_taken_one_at_a_time(store: Store, settings: Settings) -> None:
    store.queues.push("default", payloads(5))
    thread = Thread(store, settings, job_seconds=fetch.BATCH_SECONDS * 2)

    for n in range(1, 5):
        assert args_of(thread.finish_and_go_on()) == n
        assert len(in_flight(store)) == 1
    assert thread.finish_and_go_on() is None
    assert in_flight(store) == []


def test_jobs_of_middling_speed_are_taken_as_many_as_fit_in_a_batchs_time(
    store: Store, settings: Settings
) -> None:
    store.queues.push("default", payloads(40))
    thread = Thread(store, settings, job_seconds=fetch.BATCH_SECONDS / 4.5)  # 4.5 fit: take 4

    thread.finish_and_go_on()

    assert len(in_flight(store)) == 4


def test_a_fixed_batch_size_in_the_settings_wins_over_the_jobs_speed(
    store: Store, settings: Settings
) -> None:
    store.queues.push("default", payloads(40))
    fixed = dataclasses.replace(settings, batch_size=3)
    thread = Thread(store, fixed, job_seconds=fetch.BATCH_SECONDS * 2)  # slow: one at a time

    thread.finish_and_go_on()

    assert len(in_flight(store)) == 3


def test_pausing_gives_back_what_the_thread_holds_in_order_and_acknowledges_what_it_ran(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    store.queues.push("default", payloads(5))
    thread = Thread(store, settings)
    thread.finish_and_go_on()  # runs job 1, holds 2, 3, 4
    thread.queues = []  # the worker pauses (or stops)

    assert thread.finish_and_go_on() is None

    assert [json.loads(p)["args"] for p in raw.lrange("resque:queue:default", 0, -1)] == [
        [2],
        [3],
        [4],
    ]
    assert in_flight(store) == [] and thread.fetcher.known() == []
    assert processed(raw) == 2
    assert not raw.exists(f"resque:worker:{W}")
    assert raw.hlen("resque:jobs:crashes") == 0


def test_a_slow_job_gives_back_the_jobs_taken_with_it_and_shows_in_the_working_record(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    store.queues.push("default", payloads(5))
    thread = Thread(store, settings)
    thread.finish_and_go_on()  # job 1 runs: the working record names it
    running = thread.finish_and_go_on()  # job 2 runs: the record still names job 1
    assert running is not None and args_of(running) == 2

    assert thread.fetcher.give_back(if_running_for=60.0) == 0  # it has not run that long
    assert len(in_flight(store)) == 4

    assert thread.fetcher.give_back(if_running_for=1e-9) == 2

    assert [json.loads(p)["args"] for p in raw.lrange("resque:queue:default", 0, -1)] == [[3], [4]]
    record = json.loads(raw.get(f"resque:worker:{W}"))  # type: ignore[arg-type]
    assert record["payload"]["args"] == [2]
    assert sorted(thread.fetcher.known() or []) == sorted(in_flight(store))
    assert thread.finish_and_go_on() is not None  # it goes on with the queue as it is now


def test_a_job_put_back_meanwhile_by_another_worker_is_reported_and_not_counted(
    store: Store, settings: Settings, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store.queues.push("default", payloads(3))
    thread = Thread(store, settings)
    assert thread.current is not None
    assert store.queues.give_back(W, [thread.current.entry]) == 1  # as if this worker were dead

    with caplog.at_level(logging.WARNING, logger="jobs.worker"):
        assert args_of(thread.finish_and_go_on()) == 0  # the same job, taken again

    assert "another worker had already put it back" in caplog.text
    assert processed(raw) == 0


def test_known_is_none_while_a_round_trip_may_be_taking_jobs(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.queues.push("default", payloads(3))
    thread = Thread(store, settings)
    seen: list[object] = []
    real = store.queues.acknowledge_and_fetch

    def spied(*args: object, **kwargs: object) -> object:
        seen.append(thread.fetcher.known())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.queues, "acknowledge_and_fetch", spied)
    thread.finish_and_go_on()

    assert seen == [None]
    assert thread.fetcher.known() == in_flight(store)


def test_a_round_trip_that_fails_forgets_the_batch_so_housekeeping_puts_it_back(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.queues.push("default", payloads(3))
    thread = Thread(store, settings)

    def lost(*args: object, **kwargs: object) -> object:
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(store.queues, "acknowledge_and_fetch", lost)
    with pytest.raises(redis.ConnectionError):
        thread.finish_and_go_on()

    assert thread.fetcher.known() == []  # nothing held: its in-flight entries are orphans
    assert len(in_flight(store)) == 1  # still in flight in Redis, where housekeeping finds it


def test_a_thread_that_loses_redis_while_settling_lets_go_of_its_batch(
    store: Store, settings: Settings
) -> None:
    store.queues.push("default", payloads(5))
    fetcher = BatchFetcher(store, settings, W, lambda: ["default"])
    performed: list[int] = []

    def perform(delivery: Delivery, settle: Settle) -> None:
        performed.append(args_of(delivery))
        if len(performed) == 2:  # job 1, the first of the batch: Redis is gone as it fails
            raise redis.ConnectionError("Redis went away")
        settle(delivery, Done())

    runner = ThreadRunner(
        [fetcher],
        Settler(store, settings),
        perform,
        wake=lambda: None,
        timeout_of=lambda _: None,
        redis_lost=print,
    )
    first = Fetcher(store, settings, lambda: ["default"]).fetch(W)
    assert first is not None
    runner.start(W, first, None)

    wait_for(runner.collect, what="the thread to give up and go idle")

    assert performed == [0, 1]
    assert runner.known_entries() == {W: []}  # job 1 was running, 2..4 held: orphans now
    assert len(in_flight(store)) == 4  # still in flight in Redis, for housekeeping to put back
