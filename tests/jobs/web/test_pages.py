"""Every page of the monitor, mounted at /jobs in another app, against real queue data."""

from __future__ import annotations

import json
import re

import redis
from flask.testing import FlaskClient

from jobs.client import Client
from jobs.store import Store
from tests.jobs.sample_jobs import Boom, Held, Record
from tests.jobs.web.conftest import OWN_NAMESPACE, PREFIX, Isolated, Jobs, page

WORKER = "web1:4242:default,mail"


def test_the_overview_shows_queues_totals_working_workers_and_the_chart(
    http: FlaskClient, client: Client, jobs: Jobs
) -> None:
    client.enqueue_to("mail", Record, 1)
    client.enqueue(Held, "slow-one")
    jobs.take(WORKER)
    jobs.fail(Boom, "x")
    client.enqueue(Record, 2)

    html = page(http, "/")

    assert re.search(r'id="total-processed">1<', html)
    assert re.search(r'id="total-failed">1<', html)
    assert re.search(r'id="total-waiting">2<', html)
    assert f'href="{PREFIX}/queues/mail"' in html
    assert "tests.jobs.sample_jobs.Held" in html and "slow-one" in html
    history = json.loads(re.search(r'data-history="([^"]*)"', html).group(1).replace("&#34;", '"'))
    assert len(history) == 60
    assert history[-1][1:] == [1, 1] or sum(row[1] for row in history) == 1


def test_the_live_endpoint_renders_the_same_regions_again(
    http: FlaskClient, client: Client, jobs: Jobs
) -> None:
    client.enqueue(Held, "a")
    jobs.take(WORKER)

    data = http.get(PREFIX + "/live.json?view=overview").get_json()

    assert set(data["regions"]) == {"totals", "queues_table", "working_table"}
    assert "tests.jobs.sample_jobs.Held" in data["regions"]["working_table"]
    assert len(data["history"]) == 60
    workers = http.get(PREFIX + "/live.json?view=workers").get_json()
    assert WORKER in workers["regions"]["workers_table"]
    assert http.get(PREFIX + "/live.json?view=stats").status_code == 404


def test_working_lists_busy_workers_with_class_args_queue_and_running_time(
    http: FlaskClient, client: Client, jobs: Jobs
) -> None:
    client.enqueue(Held, "token-7")
    jobs.take(WORKER)
    jobs.store.workers.register("web2:1:default", "2026-01-01 00:00:00 +0000", "x")  # idle

    html = page(http, "/working")

    assert WORKER in html and "web2:1:default" not in html
    assert "tests.jobs.sample_jobs.Held" in html and "token-7" in html
    assert re.search(r'<td class="num">\d+s</td>', html)


def test_queues_and_a_queue_paged(http: FlaskClient, client: Client) -> None:
    client.enqueue_many(Record, [[n] for n in range(60)])

    assert re.search(r"default</a></td>\s*<td class=\"num\">60<", page(http, "/queues"))
    first = page(http, "/queues/default")
    assert "[0]" in first and "[24]" in first and "[25]" not in first
    third = page(http, "/queues/default?page=3&per_page=25")
    assert "[50]" in third and "[59]" in third and "[49]" not in third
    assert "Page 3 of 3" in third
    assert "UTC" in third  # enqueued at


def test_failed_shows_every_field_newest_first_and_filters(http: FlaskClient, jobs: Jobs) -> None:
    jobs.fail(Boom, "first", error="first went wrong")
    jobs.fail(Record, "second", queue="mail", error="second went wrong")

    html = page(http, "/failed")

    assert html.index("second went wrong") < html.index("first went wrong")
    for text in ("tests.jobs.sample_jobs.Boom", "ValueError", "host:1:default", "UTC", "<details>"):
        assert text in html
    assert "app/jobs.py:12 in perform" in html
    only_mail = page(http, "/failed?queue=mail")
    assert "second went wrong" in only_mail and "first went wrong" not in only_mail
    only_boom = page(http, "/failed?class=Boom")
    assert "first went wrong" in only_boom and "second went wrong" not in only_boom


def test_failed_pages_through_many_records(http: FlaskClient, jobs: Jobs) -> None:
    for n in range(30):
        jobs.fail(Boom, n, error=f"error number {n}!")

    first, second = page(http, "/failed?per_page=10"), page(http, "/failed?per_page=10&page=2")

    assert "error number 29!" in first and "error number 20!" in first
    assert "error number 19!" not in first and "error number 19!" in second
    filtered = page(http, "/failed?class=Boom&per_page=10&page=3")
    assert "error number 0!" in filtered and "error number 10!" not in filtered


def test_the_scheduler_tabs_are_there_even_when_empty(http: FlaskClient) -> None:
    for kind in ("scheduled", "retries", "recurring"):
        assert "Nothing waiting." in page(http, f"/scheduled/{kind}")
    assert http.get(PREFIX + "/scheduled/other").status_code == 404


