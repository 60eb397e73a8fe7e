"""With 100,000 jobs in a queue and 100,000 keys in Redis, every page still answers at once:
each reads one page (LRANGE, SCAN), never the whole list or keyspace."""

from __future__ import annotations

import json
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
