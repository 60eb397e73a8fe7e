"""Chapter 7's checkpoint: the dashboard reads the counts a RecountWords job keeps, in bounded
work however big the blog; with nothing counted it says so and queues a recount; every change
asks for a recount, after its commit; a burst queues at most two; a schedule is the safety net."""

from __future__ import annotations

import importlib
import json
import re
import statistics
import time
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from sqlalchemy import event, insert, select

from blog_app.config import BlogConfig
from blog_app.db import engine, open_session
from blog_app.models import Article, Author, Comment
from blog_app.models._time import utcnow
from blog_app.word_counts import KEY, SiteCounts
from chapters.conftest import run_worker
from jobs.client import Client
from jobs.dev.local_redis import free_port
from jobs.schedule import default_schedule
from jobs.testing import drain
from tests.blog_app.helpers import Browser

QUEUE = "resque:queue:counts"
ARTICLES, COMMENTS = 10_000, 50_000  # the blog of the lesson's step 1
WARM_LIMIT = 0.5  # seconds; a warm view takes milliseconds: the limit is for a busy machine.
# What shows the dashboard no longer counts is the work it does: no query of the articles or
# comments, and a Redis command or two.
REDIS_COMMANDS = 3


@pytest.fixture
def blog_config(blog_config: BlogConfig) -> BlogConfig:
    # No SMTP server on the mail port (the comment's mail fails at once: chapter 6's business),
    # and no fake delay, so that publishing is quick.
    return blog_config.with_changes(smtp_port=free_port(), publish_delay=0.0)


def _recount_job() -> type:
    module = importlib.import_module("blog_app.jobs")
    job = getattr(module, "RecountWords", None)
    assert isinstance(job, type), "blog_app/jobs.py has no RecountWords job yet (step 2)."
    return job


def _recounts_waiting(raw: redis.Redis) -> int:
    return sum(".RecountWords" in payload for payload in raw.lrange(QUEUE, 0, -1))


def _recount(blog: Flask) -> int:
    """Run the recounts waiting, here, as a worker would."""
    with blog.app_context():
        return drain(["counts"], ["blog_app.jobs"])


