"""The models: authors, sessions, articles, comments; their domain logic, on both databases."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from blog_app.db import engine
from blog_app.models import Article, Author, Comment, CommentStatus, Session
from blog_app.models._time import utcnow
from tests.blog_app.helpers import deleted_per_transaction

DAY = timedelta(days=1)


def test_an_author_signs_up_with_a_hashed_password_and_a_normalized_email(db: DbSession) -> None:
    author = Author.sign_up(db, " Ada ", " Ada@Example.COM ", "s3cret-pass", "pbkdf2:sha256:1000")
    db.commit()
    assert (author.name, author.email) == ("Ada", "ada@example.com")
    assert "s3cret-pass" not in author.password_hash
    assert Author.authenticate(db, "ADA@example.com", "s3cret-pass") == author
    assert Author.authenticate(db, "ada@example.com", "wrong") is None
    assert Author.authenticate(db, "nobody@example.com", "s3cret-pass") is None
    assert Author.email_taken(db, "ada@EXAMPLE.com")
    assert Author.count(db) == 1


def test_a_session_is_found_by_its_token_until_it_expires(db: DbSession, author: Author) -> None:
    session, token = Session.start(db, author)
    db.commit()
    assert token not in session.token_hash  # only the hash is stored
    assert Session.find_live(db, token, DAY) == session
    assert Session.find_live(db, "not-a-token", DAY) is None
    session.last_seen_at = utcnow() - 2 * DAY
    db.commit()
    assert Session.find_live(db, token, DAY) is None
    session.touch()
    assert Session.find_live(db, token, DAY) == session


def test_expire_old_deletes_only_sessions_unseen_for_the_lifetime(
    db: DbSession, author: Author
) -> None:
    for age in (0, 2, 3):
        session, _token = Session.start(db, author)
        session.last_seen_at = utcnow() - age * DAY
    db.commit()
    assert Session.expire_old(db, DAY) == 2
    db.commit()
    assert [s.last_seen_at > utcnow() - DAY for s in db.query(Session)] == [True]
    assert Session.expire_old(db, DAY) == 0


def test_expire_old_deletes_a_batch_per_transaction(
    db: DbSession, author: Author, app: Flask
) -> None:
    for age in (2, 2, 2, 2, 2, 0):
        session, _token = Session.start(db, author)
        session.last_seen_at = utcnow() - age * DAY
    db.commit()
    per_transaction = deleted_per_transaction(engine(app), "sessions")
    assert Session.expire_old(db, DAY, batch=2) == 5
    assert per_transaction == [2, 2, 1]  # each batch committed before the next one starts
    assert [s.last_seen_at > utcnow() - DAY for s in db.query(Session)] == [True]


def test_an_article_is_a_draft_until_published(db: DbSession, author: Author) -> None:
    article = Article(author=author, title="Queues", body="one two three")
    db.add(article)
    db.commit()
    assert not article.is_published and article.word_count == 3
    assert Article.count(db) == 1 and Article.count(db, published_only=True) == 0
    article.publish()
    first = article.published_at
    article.publish()
    assert article.is_published and article.published_at == first  # publishing twice is harmless
    article.unpublish()
    assert not article.is_published


def test_publish_waits_for_the_fake_delay(author: Author) -> None:
    article = Article(author=author, title="Slow", body="zzz")
    started = time.monotonic()
    article.publish(delay=0.2)
    assert time.monotonic() - started >= 0.2
    assert article.is_published


def test_drafts_are_seen_and_changed_only_by_their_author(
    db: DbSession, author: Author, other_author: Author
) -> None:
    draft = Article(author=author, title="Draft", body="x")
    public = Article(author=other_author, title="Public", body="y")
    public.publish()
    db.add_all([draft, public])
    db.commit()
    assert draft.can_be_seen_by(author) and not draft.can_be_seen_by(other_author)
    assert not draft.can_be_seen_by(None) and public.can_be_seen_by(None)
    assert draft.can_be_changed_by(author) and not public.can_be_changed_by(author)
    assert Article.listing(db, None) == [public]
    assert set(Article.listing(db, author)) == {draft, public}


def test_total_word_counts_cover_every_row(db: DbSession, author: Author) -> None:
    assert Article.total_word_count(db) == 0 and Comment.total_word_count(db) == 0
    first = Article(author=author, title="a", body="one two three")
    second = Article(author=author, title="b", body="four\n\nfive")
    db.add_all([first, second, Comment(article=first, author_name="Bo", body="so  true")])
    db.commit()
    assert Article.total_word_count(db) == 5
    assert Comment.total_word_count(db) == 2


@pytest.mark.parametrize(
    ("score", "status"),
    [(0.1, CommentStatus.PUBLISHED), (0.5, CommentStatus.HELD), (0.9, CommentStatus.HELD)],
)
def test_a_spam_score_publishes_or_holds_a_comment(score: float, status: CommentStatus) -> None:
    comment = Comment(author_name="Bo", body="hi")
    comment.record_spam_score(score, threshold=0.5)
    assert (comment.status, comment.spam_score) == (status, score)


def test_comments_start_pending_and_are_counted_by_status(db: DbSession, author: Author) -> None:
    article = Article(author=author, title="t", body="b")
    pending = Comment(article=article, author_name="A", body="x")
    held = Comment(article=article, author_name="B", body="y")
    held.record_spam_score(0.99, 0.5)
    db.add_all([pending, held])
    db.commit()
    assert pending.status is CommentStatus.PENDING
    counts = Comment.count_by_status(db)
    assert counts == {CommentStatus.PENDING: 1, CommentStatus.PUBLISHED: 0, CommentStatus.HELD: 1}


def test_the_authors_notification_names_the_article_and_the_comment(author: Author) -> None:
    article = Article(author=author, title="On queues", body="b")
    comment = Comment(article=article, author_name="Grace", body="Lovely post.")
    message = comment.notification_for_author("blog@localhost")
    assert message["To"] == author.email and message["From"] == "blog@localhost"
    assert "On queues" in message["Subject"]
    assert "Grace" in message.get_content() and "Lovely post." in message.get_content()


def test_deleting_an_author_deletes_their_articles_and_comments(
    db: DbSession, author: Author
) -> None:
    article = Article(author=author, title="t", body="b")
    db.add_all([article, Comment(article=article, author_name="A", body="x")])
    db.commit()
    db.delete(author)
    db.commit()
    assert Article.count(db) == 0 and Comment.total_word_count(db) == 0


def test_a_comment_is_decided_once(db: DbSession, author: Author) -> None:
    article = Article(author=author, title="T", body="b")
    comment = Comment(article=article, author_name="Grace", body="hi")
    db.add(comment)
    db.commit()
    assert Comment.decide(db, comment.id, CommentStatus.PUBLISHED, 0.1)
    assert not Comment.decide(db, comment.id, CommentStatus.HELD, 0.9)  # a second run: no say
    db.commit()
    db.refresh(comment)
    assert (comment.status, comment.spam_score) == (CommentStatus.PUBLISHED, 0.1)
    assert not Comment.decide(db, 404, CommentStatus.HELD)
