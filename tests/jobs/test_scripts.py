"""The Lua scripts, each through its typed wrapper in :mod:`jobs.store`: every change to several
keys at once, checked key by key against a real Redis."""

from __future__ import annotations

import hashlib
import inspect
import json
import time

import pytest
import redis

from jobs.failures import failure_record
from jobs.fetch import Fetcher
from jobs.settings import Settings
from jobs.settle import Settler
from jobs.store import Store
from jobs.store.scripts import LUA_DIR, TAKE_CONNECTION_ARGS, Scripts, lua_source

W = "host:100:high,low"
OTHER = "host:200:high,low"
RUN_AT = "2026-11-26T19:32:07Z"
STARTED = "2026-11-26 20:32:07 +0100"
BEAT = "2026-11-26T19:32:07Z"
P1 = b'{"class":"app.Mail","args":[1],"id":"aaa","enqueued_at":1.5}'
P2 = b'{"class":"app.Mail","args":[2],"id":"bbb","enqueued_at":2.5}'
P3 = b'{"class":"app.Mail","args":[3],"id":"ccc","enqueued_at":3.5}'
RECORD = b'{"failed_at":"2026/11/26 19:32:07 UTC","id":"aaa"}'


# Still positional: its script is changing under other work (pickup in one round trip).
POSITIONAL_FOR_NOW = {"fetch"}


def test_each_script_wrapper_takes_its_values_by_name() -> None:
    """Callers never spell out a script's KEYS/ARGV order: each wrapper builds it."""
    positional = {
        name: [p.name for p in params if p.kind is not p.KEYWORD_ONLY]
        for name, method in inspect.getmembers(Scripts, inspect.isfunction)
        if not name.startswith("_")
        for params in [list(inspect.signature(method).parameters.values())[1:]]
    }

    assert {name: names for name, names in positional.items() if names} == {
        name: positional[name] for name in POSITIONAL_FOR_NOW
    }


def entry_of(queue: str, payload: bytes) -> bytes:
    return json.dumps([queue, payload.decode()], separators=(",", ":")).encode()


def crash_count(raw: redis.Redis, entry: bytes) -> str | None:
    return raw.hget("resque:jobs:crashes", hashlib.sha1(entry).hexdigest())  # type: ignore[return-value]


def requeue(
    store: Store,
    entry: bytes,
    reason: str,
    worker: str = W,
    *,
    crash_limit: int = 3,
    keep_failed: int = 100,
    expected_beat: str = "",
) -> str:
    return store.queues.requeue(
        worker,
        entry,
        reason,  # type: ignore[arg-type]
        crash_limit=crash_limit,
        crash_record=RECORD,
        keep_failed=keep_failed,
        expected_beat=expected_beat,
    )


# -- loading ------------------------------------------------------------------------------------
def test_a_script_redis_does_not_know_is_loaded_and_run_on_first_use(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])  # Redis knows enqueue.lua now
    raw.script_flush()  # as after a restart without persistence

    assert store.queues.push("high", [P2]) == 2

    assert raw.lrange("resque:queue:high", 0, -1) == [P1.decode(), P2.decode()]
    assert raw.script_exists(hashlib.sha1(lua_source("enqueue").encode()).hexdigest()) == [True]


# -- the call: on a pooled connection, past redis-py's generic path ------------------------------
def fail_next_reply(store: Store, error: BaseException) -> list[bool]:
    """The next script call sends its command, then meets ``error`` instead of its reply (which
    Redis still sends: it waits, unread, on that connection). Returns a list that gets an item
    when that connection is closed."""
    pool = store.client.connection_pool
    connection = pool.get_connection(*TAKE_CONNECTION_ARGS)  # as the scripts take theirs
    read, disconnect = connection.read_response, connection.disconnect
    closed: list[bool] = []

    def failing(*args: object, **kwargs: object) -> object:
        connection.read_response = read  # type: ignore[method-assign]
        raise error

    def closing(*args: object, **kwargs: object) -> None:
        closed.append(True)
        disconnect(*args, **kwargs)

    connection.read_response = failing  # type: ignore[method-assign]
    connection.disconnect = closing  # type: ignore[method-assign]
    pool.release(connection)  # the next call takes this one: the pool hands out the last first
    return closed


