"""A thousand registered workers: the Workers page, its silent hosts, and the dead-worker scan
cost a bounded number of Redis commands (counted by Redis), not one per worker."""

from __future__ import annotations

import time

import redis
from flask.testing import FlaskClient

from jobs.recovery import Recovery
from jobs.settings import Settings
from jobs.store import Store
from tests.jobs.web.conftest import PREFIX

WORKERS = 1_000
HOSTS = 20


def register_many(store: Store, silent_host: str) -> None:
    """1,000 workers on 20 hosts, heartbeating now, except ``silent_host``'s (a minute ago)."""
    now = store.workers.now_ms()
    pipe = store.client.pipeline(transaction=False)
    for n in range(WORKERS):
        host = f"host-{n % HOSTS:02d}"
        worker_id = f"{host}:{1000 + n}:default"
        pipe.sadd(store.keys.workers, worker_id)
        pipe.set(store.keys.worker_started(worker_id), "2026-11-26 19:32:07 +0000")
        beat = now - 60_000 if host == silent_host else now
        pipe.zadd(store.keys.heartbeats, {worker_id: beat})
    pipe.execute()


def commands_run(raw: redis.Redis) -> int:
    return int(raw.info("stats")["total_commands_processed"])


def test_the_workers_page_shows_a_silent_host_in_bounded_work_with_1000_workers(
    http: FlaskClient, raw: redis.Redis, store: Store
) -> None:
    register_many(store, silent_host="host-07")
    http.get(PREFIX + "/workers")  # the first request loads the scripts

    before = commands_run(raw)
    started = time.perf_counter()
    html = http.get(PREFIX + "/workers").get_data(as_text=True)
    elapsed = time.perf_counter() - started
    commands = commands_run(raw) - before - 1  # less our own INFO

    assert "Silent hosts" in html
    assert "<strong>host-07</strong>: 50 workers, last heartbeat 1 min ago" in html
    assert "<strong>host-08</strong>" not in html
    # a page of rows (7 reads each), the ids, the clock, the silent hosts: not one per worker
    assert commands < 250, f"the Workers page ran {commands} Redis commands"
    assert elapsed < 5.0, f"the Workers page took {elapsed:.2f}s"  # generous: a busy machine
    print(f"/workers with {WORKERS} workers: {commands} commands, {elapsed * 1000:.0f} ms")


def test_the_dead_worker_scan_over_1000_live_workers_is_a_few_commands(
    raw: redis.Redis, store: Store, settings: Settings
) -> None:
    register_many(store, silent_host="none")
    recovery = Recovery(store, settings, own_ids=[])

    before = commands_run(raw)
    started = time.perf_counter()
    assert recovery.recover_dead_workers(store.workers.now_ms())
    elapsed = time.perf_counter() - started
    commands = commands_run(raw) - before - 1

    # take the lock, read every heartbeat at once (and the clock): none is judged one by one
    assert commands <= 3, f"the scan ran {commands} Redis commands"
    assert elapsed < 2.0, f"the scan took {elapsed:.2f}s"
    print(f"scan over {WORKERS} live workers: {commands} commands, {elapsed * 1000:.0f} ms")
