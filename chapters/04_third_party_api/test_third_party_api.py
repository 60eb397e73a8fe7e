"""Chapter 4's checkpoint: a comment is saved and answered at once, a Sidekiq-style CheckSpam
job carries its id, a real worker publishes or holds it, and the job copes with the outside
world: failures retried, a 429 honoured, a hung API cut short, retries run out into a held
comment, and a second run that changes nothing."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from sqlalchemy import select

import jobs
from blog_app.config import BlogConfig
from blog_app.db import open_session
from blog_app.models import Comment, CommentStatus
from blog_app.outside.api_standin import ApiStandin
from chapters.conftest import run_worker
from jobs.client import Client
from jobs.dev.local_redis import free_port
from jobs.schedule import Schedule
from jobs.scheduler import Scheduler
from jobs.testing import drain
from tests.blog_app.helpers import Browser

QUEUE = "resque:queue:spam"
RETRIES = "resque:jobs:retries"
LATENCY = 0.5  # seconds the spam API takes to answer, as in the lesson
# The request takes milliseconds; the limit is generous for a busy machine. What shows that the
# request does not wait for the API is that the API gets no call at all.
POST_LIMIT = 1.0
TIMEOUT = 0.5  # the blog's timeout for the API, in these checks
SPAM = "cheap casino viagra http://spam.example"


@pytest.fixture
def api() -> Iterator[ApiStandin]:
    with ApiStandin(latency=0.0) as standin:
        yield standin


@pytest.fixture
def blog_config(blog_config: BlogConfig, api: ApiStandin) -> BlogConfig:
    # No SMTP server on the mail port: the mail fails at once (chapter 6's business).
    return blog_config.with_changes(
        spam_api_url=api.url, spam_api_timeout=TIMEOUT, smtp_port=free_port()
    )


def _job_class() -> type:
    job = getattr(importlib.import_module("blog_app.jobs"), "CheckSpam", None)
    assert isinstance(job, type), "blog_app/jobs.py has no CheckSpam job yet (step 2)."
    return job


def _comment(browser: Browser, article: int, body: str = "A clear explanation.") -> float:
    """Post a comment on the article; returns how long the request took."""
    page = f"/articles/{article}"
    started = time.monotonic()
    response = browser.submit(page, {"author_name": "Grace", "body": body}, f"{page}/comments")
    took = time.monotonic() - started
    assert response.status_code == 302, f"Posting a comment answered {response.status}."
    return took


def _status(blog: Flask, body: str = "A clear explanation.") -> CommentStatus:
    with open_session(blog) as db:
        return db.scalars(select(Comment.status).where(Comment.body == body)).one()


def _run_with_retries(blog: Flask, client: Client, rounds: int = 10) -> None:
    """Run the spam jobs here, as a worker would; after each round, move every retry onto its
    queue at once, as the scheduler would once its pause is over (no waiting)."""
    later = Scheduler(client.store, client.settings, Schedule(), lambda: time.time() + 3600)
    for _ in range(rounds):
        with blog.app_context():
            drain(["spam"], ["blog_app.jobs"])
        later.tick()


def test_posting_a_comment_answers_at_once(
    blog: Flask, browser: Browser, article: int, api: ApiStandin
) -> None:
    """With the API taking 0.5 s, posting a comment answers at once: the request does not call
    the API, and the comment waits to be checked."""
    api.configure(latency=LATENCY)
    took = _comment(browser, article)
    assert api.requests == 0, (
        "The request called the spam API itself. Enqueue a CheckSpam job instead"
        " (CheckSpam.perform_async(comment.id), step 3)."
    )
    assert took < POST_LIMIT, f"Posting took {took:.2f} s; it should take milliseconds."
    assert _status(blog) is CommentStatus.PENDING, "The comment should be pending until checked."
    assert "waits to be checked" in browser.text(f"/articles/{article}")


def test_a_check_spam_job_carries_the_comment_id(
    blog: Flask, browser: Browser, article: int, raw: redis.Redis
) -> None:
    """The comment puts one job on the spam queue: CheckSpam, a jobs.Job, with its id."""
    _comment(browser, article)
    job_class = _job_class()
    assert issubclass(job_class, jobs.Job), (
        "CheckSpam should be written Sidekiq style: class CheckSpam(jobs.Job) (step 2)."
    )
    waiting = [json.loads(job) for job in raw.lrange(QUEUE, 0, -1)]
    assert waiting, f"Nothing waits on {QUEUE}: enqueue CheckSpam with queue = 'spam' (step 3)."
    with open_session(blog) as db:
        comment_id = db.scalars(select(Comment.id)).one()
    assert (waiting[0]["class"], waiting[0]["args"]) == ("blog_app.jobs.CheckSpam", [comment_id]), (
        f"The job is {waiting[0]['class']}{waiting[0]['args']}; it should be"
        f" blog_app.jobs.CheckSpam with the comment's id, [{comment_id}]."
    )


def test_a_worker_publishes_a_good_comment_and_holds_spam(
    blog: Flask, blog_config: BlogConfig, browser: Browser, article: int, raw: redis.Redis
) -> None:
    """A real worker runs the checks: a good comment is published, spam is held."""
    _comment(browser, article)
    _comment(browser, article, SPAM)
    output = run_worker(blog_config, "spam")
    failures = [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]
    assert not failures, f"The CheckSpam job failed: {failures[0].get('error')}"
    assert _status(blog) is CommentStatus.PUBLISHED, (
        f"The good comment was not published:\n{output}"
    )
    assert _status(blog, SPAM) is CommentStatus.HELD, "The spam was not held."


def test_failures_are_retried_until_the_api_answers(
    blog: Flask, browser: Browser, article: int, api: ApiStandin, jobs_client: Client
) -> None:
    """The API fails twice, then answers: the job retries, and the comment is published."""
    _comment(browser, article)
    api.configure(next=("error", "error"))
    _run_with_retries(blog, jobs_client)
    assert api.requests == 3, f"The API was called {api.requests} times; expected 3 (two fail)."
    assert _status(blog) is CommentStatus.PUBLISHED, (
        "After two failures and an answer the comment is not published: let CheckSpam retry"
        " (retry_on = (SpamCheckError,), step 4)."
    )


def test_a_429_is_retried_when_the_api_asks(
    blog: Flask, browser: Browser, article: int, api: ApiStandin, raw: redis.Redis
) -> None:
    """A 429 with Retry-After: 7 puts the job back for 7 seconds, not for the usual pause."""
    _comment(browser, article)
    api.configure(next=("429",), retry_after=7.0)
    with blog.app_context():
        drain(["spam"], ["blog_app.jobs"])
    retries = raw.zrange(RETRIES, 0, -1, withscores=True)
    assert retries, "After a 429 the job is not waiting to be retried (step 4)."
    seconds, micro = raw.time()
    wait = retries[0][1] / 1000 - (seconds + micro / 1e6)
    assert 5.0 <= wait <= 7.5, (
        f"After a 429 asking for 7 s, the job comes back in {wait:.1f} s: wait as long as"
        " Retry-After asks: raise jobs.Retry(in_seconds=busy.retry_after) (step 4)."
    )


def test_a_hung_api_does_not_hang_the_worker(
    blog: Flask, browser: Browser, article: int, api: ApiStandin, raw: redis.Redis
) -> None:
    """An API that accepts the call and never answers costs the job its timeout, not the
    worker's life: the job fails in time and waits to be retried."""
    _comment(browser, article)
    api.configure(failure_rate=1.0, failures=("timeout",), hang=5.0)
    started = time.monotonic()
    with blog.app_context():
        drain(["spam"], ["blog_app.jobs"])
    took = time.monotonic() - started
    assert took < 3.0, (
        f"The job waited {took:.1f} s for an API that hangs: call it with a connect and a read"
        " timeout (requests.post(..., timeout=(connect, read)), step 4)."
    )
    assert raw.zcard(RETRIES) == 1, "After the timeout the job should wait to be retried."


