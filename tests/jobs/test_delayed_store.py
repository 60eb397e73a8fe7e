"""The delayed jobs' Lua scripts (for later, and retries), each through its typed wrapper in
:mod:`jobs.store.delayed`, checked key by key against a real Redis."""

from __future__ import annotations

import json

import pytest
import redis

from jobs.fetch import Fetcher
from jobs.settings import Settings
from jobs.store import Store
from jobs.store.delayed import make_entry
from jobs.store.queues import SCHEDULER_WAKEUP
from tests.jobs.helpers import wait_for

W = "host:100:default"
P1 = b'{"class":"app.Mail","args":[1],"id":"aaa","enqueued_at":1.5}'
P2 = b'{"class":"app.Mail","args":[2],"id":"bbb","enqueued_at":2.5}'
P3 = b'{"class":"app.Mail","args":[3],"id":"ccc","enqueued_at":3.5}'
T = 1_800_000_000_000  # a fixed "now", Unix ms


def zset(raw: redis.Redis, key: str = "resque:jobs:scheduled") -> list[tuple[str, float]]:
    return raw.zrange(key, 0, -1, withscores=True)  # type: ignore[return-value]


def entry(queue: str, payload: bytes) -> str:
    return make_entry(queue, payload).decode()


def listen(raw: redis.Redis, channel: str) -> redis.client.PubSub:
    listener = raw.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel)
    wait_for(lambda: raw.pubsub_numsub(channel)[0][1] == 1, what="the subscription")
    return listener


def messages(listener: redis.client.PubSub, count: int) -> list[str]:
    """The next ``count`` messages, then a check that no other follows."""
    found: list[str] = []

    def read() -> bool:
        message = listener.get_message(timeout=0.05)
        if message is not None:
            found.append(message["data"])
        return len(found) >= count

    if count:
        wait_for(read, what=f"{count} messages")
    assert listener.get_message(timeout=0.05) is None
    return found


# -- schedule.lua ---------------------------------------------------------------------------------
def test_schedule_adds_the_entry_scored_by_its_due_time(store: Store, raw: redis.Redis) -> None:
    assert store.delayed.schedule("mail", P1, at_ms=T + 5000, now_ms=T) == "scheduled"
    assert store.delayed.schedule("low", P2, in_ms=2000, now_ms=T) == "scheduled"

    assert zset(raw) == [(entry("low", P2), T + 2000), (entry("mail", P1), T + 5000)]
    assert raw.keys("resque:queue*") == []


@pytest.mark.parametrize("when", [{"at_ms": T}, {"at_ms": T - 1}, {"in_ms": 0}, {"in_ms": -5}])
def test_schedule_enqueues_at_once_what_is_due(
    store: Store, raw: redis.Redis, when: dict[str, int]
) -> None:
    woken = listen(raw, "resque:jobs:wakeup:mail")

    assert store.delayed.schedule("mail", P1, now_ms=T, **when) == "enqueued"  # type: ignore[arg-type]

    assert raw.lrange("resque:queue:mail", 0, -1) == [P1.decode()]
    assert raw.smembers("resque:queues") == {"mail"} and zset(raw) == []
    assert messages(woken, 1) == ["mail"]


def test_schedule_counts_from_redis_time_when_not_told_otherwise(
    store: Store, raw: redis.Redis
) -> None:
    seconds, micros = raw.time()
    before = seconds * 1000 + micros // 1000

    store.delayed.schedule("mail", P1, in_ms=60_000)

    [(_, due)] = zset(raw)
    assert before + 60_000 <= due < before + 61_000


def test_schedule_wakes_the_schedulers_only_for_a_new_soonest_job(
    store: Store, raw: redis.Redis
) -> None:
    woken = listen(raw, "resque:jobs:scheduler:wakeup")

    store.delayed.schedule("mail", P1, at_ms=T + 5000, now_ms=T)
    store.delayed.schedule("mail", P2, at_ms=T + 9000, now_ms=T)
    store.delayed.schedule("mail", P3, at_ms=T + 1000, now_ms=T)

    assert messages(woken, 2) == [str(T + 5000), str(T + 1000)]


# -- move_due.lua ---------------------------------------------------------------------------------
def test_move_due_moves_due_jobs_in_order_and_reports_the_next(
    store: Store, raw: redis.Redis
) -> None:
    store.delayed.schedule("mail", P1, at_ms=T + 2000, now_ms=0)
    store.delayed.schedule("low", P2, at_ms=T + 1000, now_ms=0)
    store.delayed.schedule("mail", P3, at_ms=T + 9000, now_ms=0)
    woken = listen(raw, "resque:jobs:wakeup:mail")

    moved = store.delayed.move_due("scheduled", now_ms=T + 2000)

    assert (moved.moved, moved.now_ms, moved.next_due_ms, moved.full_batch) == (
        2,
        T + 2000,
        T + 9000,
        False,
    )
    assert raw.lrange("resque:queue:mail", 0, -1) == [P1.decode()]
    assert raw.lrange("resque:queue:low", 0, -1) == [P2.decode()]
    assert raw.smembers("resque:queues") == {"mail", "low"}
    assert zset(raw) == [(entry("mail", P3), T + 9000)]
    assert messages(woken, 1) == ["mail"]


def test_move_due_moves_nothing_before_its_time(store: Store, raw: redis.Redis) -> None:
    store.delayed.schedule("mail", P1, at_ms=T, now_ms=0)

    moved = store.delayed.move_due("scheduled", now_ms=T - 1)

    assert (moved.moved, moved.next_due_ms) == (0, T)
    assert raw.llen("resque:queue:mail") == 0


