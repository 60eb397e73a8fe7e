"""What the monitor says: counts that agree with their nouns, one time format on every page,
and a way back to the app it is mounted in."""

from __future__ import annotations

import re

import redis
from flask.testing import FlaskClient

from jobs.client import Client
from jobs.store import Store
from tests.jobs.sample_jobs import Boom, Held, Record
from tests.jobs.web.conftest import PREFIX, Jobs, host_app, page, post

WORKER = "web1:4242:default"
# Anything that looks like a date and time, in any of the formats Redis holds.
MOMENT = re.compile(r"\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d[^<]{0,6}")


def test_counts_agree_with_their_nouns(
    http: FlaskClient, client: Client, jobs: Jobs, raw: redis.Redis
) -> None:
    assert "No keys.<" in page(http, "/stats")
    jobs.store.workers.register(WORKER, "2026-01-01 00:00:00 +0000", "x")
    raw.rpush("one", "x")
    raw.set("b", "x")

    assert "1 worker<" in page(http, "/workers")
    assert "1 element<" in page(http, f"/stats/key?key={b'one'.hex()}")
    assert "1 byte<" in page(http, f"/stats/key?key={b'b'.hex()}")
    nothing = page(http, "/stats?match=nothing-like-this")
    assert "No keys match" in nothing and "No keys ." not in nothing

    client.enqueue(Record, 1)
    assert "1 job removed" in http.get(post(http, "/queues/clear", queue="default").location).text
    jobs.fail(Boom, 1)
    retried = http.get(post(http, "/failed/retry-all").location).text
    assert "Put 1 failed job back on its queue." in retried
    jobs.fail(Boom, 2, queue="other")
    assert "Removed 1 failure." in http.get(post(http, "/failed/clear").location).text
    removed = http.get(post(http, "/queues/remove", queue="default").location).text
    assert "Removed queue default and 1 job waiting on it." in removed


def test_every_page_shows_times_one_way_in_utc(
    http: FlaskClient, client: Client, jobs: Jobs
) -> None:
    client.enqueue(Held, "slow")
    jobs.take(WORKER)
    jobs.fail(Boom, "x")
    client.enqueue(Record, 1)
    client.enqueue_in(600, Record, 2)

    seen = []
    for path in ("/queues/default", "/working", "/workers", f"/workers/{WORKER}", "/failed"):
        moments = MOMENT.findall(page(http, path))
        assert moments, path
        seen += moments
    seen += MOMENT.findall(page(http, "/scheduled/scheduled"))
    for moment in seen:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC.*", moment), moment
    assert re.search(r"UTC \(\d+ s ago\)|UTC \(just now\)", page(http, f"/workers/{WORKER}"))
    assert re.search(r"UTC \(in (9|10) min\)", page(http, "/scheduled/scheduled"))


def test_mounted_the_monitor_can_link_back_to_its_app(store: Store) -> None:
    http = host_app(store, back_link=("the blog", "/")).test_client()

    assert '<a class="back" href="/">← the blog</a>' in page(http, "/")
    assert 'class="back"' not in page(host_app(store).test_client(), "/")
    assert http.get(PREFIX + "/failed").status_code == 200