def test_a_call_interrupted_before_its_reply_closes_its_connection(store: Store) -> None:
    """Its reply may yet arrive: on a connection used again, the next call would read it.
    (Whether the script ran is not known: Redis may see the connection close first.)"""
    closed = fail_next_reply(store, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        store.queues.push("a", [P1, P2, P3])

    assert closed
    assert store.queues.push("b", [P1]) == 1  # its own reply, not the 3 of the call before


def test_a_connection_that_breaks_during_a_call_is_closed_and_the_call_made_again(
    store: Store, raw: redis.Redis
) -> None:
    """As redis-py's own retry does: the script had run, so it runs twice (a job is delivered
    at least once); each reply is read on a fresh connection, in step."""
    closed = fail_next_reply(store, redis.ConnectionError("Connection reset by peer"))

    assert store.queues.push("a", [P1]) == 2
    assert closed
    assert store.queues.push("b", [P1]) == 1
    assert raw.llen("resque:queue:a") == 2


def test_a_connection_redis_closed_is_replaced_without_an_error(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("a", [P1])
    assert raw.client_kill_filter(_type="normal", skipme=True) >= 1  # as a restart would

    assert store.queues.push("a", [P2]) == 2


def test_an_error_the_script_raises_reaches_the_caller_and_the_connection_stays_in_step(
    store: Store, raw: redis.Redis
) -> None:
    raw.set("resque:queue:a", "not a list")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        store.queues.push("a", [P1])

    assert store.queues.push("b", [P1, P2]) == 2


# -- push (enqueue.lua) -------------------------------------------------------------------------
def test_push_appends_names_the_queue_and_returns_its_length(
    store: Store, raw: redis.Redis
) -> None:
    assert store.queues.push("low", [P1, P2]) == 2
    assert store.queues.push("low", [P3]) == 3

    assert raw.lrange("resque:queue:low", 0, -1) == [p.decode() for p in (P1, P2, P3)]
    assert raw.smembers("resque:queues") == {"low"}


def test_push_keeps_order_across_script_calls(store: Store, raw: redis.Redis) -> None:
    payloads = [str(n).encode() for n in range(2345)]

    assert store.queues.push("bulk", payloads) == 2345

    assert raw.lrange("resque:queue:bulk", 0, -1) == [str(n) for n in range(2345)]


def test_push_publishes_the_queue_name_on_its_wakeup_channel(
    store: Store, raw: redis.Redis
) -> None:
    pubsub = raw.pubsub()
    pubsub.subscribe("resque:jobs:wakeup:low")
    try:
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]

        store.queues.push("low", [P1])

        message = pubsub.get_message(timeout=5)
        assert message is not None
        assert (message["channel"], message["data"]) == ("resque:jobs:wakeup:low", "low")
    finally:
        pubsub.close()


# -- fetch.lua ----------------------------------------------------------------------------------
def test_fetch_takes_from_the_first_non_empty_queue_in_the_order_given(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("low", [P1])
    store.queues.push("high", [P2, P3])

    assert store.queues.fetch(W, ["empty", "high", "low"], RUN_AT) == entry_of("high", P2)
    assert store.queues.fetch(W, ["empty", "high", "low"], RUN_AT) == entry_of("high", P3)
    assert store.queues.fetch(W, ["empty", "high", "low"], RUN_AT) == entry_of("low", P1)
    assert store.queues.fetch(W, ["empty", "high", "low"], RUN_AT) is None


def test_fetch_follows_the_priority_order_it_is_given(store: Store) -> None:
    store.queues.push("low", [P1])
    store.queues.push("high", [P2])

    assert store.queues.fetch(W, ["low", "high"], RUN_AT) == entry_of("low", P1)


def test_fetch_moves_the_payload_into_the_in_flight_list(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [P1, P2])

    entry = store.queues.fetch(W, ["high"], RUN_AT)

    assert entry is not None
    assert json.loads(entry) == ["high", P1.decode()]
    assert raw.lrange(f"resque:jobs:inflight:{W}", 0, -1) == [entry.decode()]
    assert raw.lrange("resque:queue:high", 0, -1) == [P2.decode()]
    assert store.queues.inflight(W) == [entry]


def test_fetch_writes_resques_working_record_with_the_payload_as_an_object(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])

    store.queues.fetch(W, ["high"], RUN_AT)

    assert json.loads(raw.get(f"resque:worker:{W}")) == {  # type: ignore[arg-type]
        "queue": "high",
        "run_at": RUN_AT,
        "payload": json.loads(P1),
    }


@pytest.mark.parametrize(
    "payload",
    [
        b'not "json" / at all',
        b"[1, 2]",
        b'"text"',
        b'{"args":[1]}',
        b'{"class":7,"args":[]}',
        b"nan",
        b"0x10",
    ],
)
def test_fetch_embeds_a_payload_that_is_not_a_job_object_as_raw_text(
    store: Store, raw: redis.Redis, payload: bytes
) -> None:
    store.queues.push("high", [payload])

    entry = store.queues.fetch(W, ["high"], RUN_AT)

    assert entry is not None
    assert json.loads(entry) == ["high", payload.decode()]
    record = json.loads(raw.get(f"resque:worker:{W}"))  # type: ignore[arg-type]
    assert record == {"queue": "high", "run_at": RUN_AT, "payload": {"raw": payload.decode()}}


@pytest.mark.parametrize(
    "payload",
    [
        b'{"class":"X","args":[nan]}',
        b'{"class":"X","args":[-inf]}',
        b'{"class":"X","args":[0x10]}',
    ],
)
def test_fetch_keeps_the_working_record_json_for_any_payload(
    store: Store, raw: redis.Redis, payload: bytes
) -> None:
    store.queues.push("high", [payload])

    store.queues.fetch(W, ["high"], RUN_AT)

    record = json.loads(raw.get(f"resque:worker:{W}"))  # type: ignore[arg-type]
    assert record["payload"] == {"raw": payload.decode()}


def test_fetcher_delivers_a_payload_that_is_not_utf8_unchanged(
    store: Store, settings: Settings
) -> None:
    store.queues.push("high", [b"\xff\xfe binary"])

    delivery = Fetcher(store, settings, lambda: ["high"]).fetch(W)

    assert delivery is not None
    assert (delivery.queue, delivery.payload) == ("high", b"\xff\xfe binary")


def test_fetch_returns_none_and_writes_nothing_when_every_queue_is_empty(
    store: Store, raw: redis.Redis
) -> None:
    assert store.queues.fetch(W, ["high", "low"], RUN_AT) is None
    assert store.queues.fetch(W, [], RUN_AT) is None

    assert raw.keys("*") == []


def test_fetcher_hands_over_a_delivery_with_queue_payload_and_entry(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    store.queues.push("low", [P1])
    before = time.gmtime()

    delivery = Fetcher(store, settings, lambda: ["high", "low"]).fetch(W)

    assert delivery is not None
    assert (delivery.worker_id, delivery.queue, delivery.payload) == (W, "low", P1)
    assert delivery.entry == entry_of("low", P1)
    run_at = json.loads(raw.get(f"resque:worker:{W}"))["run_at"]  # type: ignore[arg-type]
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", before) <= run_at
    assert run_at <= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def test_fetch_takes_a_batch_across_queues_in_priority_order(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2])
    store.queues.push("low", [P3, P1])

    acknowledged, taken = store.queues.acknowledge_and_fetch(W, [], ["high", "low"], RUN_AT, 3)

    assert acknowledged == []
    assert taken == [entry_of("high", P1), entry_of("high", P2), entry_of("low", P3)]
    assert store.queues.inflight(W) == taken
    assert raw.lrange("resque:queue:low", 0, -1) == [P1.decode()]
    record = json.loads(raw.get(f"resque:worker:{W}"))  # type: ignore[arg-type]
    assert record == {"queue": "high", "run_at": RUN_AT, "payload": json.loads(P1)}


def test_fetch_takes_what_there_is_when_the_queues_hold_fewer_than_wanted(store: Store) -> None:
    store.queues.push("high", [P1])

    assert store.queues.acknowledge_and_fetch(W, [], ["high", "low"], RUN_AT, 16)[1] == [
        entry_of("high", P1)
    ]
    assert store.queues.acknowledge_and_fetch(W, [], ["high", "low"], RUN_AT, 16)[1] == []


def test_fetch_acknowledges_a_batch_counts_it_once_and_says_which_were_in_flight(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2, P3])
    first, second, third = store.queues.acknowledge_and_fetch(W, [], ["high"], RUN_AT, 3)[1]
    raw.hset("resque:jobs:crashes", hashlib.sha1(first).hexdigest(), 1)
    assert requeue(store, second, "interrupted") == "requeued"  # someone put this one back

    acknowledged, taken = store.queues.acknowledge_and_fetch(
        W, [first, second, third], ["high"], RUN_AT, 2
    )

    assert acknowledged == [True, False, True]
    assert taken == [entry_of("high", P2)]  # the one put back, taken again
    assert store.queues.inflight(W) == taken
    assert raw.get("resque:stat:processed") == "2"
    assert raw.get(f"resque:stat:processed:{W}") == "2"
    assert crash_count(raw, first) is None
    [minute] = raw.keys("resque:jobs:history:processed:*")
    assert raw.get(minute) == "2" and raw.ttl(minute) > 0


