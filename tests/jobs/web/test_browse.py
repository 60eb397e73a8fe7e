"""The keys browser (jobs.store.browse) and clearing a queue (jobs.store.queue_admin), against
real Redis: SCAN paging that sees every key once, values by type, cut long values."""

from __future__ import annotations

import redis

from jobs.client import Client
from jobs.store import Store
from jobs.store.browse import CUT_AT, KeyBrowser, Text
from jobs.store.queue_admin import QueueAdmin
from tests.jobs.sample_jobs import Record


def test_paging_through_every_key_sees_each_once(store: Store, raw: redis.Redis) -> None:
    raw.mset({f"k:{n}": n for n in range(1000)})
    browser = KeyBrowser(store.client)
    seen: list[bytes] = []
    cursor, pages = 0, 0
    while True:
        page = browser.keys(cursor, 50)
        seen.extend(key.name for key in page.keys)
        cursor, pages = page.next_cursor, pages + 1
        if cursor == 0:
            break
    assert sorted(seen) == sorted(f"k:{n}".encode() for n in range(1000))
    assert pages > 5  # it really paged


def test_keys_come_with_type_size_and_ttl(store: Store, raw: redis.Redis) -> None:
    raw.set("s", "abc", ex=50)
    raw.rpush("l", 1, 2)
    raw.zadd("z", {"a": 1})
    info = {key.name: key for key in KeyBrowser(store.client).keys(0, 10).keys}
    assert (info[b"s"].type, info[b"s"].size) == ("string", 3) and 0 < info[b"s"].ttl <= 50
    assert (info[b"l"].type, info[b"l"].size, info[b"l"].ttl) == ("list", 2, -1)
    assert (info[b"z"].type, info[b"z"].size) == ("zset", 1)


def test_a_match_pattern_finds_keys_among_many(store: Store, raw: redis.Redis) -> None:
    raw.mset({f"k:{n}": n for n in range(5000)})
    found = KeyBrowser(store.client).keys(0, 25, "k:4242")
    assert [key.name for key in found.keys] in ([b"k:4242"], [])
    if not found.keys:  # a sparse match may take more than one page of SCAN work
        assert found.next_cursor != 0


def test_values_by_type_paged_and_cut(store: Store, raw: redis.Redis) -> None:
    browser = KeyBrowser(store.client)
    raw.rpush("l", *range(10))
    raw.zadd("z", {"a": 1, "b": 2.5})
    raw.set("big", b"\xff" + b"x" * 5000)
    raw.hset("h", mapping={"f": "v"})

    assert [row[1].text for row in browser.value(b"l", 4, 3).rows] == ["4", "5", "6"]
    assert [(m.text, s.text) for m, s in browser.value(b"z", 0, 10).rows] == [
        ("a", "1"),
        ("b", "2.5"),
    ]
    [(_, big)] = browser.value(b"big", 0, 10).rows
    assert big.length == 5001 and big.cut and big.text.startswith("\ufffd")
    assert [(f.text, v.text) for f, v in browser.value(b"h", 0, 10).rows] == [("f", "v")]
    assert browser.value(b"missing", 0, 10).info.type == "none"


def test_text_keeps_the_full_length() -> None:
    text = Text.of(b"y" * (CUT_AT + 10))
    assert len(text.text) == CUT_AT and text.length == CUT_AT + 10 and text.cut


def test_info_has_the_essentials(store: Store) -> None:
    info = KeyBrowser(store.client).info()
    assert {"redis_version", "used_memory_human", "connected_clients", "uptime_in_seconds"} <= set(
        info
    )


def test_clear_empties_a_queue_and_keeps_it(client: Client) -> None:
    client.enqueue_many(Record, [[n] for n in range(7)])
    admin = QueueAdmin(client.store.client, client.store.keys)
    assert admin.clear("default") == 7
    assert client.size("default") == 0 and client.queues() == ["default"]
    assert admin.clear("default") == 0
