"""The Scheduled, Retries and Recurring tabs: real delayed jobs, retries and schedules, a page
at a time, and their "enqueue now" and "remove" buttons."""

from __future__ import annotations

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from jobs.client import Client
from jobs.schedule import Schedule
from jobs.scheduler import Scheduler
from jobs.settings import Settings
from jobs.store import Store
from jobs.testing import drain
from tests.jobs.retry_jobs import Flaky, Maintenance
from tests.jobs.sample_jobs import Record
from tests.jobs.web.conftest import PREFIX, host_app, page, post

MODULES = ["tests.jobs.sample_jobs", "tests.jobs.retry_jobs"]


def test_the_scheduled_tab_lists_delayed_jobs_soonest_first_a_page_at_a_time(
    http: FlaskClient, client: Client
) -> None:
    for n in range(30):
        client.enqueue_in(1000 + n, Record, f"job-{n:02d}")

    first = page(http, "/scheduled/scheduled?per_page=10")
    second = page(http, "/scheduled/scheduled?per_page=10&page=2")

    assert "job-00" in first and "job-09" in first and "job-10" not in first
    assert "job-10" in second and "job-19" in second
    assert first.index("job-00") < first.index("job-09")
    assert '<span class="count">30</span>' in first
    assert "tests.jobs.sample_jobs.Record" in first and "UTC" in first


def test_arguments_are_escaped(http: FlaskClient, client: Client) -> None:
    client.enqueue_in(60, Record, "<script>alert(1)</script>")

    html = page(http, "/scheduled/scheduled")

    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_enqueue_a_delayed_job_now(http: FlaskClient, client: Client) -> None:
    job_id = client.enqueue_in(3600, Record, "now please")

    response = post(http, "/scheduled/scheduled/enqueue", ref=job_id)

    assert response.status_code == 302
    assert response.location.endswith(f"{PREFIX}/scheduled/scheduled")
    assert [job["id"] for job in client.peek("default")] == [job_id]
    assert "Enqueued it." in http.get(response.location).get_data(as_text=True)


def test_remove_a_delayed_job(http: FlaskClient, client: Client) -> None:
    keep = client.enqueue_in(3600, Record, "keep")
    drop = client.enqueue_in(3600, Record, "drop")

    post(http, "/scheduled/scheduled/remove", ref=drop)

    assert [job.id for job in client.delayed().page(0, 10)] == [keep]
    assert client.size("default") == 0


def test_the_retries_tab_shows_the_count_and_the_last_error(
    http: FlaskClient, client: Client, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)  # the job reports its attempts there
    job_id = client.enqueue(Flaky, "flaky-token", 5)
    drain(["default"], MODULES, client)

    html = page(http, "/scheduled/retries")

    assert "flaky-token" in html and "retry 1: ConnectionError: attempt 1 of flaky-token" in html
    post(http, "/scheduled/retries/enqueue", ref=job_id)
    assert [job["id"] for job in client.peek("default")] == [job_id]
    assert "Nothing waiting." in page(http, "/scheduled/retries")


def test_the_recurring_tab_shows_each_schedule_with_its_last_and_next_run(
    http: FlaskClient, client: Client, settings: Settings
) -> None:
    schedule = Schedule()
    schedule.every(300, Maintenance, "sessions", name="expire-sessions")
    Scheduler(client.store, settings, schedule).tick()

    html = page(http, "/scheduled/recurring")

    assert "expire-sessions: every 300s" in html and "not yet" in html
    assert "tests.jobs.retry_jobs.Maintenance" in html and "maintenance" in html
    post(http, "/scheduled/recurring/enqueue", ref="expire-sessions")
    assert [job["args"] for job in client.peek("maintenance")] == [["sessions"]]
    post(http, "/scheduled/recurring/remove", ref="expire-sessions")
    assert "Nothing waiting." in page(http, "/scheduled/recurring")


def test_read_only_hides_the_buttons_and_refuses_the_posts(
    store: Store, client: Client, raw: redis.Redis
) -> None:
    app: Flask = host_app(store, read_only=True)
    http = app.test_client()
    job_id = client.enqueue_in(3600, Record, "stays")

    html = page(http, "/scheduled/scheduled")

    assert "stays" in html and "Enqueue now" not in html
    response = http.post(
        PREFIX + "/scheduled/scheduled/enqueue",
        data={"ref": job_id},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code in (403, 405)
    assert raw.zcard("resque:jobs:scheduled") == 1