def test_when_retries_run_out_the_comment_is_held(
    blog: Flask, browser: Browser, article: int, api: ApiStandin, jobs_client: Client
) -> None:
    """With the API down for good, the comment is held for the author after the last retry,
    not left pending for ever."""
    _comment(browser, article)
    api.configure(failure_rate=1.0, failures=("error",))
    _run_with_retries(blog, jobs_client)
    assert _status(blog) is CommentStatus.HELD, (
        "The retries ran out and the comment is still pending: give CheckSpam an"
        " on_retries_exhausted that holds the comment for the author (step 5)."
    )


def test_two_runs_make_one_decision(
    blog: Flask, browser: Browser, article: int, raw: redis.Redis
) -> None:
    """A second run of the same job (at-least-once delivery) changes nothing: not even a
    decision the author made since."""
    _comment(browser, article)
    once = raw.lrange(QUEUE, 0, -1)
    with blog.app_context():
        drain(["spam"], ["blog_app.jobs"])
    assert _status(blog) is CommentStatus.PUBLISHED, "The first run did not publish the comment."
    with open_session(blog) as db:  # the author holds it after all
        db.scalars(select(Comment)).one().status = CommentStatus.HELD
    raw.rpush(QUEUE, *once)
    with blog.app_context():
        drain(["spam"], ["blog_app.jobs"])
    assert _status(blog) is CommentStatus.HELD, (
        "A second run of the same CheckSpam job decided again, and overturned the author."
        " Decide only a pending comment, in the model (Comment.decide, step 6)."
    )
