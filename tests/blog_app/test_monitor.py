"""The queue's web monitor, mounted at /jobs: admins only, showing the blog's Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.models import Author
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser


def test_visitors_are_sent_to_the_login_page(web: Browser) -> None:
    for path in ("/jobs/", "/jobs/workers", "/jobs/stats"):
        response = web.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=/jobs"), path


def test_admins_see_the_queues_of_the_blogs_redis(logged_in_admin: Browser, redis_url: str) -> None:
    queue = "thumbnails"
    redis.Redis.from_url(redis_url).sadd("resque:queues", queue)
    page = logged_in_admin.text("/jobs/")
    assert queue in page
    assert 'href="/jobs/' in page  # the monitor's own links stay under its mount point
    assert '<a class="back" href="/">' in page  # and one link leads back to the blog


def test_authors_who_are_not_admins_are_refused(
    logged_in: Browser, raw: redis.Redis, redis_url: str
) -> None:
    raw.rpush("resque:failed", '{"exception": "Boom", "backtrace": ["secret.py:1"]}')
    for path in ("/jobs/", "/jobs/failed", "/jobs/stats", "/jobs/workers"):
        response = logged_in.get(path)
        assert response.status_code == 403, path
        assert "secret.py" not in response.get_data(as_text=True), path
    assert logged_in.client.post("/jobs/failed/clear").status_code == 403
    assert raw.llen("resque:failed") == 1
    assert b'href="/jobs/"' not in logged_in.get("/").data  # no link to a page they cannot see


def test_without_any_redis_jobs_says_how_to_start_one(
    config: BlogConfig, author: Author, admin: Author, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    monkeypatch.setenv("JOBS_VAR_DIR", str(tmp_path))  # a var/ where no Redis runs
    browser = Browser(create_app(config.with_changes(redis_url="")).test_client())
    assert browser.get("/jobs/").status_code == 302
    browser.log_in(author.email, PASSWORD)
    assert browser.get("/jobs/").status_code == 403  # not an admin
    browser.log_in(admin.email, PASSWORD)
    assert "make redis" in browser.text("/jobs/")


def test_prometheus_reads_the_blogs_metrics_with_its_own_token_not_a_login(
    config: BlogConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert create_app(config).test_client().get("/jobs/metrics").status_code == 404  # off
    monkeypatch.setenv("JOBS_METRICS_TOKEN", "scrape-me")
    client = create_app(config).test_client()

    assert client.get("/jobs/metrics").status_code == 401  # a visitor: no login page either
    response = client.get("/jobs/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200
    assert "jobs_processed_total" in response.get_data(as_text=True)