def test_fetch_with_nothing_to_take_acknowledges_and_marks_the_worker_idle(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2])
    taken = store.queues.acknowledge_and_fetch(W, [], ["high"], RUN_AT, 2)[1]

    assert store.queues.acknowledge_and_fetch(W, taken, ["high"], RUN_AT, 0) == ([True, True], [])

    assert store.queues.inflight(W) == []
    assert not raw.exists(f"resque:worker:{W}")


# -- acknowledging (fetch.lua) -----------------------------------------------------------------
def test_acknowledge_removes_the_entry_marks_idle_and_counts(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None

    assert store.queues.acknowledge(W, entry) is True

    assert store.queues.inflight(W) == []
    assert not raw.exists(f"resque:worker:{W}")
    assert raw.get("resque:stat:processed") == "1"
    assert raw.get(f"resque:stat:processed:{W}") == "1"
    assert not raw.exists("resque:stat:failed", f"resque:stat:failed:{W}")
    assert raw.lrange("resque:queue:high", 0, -1) == [P2.decode()]


def test_acknowledge_of_an_entry_not_in_flight_returns_false_and_counts_nothing(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    assert store.queues.acknowledge(W, entry)

    assert store.queues.acknowledge(W, entry) is False
    assert store.queues.acknowledge(OTHER, entry_of("high", P2)) is False

    assert raw.get("resque:stat:processed") == "1"
    assert not raw.exists(f"resque:stat:processed:{OTHER}")


def test_acknowledge_takes_out_one_copy_of_the_entry(store: Store) -> None:
    # Two identical payloads in flight (Resque lets anyone push duplicates).
    store.queues.push("high", [P1, P1])
    first = store.queues.fetch(W, ["high"], RUN_AT)
    second = store.queues.fetch(W, ["high"], RUN_AT)
    assert first is not None and first == second

    assert store.queues.acknowledge(W, first)

    assert store.queues.inflight(W) == [first]


# -- fail.lua -----------------------------------------------------------------------------------
def test_fail_records_the_failure_and_counts_processed_and_failed(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None

    assert store.queues.fail(W, entry, RECORD, 100) is True

    assert raw.lrange("resque:failed", 0, -1) == [RECORD.decode()]
    assert store.queues.inflight(W) == []
    assert not raw.exists(f"resque:worker:{W}")
    for key in ("processed", "failed", f"processed:{W}", f"failed:{W}"):
        assert raw.get(f"resque:stat:{key}") == "1", key


def test_fail_of_an_entry_not_in_flight_records_nothing(store: Store, raw: redis.Redis) -> None:
    assert store.queues.fail(W, entry_of("high", P1), RECORD, 100) is False

    assert raw.keys("*") == []


def test_fail_keeps_only_the_newest_records(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [P1, P2, P3])
    for n in range(3):
        entry = store.queues.fetch(W, ["high"], RUN_AT)
        assert entry is not None
        store.queues.fail(W, entry, f"record {n}".encode(), 2)

    assert raw.lrange("resque:failed", 0, -1) == ["record 1", "record 2"]
    assert raw.get("resque:stat:failed") == "3"


# -- requeue.lua --------------------------------------------------------------------------------
def test_requeue_when_interrupted_puts_the_payload_back_at_the_front_unchanged(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    store.queues.push("high", [P3])

    assert requeue(store, entry, "interrupted") == "requeued"

    assert raw.lrange("resque:queue:high", 0, -1) == [P1.decode(), P2.decode(), P3.decode()]
    assert store.queues.inflight(W) == []
    assert crash_count(raw, entry) is None
    assert not raw.exists("resque:failed", "resque:stat:failed", "resque:stat:processed")


def test_requeue_wakes_idle_workers_of_that_queue(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    listener = raw.pubsub(ignore_subscribe_messages=True)
    listener.subscribe("resque:jobs:wakeup:high")
    listener.get_message(timeout=1.0)  # the subscription's confirmation

    assert requeue(store, entry, "crash") == "requeued"

    message = listener.get_message(timeout=1.0)
    listener.close()
    assert message is not None and message["data"] == "high"


def test_requeue_brings_back_a_removed_queue_name(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    store.queues.remove_queue("high")

    requeue(store, entry, "interrupted")

    assert raw.smembers("resque:queues") == {"high"}


def test_requeue_puts_a_non_json_payload_back_byte_for_byte(store: Store, raw: redis.Redis) -> None:
    payload = b'tab\there "quoted" \\ slash/ \x01 \xc3\xa9'
    store.queues.push("high", [payload])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None

    requeue(store, entry, "interrupted")

    assert store.queues.peek("high", 0, 1) == [payload]


def test_requeue_of_an_entry_not_in_flight_is_gone(store: Store, raw: redis.Redis) -> None:
    assert requeue(store, entry_of("high", P1), "interrupted") == "gone"
    assert requeue(store, entry_of("high", P1), "crash") == "gone"

    assert raw.keys("*") == []


def test_requeue_after_a_crash_counts_the_crash_against_the_job(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None

    assert requeue(store, entry, "crash", crash_limit=3) == "requeued"

    assert crash_count(raw, entry) == "1"
    assert raw.lrange("resque:queue:high", 0, -1) == [P1.decode()]


def test_requeue_fails_the_job_when_it_reaches_the_crash_limit(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])
    outcomes = []
    for worker in (W, OTHER):  # the count follows the job from worker to worker
        entry = store.queues.fetch(worker, ["high"], RUN_AT)
        assert entry is not None
        outcomes.append(requeue(store, entry, "crash", worker, crash_limit=2))

    assert outcomes == ["requeued", "failed"]
    assert raw.lrange("resque:failed", 0, -1) == [RECORD.decode()]
    assert raw.get("resque:stat:failed") == "1"
    assert not raw.exists("resque:stat:processed")
    assert raw.llen("resque:queue:high") == 0
    assert store.queues.inflight(OTHER) == []
    assert not raw.exists("resque:jobs:crashes")


def test_requeue_at_the_crash_limit_trims_the_failed_list(store: Store, raw: redis.Redis) -> None:
    raw.rpush("resque:failed", "old 1", "old 2")
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None

    assert requeue(store, entry, "crash", crash_limit=1, keep_failed=2) == "failed"

    assert raw.lrange("resque:failed", 0, -1) == ["old 2", RECORD.decode()]


def test_requeue_with_a_heartbeat_that_changed_finds_the_worker_alive_and_touches_nothing(
    store: Store, raw: redis.Redis
) -> None:
    store.workers.register(W, STARTED, BEAT)
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    judged_by = str(int(store.workers.heartbeat_of(W) or 0) - 1)

    assert requeue(store, entry, "crash", expected_beat=judged_by) == "alive"

    assert store.queues.inflight(W) == [entry]
    assert raw.llen("resque:queue:high") == 0
    assert crash_count(raw, entry) is None


def test_requeue_with_the_heartbeat_it_was_judged_by_puts_the_job_back(
    store: Store, raw: redis.Redis
) -> None:
    store.workers.register(W, STARTED, BEAT)
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    beat = store.workers.heartbeat_of(W)
    assert beat is not None

    assert requeue(store, entry, "crash", expected_beat=beat) == "requeued"

    assert raw.lrange("resque:queue:high", 0, -1) == [P1.decode()]


def test_acknowledge_after_a_crash_requeue_clears_the_crash_count(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    requeue(store, entry, "crash")
    again = store.queues.fetch(OTHER, ["high"], RUN_AT)
    assert again == entry and crash_count(raw, entry) == "1"

    assert store.queues.acknowledge(OTHER, again)

    assert crash_count(raw, entry) is None


def test_fail_after_a_crash_requeue_clears_the_crash_count(store: Store, raw: redis.Redis) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    requeue(store, entry, "crash")
    again = store.queues.fetch(OTHER, ["high"], RUN_AT)
    assert again is not None

    assert store.queues.fail(OTHER, again, RECORD, 100)

    assert crash_count(raw, entry) is None


def test_putting_back_at_the_crash_limit_records_a_worker_died_failure(
    store: Store, redis_url: str, raw: redis.Redis
) -> None:
    settings = Settings(redis_url=redis_url, crash_limit=1)
    store.queues.push("high", [P1])
    delivery = Fetcher(store, settings, lambda: ["high"]).fetch(W)
    assert delivery is not None

    assert Settler(store, settings).put_back(delivery, "crash") == "failed"

    [record] = [json.loads(r) for r in raw.lrange("resque:failed", 0, -1)]
    assert record["exception"] == "WorkerDied"
    assert "died 1 times" in record["error"]
    assert record["payload"] == json.loads(P1)
    assert (record["queue"], record["worker"], record["id"]) == ("high", W, "aaa")


# -- give_back.lua ------------------------------------------------------------------------------
def test_give_back_puts_jobs_back_first_in_line_in_the_order_taken(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2])
    store.queues.push("low", [P3])
    running, *held = store.queues.acknowledge_and_fetch(W, [], ["high", "low"], RUN_AT, 3)[1]
    store.queues.push("high", [P3])  # arrived meanwhile
    with raw.pubsub() as wakeups:
        wakeups.subscribe("resque:jobs:wakeup:high", "resque:jobs:wakeup:low")
        for _ in range(2):
            assert wakeups.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]

        assert store.queues.give_back(W, held) == 2

        woken = {wakeups.get_message(timeout=5)["data"] for _ in range(2)}  # type: ignore[index]
    assert woken == {"high", "low"}
    assert raw.lrange("resque:queue:high", 0, -1) == [P2.decode(), P3.decode()]
    assert raw.lrange("resque:queue:low", 0, -1) == [P3.decode()]
    assert store.queues.inflight(W) == [running]
    assert raw.hlen("resque:jobs:crashes") == 0
    assert raw.smembers("resque:queues") == {"high", "low"}


def test_give_back_leaves_alone_an_entry_no_longer_in_flight(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2])
    first, second = store.queues.acknowledge_and_fetch(W, [], ["high"], RUN_AT, 2)[1]
    assert store.queues.acknowledge(W, second)

    assert store.queues.give_back(W, [first, second]) == 1

    assert raw.lrange("resque:queue:high", 0, -1) == [P1.decode()]
    assert store.queues.inflight(W) == []


def test_give_back_shows_the_running_job_in_the_working_record(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1, P2, P3])
    first, second, third = store.queues.acknowledge_and_fetch(W, [], ["high"], RUN_AT, 3)[1]
    assert store.queues.acknowledge(W, first)  # the batch's first job is done; the second runs

    assert store.queues.give_back(W, [third], running=second, run_at="2026-11-26T19:40:00Z") == 1

    record = json.loads(raw.get(f"resque:worker:{W}"))  # type: ignore[arg-type]
    assert record == {"queue": "high", "run_at": "2026-11-26T19:40:00Z", "payload": json.loads(P2)}
    assert store.queues.inflight(W) == [second]


@pytest.mark.parametrize(
    ("library", "scripts"),
    [("working_record", ["fetch", "give_back"]), ("now", ["move_due", "retry", "schedule"])],
)
def test_scripts_that_include_a_library_get_its_text_in_place_of_the_include_line(
    library: str, scripts: list[str]
) -> None:
    text = (LUA_DIR / "lib" / f"{library}.lua").read_text()

    for name in scripts:
        source = lua_source(name)
        assert text in source
        assert "-- include:" not in source


# -- register.lua, heartbeat.lua ----------------------------------------------------------------
def redis_ms(raw: redis.Redis) -> int:
    seconds, microseconds = raw.time()
    return int(seconds) * 1000 + int(microseconds) // 1000


def test_register_writes_resques_keys_and_ours_and_returns_redis_time(
    store: Store, raw: redis.Redis
) -> None:
    before = redis_ms(raw)

    now = store.workers.register(W, STARTED, BEAT)

    assert before <= now <= redis_ms(raw)
    assert raw.smembers("resque:workers") == {W}
    assert raw.get(f"resque:worker:{W}:started") == STARTED
    assert raw.hgetall("resque:workers:heartbeat") == {W: BEAT}
    assert raw.zscore("resque:jobs:heartbeats", W) == now
    assert store.workers.ids() == [W]
    assert store.workers.started(W) == STARTED
    assert store.workers.heartbeat_of(W) == str(now)


def test_heartbeat_updates_both_heartbeats_of_every_id(store: Store, raw: redis.Redis) -> None:
    first = store.workers.register(W, STARTED, BEAT)
    store.workers.register(OTHER, STARTED, BEAT)

    now = store.workers.heartbeat([W, OTHER], "2026-11-26T19:40:00Z")

    assert now >= first
    assert raw.hgetall("resque:workers:heartbeat") == {
        W: "2026-11-26T19:40:00Z",
        OTHER: "2026-11-26T19:40:00Z",
    }
    assert raw.zrange("resque:jobs:heartbeats", 0, -1, withscores=True) == sorted(
        [(W, float(now)), (OTHER, float(now))]
    )
    assert store.workers.heartbeats() == sorted([(W, str(now)), (OTHER, str(now))])


# -- unregister.lua -----------------------------------------------------------------------------
def test_unregister_is_refused_while_jobs_are_in_flight(store: Store, raw: redis.Redis) -> None:
    store.workers.register(W, STARTED, BEAT)
    store.queues.push("high", [P1])
    store.queues.fetch(W, ["high"], RUN_AT)
    keys_before = sorted(raw.keys("*"))

    assert store.workers.unregister(W) == "busy"

    assert sorted(raw.keys("*")) == keys_before
    assert raw.smembers("resque:workers") == {W}


def test_unregister_with_a_changed_heartbeat_finds_the_worker_alive(
    store: Store, raw: redis.Redis
) -> None:
    store.workers.register(W, STARTED, BEAT)
    keys_before = sorted(raw.keys("*"))

    assert store.workers.unregister(W, expected_beat="1") == "alive"

    assert sorted(raw.keys("*")) == keys_before


def test_unregister_deletes_every_key_of_the_worker_and_no_others(
    store: Store, raw: redis.Redis
) -> None:
    store.workers.register(W, STARTED, BEAT)
    store.workers.register(OTHER, STARTED, BEAT)
    store.queues.push("high", [P1, P2, P3])
    done = store.queues.fetch(W, ["high"], RUN_AT)
    assert done is not None and store.queues.acknowledge(W, done)
    failed = store.queues.fetch(W, ["high"], RUN_AT)
    assert failed is not None and store.queues.fail(W, failed, RECORD, 100)
    stopped = store.queues.fetch(W, ["high"], RUN_AT)  # writes resque:worker:W ...
    assert stopped is not None and requeue(store, stopped, "interrupted") == "requeued"
    assert not raw.exists(f"resque:worker:{W}")  # ... which the requeue clears: idle again

    assert store.workers.unregister(W, expected_beat=store.workers.heartbeat_of(W) or "") == (
        "unregistered"
    )

    assert [key for key in raw.keys("*") if W in key] == []
    assert raw.smembers("resque:workers") == {OTHER}
    assert set(raw.hkeys("resque:workers:heartbeat")) == {OTHER}
    assert raw.zrange("resque:jobs:heartbeats", 0, -1) == [OTHER]
    assert raw.get("resque:stat:processed") == "2"
    assert raw.get("resque:stat:failed") == "1"


# -- retry_failure.lua --------------------------------------------------------------------------
def test_failure_retry_moves_the_record_back_to_its_queue_once(
    store: Store, raw: redis.Redis
) -> None:
    store.queues.push("high", [P1])
    entry = store.queues.fetch(W, ["high"], RUN_AT)
    assert entry is not None
    record = failure_record(P1, "high", W, "ValueError", "bad", [])
    store.queues.fail(W, entry, record, 100)
    store.queues.remove_queue("high")

    assert store.failures.retry(record, P2, "high") is True
    assert store.failures.retry(record, P2, "high") is False

    assert raw.lrange("resque:queue:high", 0, -1) == [P2.decode()]
    assert raw.llen("resque:failed") == 0
    assert raw.smembers("resque:queues") == {"high"}


def test_failure_retry_of_a_record_not_stored_enqueues_nothing(
    store: Store, raw: redis.Redis
) -> None:
    assert store.failures.retry(RECORD, P1, "high") is False

    assert raw.keys("*") == []


# -- per-minute history (the monitor's chart) ---------------------------------------------------
def test_acknowledge_and_fail_count_this_minute_and_the_count_expires(
    store: Store, raw: redis.Redis
) -> None:
    minute = int(time.time() // 60)
    store.queues.push("high", [P1, P2])
    done = store.queues.fetch(W, ["high"], RUN_AT)
    assert done is not None and store.queues.acknowledge(W, done)
    broken = store.queues.fetch(W, ["high"], RUN_AT)
    assert broken is not None and store.queues.fail(W, broken, b"{}", 10)

    rows = store.stats.history(minute, 3)

    # (a job acknowledged just before a minute boundary counts in the minute before)
    assert [row[0] for row in rows] == [minute - 2, minute - 1, minute]
    assert sum(row[1] for row in rows) == 2 and sum(row[2] for row in rows) == 1
    for key in raw.keys("resque:jobs:history:*"):
        assert 0 < raw.ttl(key) <= 2 * 60 * 60


def test_history_of_minutes_with_no_jobs_is_zero(store: Store) -> None:
    assert store.stats.history(1000, 2) == [(999, 0, 0), (1000, 0, 0)]


# -- trim_failed.lua ----------------------------------------------------------------------------
CUTOFF = "2026/11/26 00:00:00 UTC"


def failure_at(failed_at: object, name: str) -> str:
    return json.dumps({"failed_at": failed_at, "id": name})


def test_trim_failed_drops_old_records_from_the_head_and_stops_at_the_first_recent_one(
    store: Store, raw: redis.Redis
) -> None:
    old = [failure_at("2025/01/01 00:00:00 UTC", "a"), failure_at("2026/11/25 23:59:59 UTC", "b")]
    rest = [
        failure_at("2026/11/26 00:00:00 UTC", "at-the-cutoff"),
        failure_at("2020/01/01 00:00:00 UTC", "old-but-behind-a-recent-one"),
        failure_at("2026/11/26 12:00:00 UTC", "recent"),
    ]
    raw.rpush("resque:failed", *old, *rest)

    assert store.failures.trim_older_than(CUTOFF) == 2

    assert raw.lrange("resque:failed", 0, -1) == rest


@pytest.mark.parametrize(
    "unreadable",
    [
        "not json",
        "[1, 2]",
        '"text"',
        json.dumps({"id": "no-failed-at"}),
        failure_at(1764115200, "a-number"),
        failure_at(None, "null"),
        failure_at(["2020/01/01 00:00:00 UTC"], "a-list"),
    ],
)
def test_trim_failed_stops_at_a_record_whose_time_it_cannot_read(
    store: Store, raw: redis.Redis, unreadable: str
) -> None:
    old = failure_at("2020/01/01 00:00:00 UTC", "old")
    raw.rpush("resque:failed", old, unreadable, old)

    assert store.failures.trim_older_than(CUTOFF) == 1

    assert raw.lrange("resque:failed", 0, -1) == [unreadable, old]


def test_trim_failed_drops_at_most_the_number_asked_per_call(
    store: Store, raw: redis.Redis
) -> None:
    records = [failure_at(f"2020/01/0{n} 00:00:00 UTC", str(n)) for n in range(1, 6)]
    raw.rpush("resque:failed", *records)

    assert store.failures.trim_older_than(CUTOFF, most=2) == 2
    assert raw.lrange("resque:failed", 0, -1) == records[2:]
    assert store.failures.trim_older_than(CUTOFF, most=2) == 2
    assert store.failures.trim_older_than(CUTOFF, most=2) == 1
    assert store.failures.trim_older_than(CUTOFF, most=2) == 0
    assert not raw.exists("resque:failed")


def test_trim_failed_with_most_zero_or_an_empty_list_drops_nothing(
    store: Store, raw: redis.Redis
) -> None:
    assert store.failures.trim_older_than(CUTOFF) == 0
    assert raw.keys("*") == []

    raw.rpush("resque:failed", failure_at("2020/01/01 00:00:00 UTC", "old"))
    assert store.failures.trim_older_than(CUTOFF, most=0) == 0
    assert raw.llen("resque:failed") == 1


@pytest.mark.parametrize(
    "failed_at",
    ["2026-12-01T00:00:00Z", "2026-12-01 00:00:00", "1800000000", ""],
)
def test_trim_failed_keeps_a_failed_at_in_another_format(
    store: Store, raw: redis.Redis, failed_at: str
) -> None:
    foreign = failure_at(failed_at, "foreign")  # each is after the cut-off, or unreadable
    raw.rpush("resque:failed", foreign)

    assert store.failures.trim_older_than(CUTOFF) == 0

    assert raw.lrange("resque:failed", 0, -1) == [foreign]
