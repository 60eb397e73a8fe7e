"""The dashboard's totals, the outbox page, and the friendly error pages."""

from __future__ import annotations

import re

import redis
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from blog_app.models import Article, Author, Comment
from blog_app.outside.smtp_sink import SmtpSink
from blog_app.services.mailer import Mailer
from jobs.testing import drain
from tests.blog_app.helpers import Browser, published_draft_and_comment


def _number(page: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">(\d+)<', page)
    assert match, element_id
    return int(match.group(1))


def _recount(app: Flask) -> int:
    """Run the recounts waiting, as a worker would; returns how many ran."""
    with app.app_context():
        return drain(["counts"], ["blog_app.jobs"])


def test_the_dashboard_shows_the_counts_a_job_made_and_how_old_they_are(
    logged_in: Browser, db: DbSession, author: Author, app: Flask, raw: redis.Redis
) -> None:
    article = published_draft_and_comment(db, author)
    raw.delete("resque:queue:counts", *raw.scan_iter("resque:jobs:unique:*"))
    page = logged_in.text("/dashboard")  # nothing counted yet
    assert "being computed" in page and "article-words" not in page
    assert _recount(app) == 1  # the dashboard made sure a recount was queued
    page = logged_in.text("/dashboard")
    assert _number(page, "articles") == 2 and _number(page, "authors") == 1
    assert _number(page, "comments-pending") == 1
    assert _number(page, "article-words") == 6 and _number(page, "comment-words") == 3
    assert re.search(r"Counted (less than a second|1 second|\d seconds) ago", page)
    db.add(Comment(article=article, author_name="B", body="ten"))
    db.commit()  # asks for a recount
    assert _number(logged_in.text("/dashboard"), "comment-words") == 3  # the cached counts
    assert _recount(app) == 1
    assert _number(logged_in.text("/dashboard"), "comment-words") == 4


def test_the_outbox_page_shows_the_sinks_mail(
    logged_in: Browser, smtp_sink: SmtpSink, db: DbSession, author: Author
) -> None:
    article = Article(author=author, title="Mail me", body="x")
    comment = Comment(article=article, author_name="Grace", body="<b>bold</b> words")
    db.add(comment)
    db.commit()
    mailer = Mailer("127.0.0.1", smtp_sink.port, 5.0, "blog@localhost")
    mailer.deliver(comment.notification_for_author(mailer.sender))
    index = logged_in.text("/outbox/")
    assert "Mail me" in index and author.email in index
    [name] = smtp_sink.outbox.names()
    message = logged_in.text(f"/outbox/{name}")
    assert "&lt;b&gt;bold&lt;/b&gt;" in message  # escaped, never rendered as HTML
    assert logged_in.get("/outbox/../../etc/passwd").status_code == 404


def test_unknown_pages_get_a_friendly_404(web: Browser) -> None:
    response = web.get("/articles/999999")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "Back to the articles" in response.get_data(as_text=True)


def test_a_crash_gets_a_friendly_500(app: Flask) -> None:
    @app.get("/crash-for-test")
    def crash() -> str:
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/crash-for-test")
    assert response.status_code == 500
    assert "Something broke on our side" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)
