"""Whatever someone pushed into Redis, every page renders it: payloads nested 100,000 lists
deep or that are not UTF-8 show as raw, cut text, and huge failure records are read cut."""

from __future__ import annotations

import time

import pytest
import redis
from flask.testing import FlaskClient

from jobs.failures import failure_record
from jobs.store import Store
from tests.jobs.web.conftest import PREFIX, Jobs, page, post

WORKER = "web1:4242:bad"


def nested(depth: int) -> bytes:
    return b'{"class":"tests.jobs.sample_jobs.Record","args":' + b"[" * depth + b"]" * depth + b"}"


PAYLOADS = {
    "nested 100,000 deep": nested(100_000),
    "nested 990 deep": nested(990),  # what enqueue_to accepted: readable, but not here
    "not UTF-8": b'{"class":"tests.jobs.sample_jobs.Record","args":["caf\xe9 \xff"]}',
    "not JSON": b"\xff\xfe<script>alert(1)</script>",
}
PAGES = [
    "/",
    "/queues",
    "/queues/bad",
    "/failed",
    "/failed?class=Record",
    "/workers",
    "/working",
    f"/workers/{WORKER}",
    "/scheduled/scheduled",
    "/scheduled/retries",
    "/live.json?view=overview",
    "/live.json?view=working",
    "/live.json?view=workers",
    "/stats",
]


def resque_record(payload: bytes, job_id: str) -> bytes:
    """A failure record as Ruby Resque writes one: the payload embedded as it came."""
    return (
        b'{"failed_at":"2026/11/26 19:32:07 UTC","payload":' + payload + b',"exception":"Boom",'
        b'"error":"it broke","backtrace":["x.rb:1"],"worker":"w:1:bad","queue":"bad","id":"'
        + job_id.encode()
        + b'"}'
    )


def hold_everywhere(store: Store, jobs: Jobs, raw: redis.Redis, payload: bytes) -> None:
    """The payload waiting, running on a worker, scheduled, retried, and failed twice."""
    store.queues.push("bad", [payload])
    jobs.take(WORKER, queue="bad")
    store.queues.push("bad", [payload])
    store.delayed.schedule("bad", payload, in_ms=3_600_000)
    raw.zadd("resque:jobs:retries", {b'["bad",' + payload + b"]": time.time() * 1000 + 60_000})
    raw.rpush("resque:failed", failure_record(payload, "bad", WORKER, "PayloadError", "no", []))
    if payload.startswith(b"{"):
        raw.rpush("resque:failed", resque_record(payload, "from-resque"))


@pytest.mark.parametrize("kind", PAYLOADS)
def test_every_page_renders_a_payload_it_cannot_read(
    kind: str, http: FlaskClient, store: Store, jobs: Jobs, raw: redis.Redis
) -> None:
    hold_everywhere(store, jobs, raw, PAYLOADS[kind])

    for path in PAGES:
        response = http.get(PREFIX + path)
        assert response.status_code == 200, (kind, path, response.status_code)
        assert len(response.data) < 200_000, (kind, path, len(response.data))
    queue = page(http, "/queues/bad")
    assert "unreadable payload" in queue or "too deep" in queue
    assert "<script>" not in queue


def test_a_deep_payload_is_shown_raw_and_cut(
    http: FlaskClient, store: Store, jobs: Jobs, raw: redis.Redis
) -> None:
    hold_everywhere(store, jobs, raw, PAYLOADS["nested 100,000 deep"])

    assert "[[[[[[[[" in page(http, "/queues/bad") and "(200049 bytes)" in page(http, "/queues/bad")
    assert "[[[[[[[[" in page(http, f"/workers/{WORKER}")
    failed = page(http, "/failed")
    assert 'value="from-resque"' in failed  # the Resque record keeps its buttons
    assert "it broke" in failed and "[[[[[[[[" in failed


def test_buttons_on_a_failure_record_nested_too_deep_say_so(
    http: FlaskClient, raw: redis.Redis
) -> None:
    raw.rpush("resque:failed", resque_record(nested(990), "deep-one"))

    assert 'value="deep-one"' in page(http, "/failed")
    response = post(http, "/failed/remove", id="deep-one")

    assert response.status_code == 302
    assert "Clear all" in http.get(response.location).get_data(as_text=True)


def test_huge_failure_records_are_read_cut(http: FlaskClient, raw: redis.Redis) -> None:
    big = b'{"class":"app.Huge","args":["' + b"x" * 10_000_000 + b'"]}'
    for n in range(25):
        raw.rpush("resque:failed", resque_record(big, f"huge-{n}"))
    before = int(raw.info("stats")["total_net_output_bytes"])

    started = time.perf_counter()
    html = page(http, "/failed")
    elapsed = time.perf_counter() - started

    sent = int(raw.info("stats")["total_net_output_bytes"]) - before
    assert sent < 5_000_000, f"Redis sent {sent} bytes for one page of failures"
    assert elapsed < 30, f"the Failed page took {elapsed:.2f}s"  # generous: the machine may be busy
    assert html.count('class">app.Huge<') == 25 and 'value="huge-24"' in html
    assert "(10000" in html and "it broke" in html  # how long it really is, and the facts
    print(f"Failed page with 25 records of 10 MB: {elapsed * 1000:.0f} ms, {sent} bytes")
