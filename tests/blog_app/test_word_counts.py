"""The word-count cache (blog_app/word_counts.py): what the RecountWords job keeps in Redis,
how old it is, and the recount that every committed change to the words asks for."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import redis
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session as DbSession

import blog_app.jobs
from blog_app.models import Article, Author, Comment, CommentStatus
from blog_app.word_counts import KEY, SiteCounts, WordCountCache, forget_counts
from jobs.client import Client, set_default_client
from jobs.dev.local_redis import free_port
from jobs.schedule import default_schedule
from jobs.settings import Settings
from jobs.store import Store
from jobs.testing import drain
from tests.blog_app.helpers import published_draft_and_comment

RECOUNT = "blog_app.jobs.RecountWords"


def recounts_waiting(raw: redis.Redis) -> int:
    return sum(RECOUNT in payload for payload in raw.lrange("resque:queue:counts", 0, -1))


@pytest.fixture
def quiet(raw: redis.Redis) -> redis.Redis:
    """The test's Redis with no recount waiting yet (the fixtures' own commits asked for one)."""
    raw.delete("resque:queue:counts", *raw.scan_iter("resque:jobs:unique:*"))
    return raw


def counts_at(at: datetime, article_words: int = 1200) -> SiteCounts:
    comments = {CommentStatus.PENDING: 1, CommentStatus.PUBLISHED: 5, CommentStatus.HELD: 0}
    return SiteCounts(2, 7, 3, article_words, 34, comments, at)


def test_counts_are_kept_and_read_back_with_their_time(app: Flask, raw: redis.Redis) -> None:
    cache = WordCountCache.of(app)
    assert cache.read() is None
    at = datetime(2026, 11, 29, 12, 0, 0, 500_000, tzinfo=UTC)
    cache.write(counts_at(at))
    assert cache.read() == counts_at(at)
    assert raw.hgetall(KEY) == {
        "authors": "2", "articles": "7", "published": "3", "article_words": "1200",
        "comment_words": "34", "comments:pending": "1", "comments:published": "5",
        "comments:held": "0", "computed_at": repr(at.timestamp()),
    }  # fmt: skip
    raw.hdel(KEY, "comment_words")  # half a record is no record
    assert cache.read() is None
    cache.write(counts_at(at))
    raw.hset(KEY, "articles", "many")
    assert cache.read() is None
    forget_counts(app)
    assert raw.exists(KEY) == 0


def test_the_age_reads_as_a_person_says_it() -> None:
    at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    counts = counts_at(at)
    said = [counts.age_in_words(at + timedelta(seconds=s)) for s in (0.4, 1, 12, 60, 150, 7300)]
    assert said == [
        "less than a second",
        "1 second",
        "12 seconds",
        "1 minute",
        "2 minutes",
        "2 hours",
    ]
    assert counts.age_seconds(at - timedelta(seconds=5)) == 0  # a clock behind is not negative


def test_the_recount_counts_every_article_and_comment(
    app: Flask, db: DbSession, author: Author
) -> None:
    published_draft_and_comment(db, author)
    before = datetime.now(UTC)
    counts = SiteCounts.count(db)
    assert (counts.authors, counts.articles, counts.published) == (1, 2, 1)
    assert (counts.article_words, counts.comment_words) == (6, 3)
    assert counts.comments == {
        CommentStatus.PENDING: 1, CommentStatus.PUBLISHED: 0, CommentStatus.HELD: 0
    }  # fmt: skip
    assert before <= counts.computed_at <= datetime.now(UTC)


def test_each_commit_that_changes_words_asks_for_one_recount(
    db: DbSession, author: Author, quiet: redis.Redis
) -> None:
    article = Article(author=author, title="t", body="one")
    db.add(article)
    db.commit()
    assert recounts_waiting(quiet) == 1
    for number in range(5):
        db.add(Comment(article=article, author_name="A", body=f"comment {number}"))
        db.commit()
    assert recounts_waiting(quiet) == 1  # unique: one copy waits, however many ask


def test_a_rollback_or_a_change_elsewhere_asks_for_nothing(
    db: DbSession, author: Author, quiet: redis.Redis
) -> None:
    db.add(Article(author=author, title="t", body="never saved"))
    db.flush()
    db.rollback()
    author.name = "Ada L."  # not an article, not a comment
    db.commit()
    assert recounts_waiting(quiet) == 0


def test_a_statement_that_changes_comments_asks_for_a_recount(
    db: DbSession, author: Author, raw: redis.Redis
) -> None:
    article = Article(author=author, title="t", body="one")
    db.add(Comment(article=article, author_name="A", body="two"))
    db.commit()
    raw.delete("resque:queue:counts", *raw.scan_iter("resque:jobs:unique:*"))
    db.execute(update(Comment).values(body="two three"))
    db.commit()
    assert recounts_waiting(raw) == 1


def test_with_redis_gone_the_change_is_saved_and_the_failed_ask_logged_once(
    db: DbSession, author: Author, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    db.add(Article(author=author, title="t", body="asked for, with Redis up"))
    db.commit()
    gone = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert gone.redis_url
    set_default_client(Client(Store(gone.redis_url), gone))
    try:
        with caplog.at_level(logging.WARNING, logger="blog_app.word_counts"):
            for number in range(3):
                db.add(Article(author=author, title="t", body=f"still saved {number}"))
                db.commit()
    finally:
        set_default_client(client)
    assert db.query(Article).count() == 4
    assert caplog.text.count("Could not ask for a word recount") == 1  # once, not per commit
    assert "the recurring one will" in caplog.text


def test_the_recount_job_keeps_the_counts_and_is_a_unique_recurring_job(
    app: Flask, db: DbSession, author: Author
) -> None:
    db.add(Article(author=author, title="t", body="one two"))
    db.commit()
    with app.app_context():
        assert drain(["counts"], ["blog_app.jobs"]) == 1
    counts = WordCountCache.of(app).read()
    assert counts is not None and (counts.article_words, counts.comment_words) == (2, 0)
    assert blog_app.jobs.RecountWords.unique is True
    assert RECOUNT in [entry.class_name for entry in default_schedule.entries.values()]