def test_move_due_takes_a_batch_at_a_time(store: Store, raw: redis.Redis) -> None:
    payloads = [json.dumps({"class": "a.B", "args": [n], "id": str(n)}).encode() for n in range(5)]
    for n, payload in enumerate(payloads):
        store.delayed.schedule("mail", payload, at_ms=T + n, now_ms=0)

    first = store.delayed.move_due("scheduled", now_ms=T + 10, batch=3)
    second = store.delayed.move_due("scheduled", now_ms=T + 10, batch=3)

    assert (first.moved, first.full_batch, second.moved, second.full_batch) == (3, True, 2, False)
    assert raw.lrange("resque:queue:mail", 0, -1) == [p.decode() for p in payloads]
    assert second.next_due_ms is None


def test_move_due_uses_redis_time_when_not_told_otherwise(store: Store, raw: redis.Redis) -> None:
    store.delayed.schedule("mail", P1, at_ms=T, now_ms=0)  # 2027: not due yet by Redis's clock
    store.delayed.schedule("mail", P2, at_ms=1_000, now_ms=0)  # 1970: long due

    moved = store.delayed.move_due("scheduled")

    assert moved.moved == 1 and raw.lrange("resque:queue:mail", 0, -1) == [P2.decode()]
    seconds, _ = raw.time()
    assert abs(moved.now_ms - seconds * 1000) < 2000


def test_move_due_skips_a_job_another_loop_took_meanwhile(store: Store, raw: redis.Redis) -> None:
    store.delayed.schedule("mail", P1, at_ms=T, now_ms=0)
    store.delayed.schedule("mail", P2, at_ms=T, now_ms=0)
    raw.zrem("resque:jobs:scheduled", entry("mail", P1))  # as if another loop had moved it

    assert store.delayed.move_due("scheduled", now_ms=T).moved == 1
    assert raw.lrange("resque:queue:mail", 0, -1) == [P2.decode()]


def test_move_due_leaves_members_it_cannot_read(store: Store, raw: redis.Redis) -> None:
    raw.zadd("resque:jobs:scheduled", {"not json": 1, entry("mail", P1): 2})

    assert store.delayed.move_due("scheduled", now_ms=T).moved == 1
    assert raw.zrange("resque:jobs:scheduled", 0, -1) == ["not json"]


# -- retry.lua ------------------------------------------------------------------------------------
def test_retry_moves_an_in_flight_job_into_the_retries_set_and_counts_it(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    store.queues.push("default", [P1])
    delivery = Fetcher(store, settings, lambda: ["default"]).fetch(W)
    assert delivery is not None
    retried = b'{"class":"app.Mail","args":[1],"id":"aaa","retry_count":1}'
    woken = listen(raw, "resque:jobs:scheduler:wakeup")

    assert store.delayed.retry(W, delivery.entry, retried, 30_000, now_ms=T)

    assert zset(raw, "resque:jobs:retries") == [(entry("default", retried), T + 30_000)]
    assert raw.llen(f"resque:jobs:inflight:{W}") == 0 and raw.get(f"resque:worker:{W}") is None
    for stat in ("processed", "failed", f"processed:{W}", f"failed:{W}"):
        assert raw.get(f"resque:stat:{stat}") == "1", stat
    assert len(raw.keys("resque:jobs:history:*")) == 2
    assert messages(woken, 1) == [str(T + 30_000)]
    # A second try finds it gone from flight, and changes nothing.
    assert not store.delayed.retry(W, delivery.entry, retried, 30_000, now_ms=T)
    assert raw.get("resque:stat:failed") == "1"


# -- enqueue_scheduled.lua, remove, find ----------------------------------------------------------
def test_enqueue_now_moves_one_waiting_job_whatever_its_time(
    store: Store, raw: redis.Redis
) -> None:
    store.delayed.schedule("mail", P1, at_ms=T, now_ms=0)
    [member] = store.delayed.find("scheduled", "aaa")

    assert store.delayed.enqueue_now("scheduled", member)
    assert not store.delayed.enqueue_now("scheduled", member)

    assert raw.lrange("resque:queue:mail", 0, -1) == [P1.decode()] and zset(raw) == []


def test_find_matches_glob_characters_literally(store: Store) -> None:
    store.delayed.schedule("mail", P1, at_ms=T, now_ms=0)

    assert store.delayed.find("scheduled", "a*a") == []
    assert store.delayed.find("scheduled", "[a]") == []
    assert len(store.delayed.find("scheduled", "aaa")) == 1


def test_remove_and_page(store: Store) -> None:
    for due, payload in ((3, P3), (1, P1), (2, P2)):
        store.delayed.schedule("mail", payload, at_ms=T + due, now_ms=0)

    assert [due for _, due in store.delayed.page("scheduled", 1, 5)] == [T + 2, T + 3]
    assert store.delayed.remove("scheduled", make_entry("mail", P2))
    assert not store.delayed.remove("scheduled", make_entry("mail", P2))
    assert store.delayed.count("scheduled") == 2


# -- the wake-up subscription ---------------------------------------------------------------------
def test_a_subscription_with_the_scheduler_reports_its_wakeups_apart(
    store: Store, raw: redis.Redis
) -> None:
    subscription = store.queues.wakeups(["mail"], False, scheduler=True)
    wait_for(lambda: raw.pubsub_numsub("resque:jobs:scheduler:wakeup")[0][1] == 1)

    store.delayed.schedule("mail", P1, at_ms=T, now_ms=0)
    store.queues.push("mail", [P2])

    seen: list[str] = []
    wait_for(lambda: seen.extend(subscription.wait([], 0.1)) or len(seen) >= 2)
    subscription.close()
    assert seen == [SCHEDULER_WAKEUP, "mail"]
