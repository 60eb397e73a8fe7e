"""Posting a comment: saved, scored by the spam API stand-in in a CheckSpam job (chapter 4) and
mailed to the author through the SMTP sink in a NotifyAuthor job (chapter 6); and what happens
when the outside world fails. The mail's own guarantees are in test_notifications.py."""

from __future__ import annotations

import json

import redis
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from blog_app import create_app
from blog_app.models import Article, Author, Comment, CommentStatus
from blog_app.outside.api_standin import ApiStandin
from blog_app.outside.smtp_sink import SmtpSink
from jobs.dev.local_redis import free_port
from jobs.testing import drain
from tests.blog_app.helpers import Browser, published_article


def _article(db: DbSession, author: Author) -> Article:
    return published_article(db, author)


def _comment(web: Browser, article: Article, body: str, name: str = "Grace") -> str:
    page = f"/articles/{article.id}"
    response = web.submit(page, {"author_name": name, "body": body}, action=f"{page}/comments")
    assert response.status_code == 302, response.get_data(as_text=True)
    return web.text(page)


def _check_spam(app: Flask, db: DbSession) -> None:
    """Run the CheckSpam jobs waiting, as a worker would."""
    with app.app_context():
        drain(["spam"], ["blog_app.jobs"])
    db.expire_all()


def _send_mail(app: Flask) -> None:
    """Run the NotifyAuthor jobs waiting, as a worker would."""
    with app.app_context():
        drain(["mail"], ["blog_app.jobs"])


def test_a_comment_waits_for_its_check_then_is_published_and_mailed(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink, raw: redis.Redis
) -> None:
    article = _article(db, author)
    page = _comment(web, article, "A clear explanation, thank you.")
    assert "waits to be checked" in page and "A clear explanation" not in page
    comment = db.scalars(select(Comment)).one()
    assert comment.status is CommentStatus.PENDING and comment.spam_score is None
    [job] = [json.loads(job) for job in raw.lrange("resque:queue:spam", 0, -1)]
    assert (job["class"], job["args"]) == ("blog_app.jobs.CheckSpam", [comment.id])
    _check_spam(app, db)
    assert comment.status is CommentStatus.PUBLISHED and comment.spam_score is not None
    assert "A clear explanation" in web.text(f"/articles/{article.id}")
    assert smtp_sink.outbox.messages() == [], "the request mailed the author itself"
    _send_mail(app)
    [mail] = smtp_sink.outbox.messages()
    assert mail.to == author.email and "On queues" in mail.subject
    assert "A clear explanation" in mail.body and "Status: published." in mail.body


def test_spam_is_held_and_hidden_from_visitors_but_not_from_the_author(
    app: Flask, logged_in: Browser, db: DbSession, author: Author
) -> None:
    article = _article(db, author)
    visitor = Browser(app.test_client())
    _comment(visitor, article, "cheap casino viagra http://spam.example", name="Spammer")
    _check_spam(app, db)
    page = visitor.text(f"/articles/{article.id}")
    assert "Spammer" not in page.split("Comments")[1]
    assert db.scalars(select(Comment)).one().status is CommentStatus.HELD
    assert "Spammer" in logged_in.text(f"/articles/{article.id}")


def test_when_the_api_fails_the_comment_stays_pending_its_check_retries_and_the_mail_goes(
    app: Flask,
    web: Browser,
    db: DbSession,
    author: Author,
    spam_api: ApiStandin,
    smtp_sink: SmtpSink,
    raw: redis.Redis,
) -> None:
    spam_api.configure(failure_rate=1.0, failures=("error",))
    page = _comment(web, _article(db, author), "Hello")
    assert "waits to be checked" in page and "something outside failed" not in page
    _check_spam(app, db)
    _send_mail(app)
    assert len(smtp_sink.outbox.names()) == 1
    assert db.scalars(select(Comment)).one().status is CommentStatus.PENDING
    [member] = raw.zrange("resque:jobs:retries", 0, -1)
    queue, payload = json.loads(member)  # a retry waits as [queue, payload]
    retry = json.loads(payload)
    assert (queue, retry["retry_count"]) == ("spam", 1) and "HTTP 500" in retry["error"]


def test_when_the_mail_server_is_down_the_comment_is_saved_and_the_mail_waits_for_a_retry(
    app: Flask, db: DbSession, author: Author, raw: redis.Redis
) -> None:
    config = app.config["BLOG"].with_changes(smtp_port=free_port())
    blog = create_app(config)
    page = _comment(Browser(blog.test_client()), _article(db, author), "Hello")
    assert "something outside failed" not in page
    assert db.scalars(select(Comment)).one().status is CommentStatus.PENDING
    _send_mail(blog)
    [member] = raw.zrange("resque:jobs:retries", 0, -1)
    queue, payload = json.loads(member)
    retry = json.loads(payload)
    assert (queue, retry["class"]) == ("mail", "blog_app.jobs.NotifyAuthor")
    assert "could not reach the SMTP server" in retry["error"]


def test_an_empty_comment_shows_validation_messages(
    web: Browser, db: DbSession, author: Author
) -> None:
    article = _article(db, author)
    page = f"/articles/{article.id}"
    response = web.submit(page, {"author_name": "", "body": ""}, action=f"{page}/comments")
    assert response.status_code == 400
    assert "Write a comment." in response.get_data(as_text=True)
    assert db.scalars(select(Comment)).all() == []


def test_nobody_comments_on_a_draft(web: Browser, db: DbSession, author: Author) -> None:
    draft = Article(author=author, title="Draft", body="x")
    db.add(draft)
    db.commit()
    response = web.client.post(f"/articles/{draft.id}/comments", data={"body": "hi"})
    assert response.status_code in (400, 404)  # no token to be had from a page one cannot see
    assert db.scalars(select(Comment)).all() == []


def test_a_title_with_a_line_break_cannot_break_commenting(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink
) -> None:
    article = _article(db, author)
    # As an article saved before titles were cleaned would hold it: straight into the table.
    db.execute(
        update(Article)
        .where(Article.id == article.id)
        .values(title="Hi\r\nBcc: victim@example.com")
    )
    db.commit()
    _comment(web, article, "Still works.")
    db.expire_all()
    assert db.scalars(select(Comment)).one().status is CommentStatus.PENDING
    _send_mail(app)
    [mail] = smtp_sink.outbox.messages()
    assert mail.subject == "New comment on “Hi Bcc: victim@example.com”"
    headers = (smtp_sink.outbox.directory / mail.name).read_bytes().split(b"\r\n\r\n")[0]
    assert b"\nBcc:" not in headers and mail.to == author.email


def test_a_title_is_saved_on_one_line(logged_in: Browser, db: DbSession) -> None:
    form = {"title": "Hi\r\nBcc: victim@example.com\n\tthere", "body": "Hello."}
    assert logged_in.submit("/articles/new", form).status_code == 302
    assert db.scalars(select(Article.title)).one() == "Hi Bcc: victim@example.com there"
    article = Article(author_id=1, title="Two\nlines", body="")
    assert article.title == "Two lines"  # the model cleans it too, whoever sets it