def test_workers_grouped_by_host_and_a_workers_page(isolated: Isolated, raw: redis.Redis) -> None:
    # Its own namespace: a worker thread left running by another test took the job from
    # "default" before jobs.take could, when the machine was busy enough.
    http, jobs = isolated.http, isolated.jobs
    isolated.client.enqueue(Held, "busy")
    jobs.take(WORKER)
    jobs.store.workers.register("web2:77:mail", "2026-01-01 00:00:00 +0000", "x")
    raw.set(f"{OWN_NAMESPACE}:stat:processed:{WORKER}", 12)
    raw.set(f"{OWN_NAMESPACE}:stat:failed:{WORKER}", 3)
    raw.sadd(f"{OWN_NAMESPACE}:jobs:flags:web2:77:mail", "paused")

    html = page(http, "/workers")
    assert "<h2>web1" in html and "<h2>web2" in html
    assert "state-working" in html and "state-paused" in html

    detail = page(http, f"/workers/{WORKER}")
    assert "4242" in detail and "default, mail" in detail
    assert 'id="worker-processed">12<' in detail and 'id="worker-failed">3<' in detail
    assert "tests.jobs.sample_jobs.Held" in detail and "busy" in detail
    assert http.get(PREFIX + "/workers/nobody:1:x").status_code == 404


def test_stats_show_totals_redis_info_and_keys(
    http: FlaskClient, client: Client, raw: redis.Redis, store: Store
) -> None:
    client.enqueue(Record, 1)
    raw.set("plain", "value", ex=100)

    html = page(http, "/stats")

    assert "redis_version" not in html  # shown by label, not raw INFO
    assert raw.info("server")["redis_version"] in html
    assert "resque:queue:default" in html and "plain" in html
    assert re.search(r"<td>string</td>\s*<td class=\"num\">5</td>\s*<td>1m 40s|1m 39s", html)


def test_a_key_of_every_type_shows_its_value(http: FlaskClient, raw: redis.Redis) -> None:
    raw.set("s", "hello")
    raw.rpush("l", *[f"item{n}" for n in range(30)])
    raw.sadd("st", "member-a", "member-b")
    raw.zadd("z", {"low": 1, "high": 2.5})
    raw.hset("h", mapping={"field-a": "value-a"})
    raw.xadd("x", {"f": "v"})

    def key(name: str, extra: str = "") -> str:
        return page(http, f"/stats/key?key={name.encode().hex()}{extra}")

    assert "hello" in key("s")
    first, second = key("l"), key("l", "&start=25")
    assert "item0" in first and "item24" in first and "item25" not in first
    assert "item29" in second and "item0<" not in second
    assert "member-a" in key("st") and "member-b" in key("st")
    assert re.search(r"high</td>\s*<td class=\"mono\">2.5<", key("z"))
    assert "field-a" in key("h") and "value-a" in key("h")
    assert "stream" in key("x")
    assert "does not exist" in key("missing")
    assert http.get(PREFIX + "/stats/key?key=zz").status_code == 400


def test_long_values_are_cut_and_their_full_length_shown(
    http: FlaskClient, raw: redis.Redis
) -> None:
    raw.set("big", "x" * 10_000)
    raw.rpush("biglist", "y" * 5000)

    html = page(http, f"/stats/key?key={b'big'.hex()}")
    assert "x" * 2000 in html and "x" * 2001 not in html and "10000 bytes" in html
    assert "(5000 bytes)" in page(http, f"/stats/key?key={b'biglist'.hex()}")


def test_the_keys_browser_pages_with_a_cursor(http: FlaskClient, raw: redis.Redis) -> None:
    raw.mset({f"k:{n}": n for n in range(300)})

    html = page(http, "/stats?per_page=20")
    next_link = re.search(r'href="([^"]*cursor=(\d+)[^"]*)"', html)
    assert next_link and next_link.group(2) != "0"
    seen = set(re.findall(r">(k:\d+)</a>", html))
    assert 20 <= len(seen) < 300
    assert "k:7</a>" in page(http, "/stats?match=k:7")


def test_numbers_in_the_query_string_are_clamped(http: FlaskClient, client: Client) -> None:
    client.enqueue_many(Record, [[n] for n in range(150)])

    html = page(http, "/queues/default?per_page=100000000&page=-5")
    assert "[99]" in html and "[100]" not in html
    assert "[0]" in page(http, "/queues/default?page=abc&per_page=xyz")
    assert 'data-refresh="60"' in page(http, "/?refresh=100000")
    assert 'data-refresh="1"' in page(http, "/?refresh=0")
    assert http.get(PREFIX + "/stats?cursor=-1&per_page=0").status_code == 200


def test_no_redis_password_on_any_page(store: Store, redis_url: str) -> None:
    from tests.jobs.web.conftest import host_app

    store.url = redis_url.replace("redis://", "redis://:sekrit-pw@")
    http = host_app(store).test_client()
    for path in ("/", "/stats", "/queues", "/failed", "/workers"):
        html = page(http, path)
        assert "sekrit-pw" not in html and "***" in html
