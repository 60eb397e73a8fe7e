"""With 100,000 jobs in a queue and 100,000 keys in Redis, every page still answers at once:
each reads one page (LRANGE, SCAN), never the whole list or keyspace."""

from __future__ import annotations

import json
import re
import time

import redis
from flask.testing import FlaskClient

from tests.jobs.web.conftest import PREFIX

MANY = 100_000
BATCH = 10_000


def bulk_load(raw: redis.Redis) -> None:
    """100,000 waiting jobs and 100,000 other keys, in pipelined batches (a second or two)."""
    raw.sadd("resque:queues", "bulk")
    for start in range(0, MANY, BATCH):
        pipe = raw.pipeline(transaction=False)
        payloads = [
            json.dumps({"class": "Bulk", "args": [n], "id": str(n), "enqueued_at": 1.0})
            for n in range(start, start + BATCH)
        ]
        pipe.rpush("resque:queue:bulk", *payloads)
        pipe.mset({f"filler:{n}": n for n in range(start, start + BATCH)})
        pipe.execute()


def test_pages_stay_fast_with_100k_jobs_and_100k_keys(http: FlaskClient, raw: redis.Redis) -> None:
    bulk_load(raw)
    assert raw.llen("resque:queue:bulk") == MANY and raw.dbsize() > MANY

    paths = [
        "/",
        "/queues",
        "/queues/bulk",
        "/queues/bulk?page=3999",
        "/stats",
        "/stats?match=filler:12345",
        f"/stats/key?key={b'resque:queue:bulk'.hex()}&start=99990",
        "/live.json?view=overview",
        "/failed",
        "/workers",
    ]
    for path in paths:
        started = time.perf_counter()
        response = http.get(PREFIX + path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, path
        assert elapsed < 1.0, f"{path} took {elapsed:.2f}s"
    assert "[99999]" in http.get(PREFIX + "/queues/bulk?page=4000").get_data(as_text=True)


QUEUES = 50_000
WORKERS = 5_000
SCALE_PAGES = [
    "/",
    "/live.json?view=overview",
    "/queues",
    "/queues?page=1999",
    "/workers",
    "/workers?page=199",
    "/live.json?view=workers",
    "/working",
    "/live.json?view=working",
    "/stats",
]


def many_queues_and_workers(raw: redis.Redis) -> None:
    """50,000 queues (every tenth with a job) and 5,000 workers on 50 hosts, one in ten busy."""
    pipe = raw.pipeline(transaction=False)
    for start in range(0, QUEUES, BATCH):
        names = [f"queue-{n:05d}" for n in range(start, start + BATCH)]
        pipe.sadd("resque:queues", *names)
        for name in names[::10]:
            pipe.rpush(f"resque:queue:{name}", '{"class":"Bulk","args":[1]}')
    record = json.dumps(
        {"queue": "queue-00001", "run_at": "2026-11-26T19:32:07Z", "payload": {"class": "Bulk"}}
    )
    for n in range(WORKERS):
        worker_id = f"host-{n % 50:02d}:{1000 + n}:queue-00001"
        pipe.sadd("resque:workers", worker_id)
        pipe.zadd("resque:jobs:heartbeats", {worker_id: 1_764_185_527_000})
        pipe.set(f"resque:worker:{worker_id}:started", "2026-11-26 19:32:07 +0000")
        if n % 10 == 0:
            pipe.set(f"resque:worker:{worker_id}", record)
    pipe.execute()


def test_pages_stay_fast_with_50k_queues_and_5k_workers(
    http: FlaskClient, raw: redis.Redis
) -> None:
    many_queues_and_workers(raw)
    http.get(PREFIX + "/")  # the first request loads the scripts

    for path in SCALE_PAGES:
        before = raw.info("stats")
        started = time.perf_counter()
        response = http.get(PREFIX + path)
        elapsed = time.perf_counter() - started
        after = raw.info("stats")
        asked, told = (
            after[f"total_net_{way}_bytes"] - before[f"total_net_{way}_bytes"]
            for way in ("input", "output")
        )
        assert response.status_code == 200, path
        # Bounded work: what a page asks Redis and reads back does not grow with the number
        # of queues and workers (one SMEMBERS of the names aside); totals are counted in Redis.
        assert asked < 30_000, f"{path} sent {asked} bytes of commands to Redis"
        assert told < 400_000, f"{path} read {told} bytes from Redis"
        assert len(response.data) < 150_000, f"{path} is {len(response.data)} bytes"
        assert elapsed < 5.0, f"{path} took {elapsed:.2f}s"  # generous: the machine may be busy
        size = len(response.data)
        print(f"{path}: {elapsed * 1000:.0f} ms, sent {asked} B, read {told} B, page {size} B")
    overview = http.get(PREFIX + "/").get_data(as_text=True)
    assert re.search(r'in 10000 of 50000 queues</dt><dd id="total-waiting">\d+<', overview)
    assert "Showing the first 20 of 50000 queues" in overview
    assert "Showing 20 of 500 busy workers" in overview
    assert "Page 1 of 200" in http.get(PREFIX + "/workers").get_data(as_text=True)