def _number(page: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">(\d+)<', page)
    assert match, f"The dashboard shows no {element_id} number."
    return int(match.group(1))


def _fill(blog: Flask, articles: int, comments: int) -> None:
    """A big blog, in a few quick inserts: every article 300 words, every comment 40."""
    now = utcnow()
    with open_session(blog) as db:
        author_id = db.scalars(select(Author.id)).first()
        body, remark = " ".join(["word"] * 300), " ".join(["nice"] * 40)
        db.execute(insert(Article), [
            {"author_id": author_id, "title": f"Article {n}", "body": body,
             "created_at": now, "updated_at": now, "published_at": now}
            for n in range(articles)
        ])  # fmt: skip
        if comments:  # an empty list would insert one row of defaults
            db.execute(insert(Comment), [
                {"article_id": 1 + n % articles, "author_name": "Reader", "body": remark,
                 "status": "published", "created_at": now}
                for n in range(comments)
            ])  # fmt: skip


@pytest.fixture
def queries(blog: Flask) -> Iterator[list[str]]:
    """The SQL the blog runs, statement by statement."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        seen.append(statement)

    event.listen(engine(blog), "before_cursor_execute", note)
    yield seen
    event.remove(engine(blog), "before_cursor_execute", note)


def _commands(raw: redis.Redis) -> int:
    return int(raw.info("stats")["total_commands_processed"])


def test_the_dashboard_reads_the_kept_counts_in_bounded_work(
    blog: Flask, browser: Browser, raw: redis.Redis, queries: list[str]
) -> None:
    """On 10,000 articles and 50,000 comments, a warm dashboard runs no query over the
    articles or comments: it reads the counts the RecountWords job keeps, in a Redis command."""
    _recount_job()
    _fill(blog, ARTICLES, COMMENTS)
    browser.text("/dashboard")
    _recount(blog)
    took, counting = [], []
    for _ in range(3):
        queries.clear()
        before = _commands(raw)
        started = time.perf_counter()
        page = browser.text("/dashboard")
        took.append(time.perf_counter() - started)
        commands = _commands(raw) - before - 1  # less the INFO that read the count
        counting = [q for q in queries if re.search(r"\b(articles|comments)\b", q)]
        assert not counting, (
            f"A warm dashboard still counts: it ran {len(counting)} queries over the articles"
            f" and comments (`{counting[0].split()[0]} ...`). Read the counts that the"
            " RecountWords job keeps instead (step 3)."
        )
        assert "being computed" not in page, (
            "The RecountWords job ran, yet the dashboard still says the counts are being"
            " computed: the job must keep the counts it made (WordCountCache, step 2)."
        )
        assert commands <= REDIS_COMMANDS, (
            f"A warm dashboard sent {commands} Redis commands: one read is enough (step 3)."
        )
    assert _number(page, "article-words") == ARTICLES * 300, "The article words are wrong."
    assert _number(page, "comment-words") == COMMENTS * 40, "The comment words are wrong."
    assert re.search(r"Counted .+ ago", page), "The dashboard does not say how old the counts are."
    median = statistics.median(took)
    print(f"\nwarm dashboard: {median * 1000:.1f} ms (median of 3)")
    assert median < WARM_LIMIT, f"A warm dashboard took {median:.2f} s: it should take ms."


def test_with_nothing_counted_the_dashboard_says_so_and_queues_a_recount(
    blog: Flask, browser: Browser, raw: redis.Redis
) -> None:
    """With nothing counted yet, the dashboard says the counts are being computed and makes
    sure one RecountWords job is queued, however often it is opened."""
    _recount_job()
    raw.delete(KEY, QUEUE, *raw.scan_iter("resque:jobs:unique:*"))
    pages = [browser.text("/dashboard") for _ in range(3)]
    assert "being computed" in pages[0], (
        "With nothing counted, the dashboard should say the counts are being computed (step 3)."
    )
    waiting = _recounts_waiting(raw)
    assert waiting >= 1, (
        "With nothing counted, the dashboard queued no RecountWords job: it must make sure a"
        " recount is on its way (step 3)."
    )
    assert waiting == 1, (
        f"Three views queued {waiting} RecountWords jobs: declare the job unique = True (step 4)."
    )
    assert _recount(blog) == 1
    assert "being computed" not in browser.text("/dashboard"), "The counts were not kept (step 2)."


def test_after_publishing_and_commenting_the_numbers_equal_a_fresh_count(
    blog: Flask, blog_config: BlogConfig, browser: Browser, raw: redis.Redis
) -> None:
    """Publish an article and post a comment, let a real worker run what they queued: the
    dashboard's numbers equal a fresh count."""
    _recount_job()
    _fill(blog, 20, 50)
    form = {"title": "Counting", "body": "five words in this body", "publish": "y"}
    browser.submit("/articles/new", form)
    comment = {"author_name": "Grace", "body": "three more words"}
    browser.submit("/articles/1", comment, "/articles/1/comments")
    raw.delete(QUEUE, *raw.scan_iter("resque:jobs:unique:*"))  # only the worker's asks count
    output = run_worker(blog_config, "sleep,counts")
    failures = [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]
    assert not failures, f"A job failed: {failures[0].get('error')}\n{output}"
    assert raw.hget(KEY, "computed_at"), (
        "Publishing the article (in the Sleeper job) asked for no recount, so the counts were"
        " never kept: ask for a RecountWords job after each commit that changes the words"
        f" (step 5). The worker said:\n{output}"
    )
    page = browser.text("/dashboard")
    with open_session(blog) as db:
        fresh = SiteCounts.count(db)
        assert db.get(Article, 21) is not None, "The new article was not saved."
    shown = {
        name: _number(page, element)
        for name, element in (("articles", "articles"), ("article_words", "article-words"),
                              ("comment_words", "comment-words"))
    }  # fmt: skip
    expected = {name: getattr(fresh, name) for name in shown}
    assert shown == expected, f"The dashboard shows {shown}; a fresh count says {expected}."
    assert _number(page, "comments-published") + _number(page, "comments-pending") == 51


def test_a_burst_of_100_comments_queues_at_most_two_recounts(
    blog: Flask, browser: Browser, raw: redis.Redis, jobs_client: Client
) -> None:
    """100 comments in a burst queue at most two recounts: one that a worker took while the
    burst went on, and one waiting for the comments since."""
    _recount_job()
    _fill(blog, 1, 0)
    raw.delete(QUEUE, *raw.scan_iter("resque:jobs:unique:*"))
    token = browser.csrf_token("/articles/1")
    taken = None
    for number in range(100):
        if number == 50:  # a worker takes the recount waiting: it runs while the burst goes on
            taken = jobs_client.store.queues.fetch("host:1:counts", ["counts"], "now")
        data = {"author_name": "Reader", "body": f"comment {number}", "csrf_token": token}
        browser.client.post("/articles/1/comments", data=data)
    waiting = _recounts_waiting(raw)
    assert waiting >= 1 and taken is not None, (
        "100 comments asked for no recount: ask for a RecountWords job after each commit that"
        " changes the words, comments too (step 5)."
    )
    assert waiting == 1, (
        f"100 comments queued {waiting + 1} recounts (counting the one taken mid-burst): declare"
        " RecountWords unique = True, so that one copy waits at most (step 4)."
    )


def test_a_recurring_recount_is_the_safety_net() -> None:
    """RecountWords is unique and runs on a schedule too, at least once an hour."""
    job = _recount_job()
    assert getattr(job, "unique", False) is True, "Declare RecountWords unique = True (step 4)."
    found = [e for e in default_schedule.entries.values() if e.class_name.endswith(".RecountWords")]
    assert found, (
        "Nothing puts RecountWords on a schedule: a change whose recount was lost (Redis down"
        " during the request) would never be counted. Add the safety net: "
        "jobs.schedule.every(600, RecountWords) (step 6)."
    )
    assert found[0].every is None or found[0].every <= 3600, "Recount at least once an hour."
