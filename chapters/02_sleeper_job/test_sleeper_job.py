"""Chapter 2's checkpoint: publishing enqueues a Sleeper job instead of waiting, and a real
worker, started as the lesson starts it, publishes the article."""

from __future__ import annotations

import json
import time

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from blog_app.config import BlogConfig
from blog_app.db import open_session
from blog_app.models import Article, Author
from chapters.conftest import run_worker
from tests.blog_app.helpers import Browser

DELAY = 2.0  # the blog's fake delay in these checks
QUEUE = "resque:queue:sleep"


@pytest.fixture
def blog_config(blog_config: BlogConfig) -> BlogConfig:
    return blog_config.with_changes(publish_delay=DELAY)


@pytest.fixture
def draft(blog: Flask, browser: Browser) -> int:
    """A draft article's id."""
    with open_session(blog) as db:
        author = db.scalars(select(Author)).one()
        article = Article(author=author, title="On queues", body="Workers take jobs.")
        db.add(article)
        db.flush()
        return article.id


def _publish(browser: Browser, article_id: int) -> float:
    """Press Publish on the article's page; returns how long the request took."""
    started = time.monotonic()
    response = browser.submit(f"/articles/{article_id}", {}, f"/articles/{article_id}/publish")
    took = time.monotonic() - started
    assert response.status_code == 302, f"Publishing answered {response.status}, not a redirect."
    return took


def _is_published(blog: Flask, article_id: int) -> bool:
    with open_session(blog) as db:
        article = db.get(Article, article_id)
        return article is not None and article.is_published


def _waiting(raw: redis.Redis) -> list[dict[str, object]]:
    return [json.loads(job) for job in raw.lrange(QUEUE, 0, -1)]


def test_publishing_answers_at_once(blog: Flask, browser: Browser, draft: int) -> None:
    """Publishing answers at once: the fake delay is no longer inside the request."""
    took = _publish(browser, draft)
    assert took < DELAY / 2, (
        f"Publishing still takes {took:.1f} s inside the request: enqueue a Sleeper job in"
        " the view instead of calling article.publish there (step 3 of the lesson)."
    )
    assert not _is_published(blog, draft), (
        "The request published the article itself; leave that to the Sleeper job."
    )


def test_a_sleeper_job_waits_on_the_sleep_queue(
    browser: Browser, draft: int, raw: redis.Redis
) -> None:
    """Publishing puts one job on the sleep queue: the Sleeper, with the article's id."""
    _publish(browser, draft)
    waiting = _waiting(raw)
    assert waiting, (
        f"Nothing waits on {QUEUE}: the publish view should enqueue a Sleeper job, whose"
        ' class says queue = "sleep" (steps 2 and 3 of the lesson).'
    )
    assert len(waiting) == 1, f"{len(waiting)} jobs wait on {QUEUE}; publishing enqueues one."
    job = waiting[0]
    assert job["class"] == "blog_app.jobs.Sleeper", (
        f"The job on {QUEUE} is {job['class']}: it should be the Sleeper class in"
        " blog_app/jobs.py, where a worker looks for the blog's jobs."
    )
    assert job["args"] == [draft], (
        f"The Sleeper job's arguments are {job['args']}: pass the article's id, {draft},"
        " and nothing else. A job carries ids, not objects."
    )


def test_a_worker_publishes_the_article(
    blog: Flask, blog_config: BlogConfig, browser: Browser, draft: int, raw: redis.Redis
) -> None:
    """A worker (python -m jobs work --queue sleep) runs the job and publishes the article."""
    _publish(browser, draft)
    assert raw.llen(QUEUE), "No job reached the sleep queue, so a worker has nothing to run."
    output = run_worker(blog_config, "sleep", PUBLISH_DELAY="0.1")
    failures = [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]
    assert not failures, (
        "The worker ran the Sleeper job and it failed with"
        f" {failures[0].get('exception')}: {failures[0].get('error')}"
    )
    assert raw.get("resque:stat:processed") == "1", (
        f"The worker did not run the Sleeper job. It said:\n{output}"
    )
    assert _is_published(blog, draft), (
        "The worker ran the Sleeper job, but the article is still a draft: Sleeper.perform"
        " should load the article by its id and call article.publish (step 2 of the lesson)."
    )


def test_the_monitor_shows_the_waiting_job(blog: Flask, browser: Browser, draft: int) -> None:
    """The monitor (/jobs) shows the sleep queue and its job."""
    _publish(browser, draft)
    page = browser.text("/jobs/queues/sleep")
    assert "blog_app.jobs.Sleeper" in page, (
        "The monitor's page for the sleep queue does not show the Sleeper job."
    )
