"""What the monitor reads in batches (jobs.store.monitor), and its Lua scripts, against a real
Redis: totals counted in Redis, pages of busy workers, failure records cut, queues by bytes."""

from __future__ import annotations

from jobs.store import Store
from jobs.store.monitor import RECORD_CUT_AT, RECORD_HEAD, RECORD_TAIL, MonitorStore


def reads(store: Store) -> MonitorStore:
    return MonitorStore(store.client, store.keys)


def test_the_waiting_total_sums_queues_up_to_a_limit(store: Store) -> None:
    for n in range(5):
        store.queues.push(f"q{n}", [b"{}"] * (n + 1))
    store.client.sadd(store.keys.queues, "empty")

    assert reads(store).waiting_total(100) == (15, 6)
    total, summed = reads(store).waiting_total(2)
    assert summed == 2 and 0 <= total <= 9


def test_queue_names_come_a_page_at_a_time_in_name_order(store: Store) -> None:
    store.client.sadd(store.keys.queues, *[f"q{n:02d}" for n in range(30)])

    assert reads(store).queue_names(0, 3) == [b"q00", b"q01", b"q02"]
    assert reads(store).queue_names(28, 10) == [b"q28", b"q29"]
    assert reads(store).queue_count() == 30


def test_working_page_counts_busy_workers_and_pages_them(store: Store) -> None:
    for n in range(6):
        store.client.sadd(store.keys.workers, f"h:{n}:q")
        if n % 2:
            store.client.set(store.keys.worker(f"h:{n}:q"), "{}")

    assert reads(store).working_page(0, 2) == (3, ["h:1:q", "h:3:q"])
    assert reads(store).working_page(2, 2) == (3, ["h:5:q"])
    assert reads(store).working_page(0, 0) == (3, [])


def test_failure_slices_are_whole_when_short_and_cut_when_long(store: Store) -> None:
    long = b"<" + b"x" * (RECORD_CUT_AT * 2) + b">"
    store.client.rpush(store.keys.failed, b"short-1", long, b"short-2")

    short_1, cut, short_2 = reads(store).failure_slices(0, -1)

    assert short_1.whole and short_1.head == b"short-1" and short_2.head == b"short-2"
    assert not cut.whole and cut.length == len(long)
    assert cut.head == long[:RECORD_HEAD] and cut.tail == long[-RECORD_TAIL:]
    assert [s.head for s in reads(store).failure_slices(-2, -2)] == [cut.head]
    assert reads(store).failure_slices(-50, -1)[0].head == b"short-1"
    assert reads(store).failure_slices(5, 9) == []


def test_a_queue_named_by_bytes_is_read_cleared_and_removed(store: Store) -> None:
    name = b"caf\xe9"
    store.client.sadd(store.keys.queues, name)
    key = store.keys.queue_prefix.encode() + name
    store.client.rpush(key, b"a", b"b", b"a")
    monitor = reads(store)

    assert monitor.peek(name, 0, 10) == [b"a", b"b", b"a"] and monitor.queue_sizes([name]) == [3]
    assert monitor.remove_payload(name, b"a") == 1 and monitor.peek(name, 0, 10) == [b"b", b"a"]
    assert monitor.clear(name) == 2 and store.client.sismember(store.keys.queues, name)
    store.client.rpush(key, b"c")
    assert monitor.remove_queue(name) == 1 and monitor.queue_count() == 0


def test_silent_hosts_are_those_whose_every_worker_missed_its_heartbeats(store: Store) -> None:
    for worker_id in ("alpha:1:q", "alpha:2:q", "beta:3:q", "gamma:4:q", "gamma:5:q"):
        store.workers.register(worker_id, "earlier", "2026-01-01T00:00:00Z")
    now = store.workers.now_ms()
    # alpha went quiet a minute ago; one of gamma's two workers did, the other beats on
    store.client.zadd(store.keys.heartbeats, {"alpha:1:q": now - 60_000, "alpha:2:q": now - 61_000})
    store.client.zadd(store.keys.heartbeats, {"gamma:4:q": now - 60_000})

    [alpha] = reads(store).silent_hosts(silent_after_ms=10_000)
    assert (alpha.host, alpha.workers) == ("alpha", 2)
    assert 60_000 <= alpha.silent_ms < 70_000
    assert reads(store).silent_hosts(silent_after_ms=120_000) == []
