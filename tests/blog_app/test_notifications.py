"""The author's email, sent once (chapter 6): a NotifyAuthor job per comment, a notification
row committed with the comment (the transactional outbox), a sweep for the rows whose enqueue
never happened, retries while the SMTP server is down, and a stable Message-ID. Real Redis,
real SMTP sink, real workers where a worker's death is the point."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

import jobs
import jobs.hooks
from blog_app import create_app
from blog_app.db import engine
from blog_app.jobs import NotifyAuthor, SweepNotifications
from blog_app.models import Article, Author, Comment, Notification
from blog_app.models._time import utcnow
from blog_app.outside.smtp_sink import SmtpSink
from blog_app.views.comments import QUEUE_DOWN
from blog_app.workshop.lab import Crash
from chapters.mail_twice import count_mail
from jobs.client import Client, set_default_client
from jobs.dev.local_redis import free_port
from jobs.hooks import EnqueueCall
from jobs.schedule import Schedule, default_schedule
from jobs.scheduler import Scheduler
from jobs.settings import Settings
from jobs.store import Store
from jobs.testing import drain
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser, mail_in_outbox, published_article

MAIL = "resque:queue:mail"


def _comment(web: Browser, article: Article, body: str = "Mail me once.") -> str:
    page = f"/articles/{article.id}"
    response = web.submit(page, {"author_name": "Grace", "body": body}, f"{page}/comments")
    assert response.status_code == 302, response.get_data(as_text=True)
    return web.text(page)


def _run(app: Flask, queue: str = "mail") -> None:
    """Run the jobs waiting on ``queue``, as a worker would."""
    with app.app_context():
        drain([queue], ["blog_app.jobs"])


def _counts(app: Flask) -> tuple[int, int]:
    """(comments, notifications) as another connection sees them: what is committed."""
    with engine(app).connect() as connection:
        comments = connection.execute(select(func.count()).select_from(Comment)).scalar_one()
        owed = connection.execute(select(func.count()).select_from(Notification)).scalar_one()
    return comments, owed


def test_the_mail_is_a_job_with_the_comment_id(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink, raw: redis.Redis
) -> None:
    _comment(web, published_article(db, author))
    assert smtp_sink.outbox.names() == [], "the request mailed the author itself"
    comment_id = db.scalars(select(Comment.id)).one()
    [job] = [json.loads(payload) for payload in raw.lrange(MAIL, 0, -1)]
    assert (job["class"], job["args"]) == ("blog_app.jobs.NotifyAuthor", [comment_id])
    _run(app)
    [mail] = smtp_sink.outbox.messages()
    assert mail.to == author.email and "Mail me once." in mail.body


def test_the_comment_and_its_notification_are_committed_together(
    app: Flask, web: Browser, db: DbSession, author: Author
) -> None:
    article = published_article(db, author)
    seen: list[tuple[int, int]] = []
    listener = lambda _session: seen.append(_counts(app))  # noqa: E731
    event.listen(DbSession, "after_commit", listener)
    try:
        _comment(web, article)
    finally:
        event.remove(DbSession, "after_commit", listener)
    assert (1, 1) in seen and all(comments == owed for comments, owed in seen), seen


def test_the_jobs_are_enqueued_after_the_commit(
    app: Flask, web: Browser, db: DbSession, author: Author
) -> None:
    article = published_article(db, author)
    at_enqueue: dict[str, tuple[int, int]] = {}

    def look(call: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
        at_enqueue[call.job_class.__name__] = _counts(app)
        return call_next()

    jobs.hooks.around_enqueue(look)
    try:
        _comment(web, article)
    finally:
        jobs.hooks.default_hooks.enqueue_middleware.remove(look)
    # Every job the request enqueues (chapter 7 adds a recount) sees the comment and its row.
    assert {"CheckSpam", "NotifyAuthor"} <= at_enqueue.keys()
    assert set(at_enqueue.values()) == {(1, 1)}, at_enqueue


def test_one_mail_per_comment_even_when_the_job_runs_twice(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink, raw: redis.Redis
) -> None:
    _comment(web, published_article(db, author))
    once = raw.lrange(MAIL, 0, -1)
    _run(app)
    raw.rpush(MAIL, *once)  # delivered again, as after a worker's death
    _run(app)
    assert len(smtp_sink.outbox.names()) == 1
    assert db.scalars(select(Notification.sent_at)).one() is not None


def test_a_comment_owes_its_author_one_mail_whoever_writes_the_row(
    web: Browser, db: DbSession, author: Author
) -> None:
    _comment(web, published_article(db, author))
    comment = db.scalars(select(Comment)).one()
    db.add(Notification.for_comment(comment))
    with pytest.raises(IntegrityError):  # the key is unique: the database refuses a second
        db.commit()
    db.rollback()
    assert db.scalars(select(func.count()).select_from(Notification)).one() == 1


def test_two_runs_at_the_same_moment_claim_the_notification_once(
    app: Flask, web: Browser, db: DbSession, author: Author
) -> None:
    _comment(web, published_article(db, author))
    row = db.scalars(select(Notification.id)).one()
    lease = timedelta(minutes=1)
    assert Notification.claim(db, row, lease) is True
    assert Notification.claim(db, row, lease) is False  # the other run leaves it
    Notification.release(db, row)  # the first run failed: its retry may claim it again
    assert Notification.claim(db, row, lease) is True
    Notification.mark_sent(db, row)
    db.execute(update(Notification).values(claimed_until=None))
    assert Notification.claim(db, row, lease) is False  # sent: nobody sends it again


def test_a_worker_killed_before_the_ack_sends_no_second_mail(tmp_path: Path) -> None:
    """Two real workers; the first run of NotifyAuthor is killed (SIGKILL) after its work and
    before its ack, and the other worker runs it again."""
    mails, killed = count_mail(tmp_path / "crash")
    assert killed, "the crash switch did not kill the worker"
    assert mails == 1


def test_the_mail_has_a_message_id_made_from_its_key(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink
) -> None:
    _comment(web, published_article(db, author))
    _run(app)
    comment_id = db.scalars(select(Comment.id)).one()
    [mail] = smtp_sink.outbox.messages()
    assert mail.message_id == f"<comment-{comment_id}-author@localhost>"
    notification = db.scalars(select(Notification)).one()
    assert notification.message("blog@localhost")["Message-ID"] == mail.message_id


def _sweep(app: Flask) -> None:
    """The sweep as its schedule runs it, with ``mail_sweep_after`` at 0: now."""
    blog = create_app(app.config["BLOG"].with_changes(mail_sweep_after=0.0))
    with blog.app_context():
        jobs.enqueue(SweepNotifications)
        drain(["mail"], ["blog_app.jobs"])


def test_the_sweep_is_on_a_schedule() -> None:
    entries = default_schedule.entries.values()
    [entry] = [e for e in entries if e.class_name == "blog_app.jobs.SweepNotifications"]
    assert entry.every is not None and entry.every <= 300 and entry.queue == "mail"


def test_a_comment_saved_while_redis_is_down_still_gets_its_mail_later(
    app: Flask, db: DbSession, author: Author, smtp_sink: SmtpSink, client: Client
) -> None:
    article = published_article(db, author)
    web = Browser(app.test_client())
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # Redis down: nothing listens there
    set_default_client(Client(Store(nowhere), Settings(redis_url=nowhere)))
    try:
        page = _comment(web, article)
    finally:
        set_default_client(client)
    assert QUEUE_DOWN.split(".")[0] in page and "Mail me once." not in page
    assert _counts(app) == (1, 1) and client.size("mail") == 0
    _sweep(app)
    [mail] = smtp_sink.outbox.messages()
    assert "Mail me once." in mail.body
    _sweep(app)  # sent: the next sweep leaves it
    assert len(smtp_sink.outbox.names()) == 1


def test_a_request_that_dies_between_commit_and_enqueue_still_gets_its_mail_sent(
    app: Flask, db: DbSession, author: Author, smtp_sink: SmtpSink, client: Client
) -> None:
    article = published_article(db, author)
    crashing = create_app(app.config["BLOG"].with_changes(crash_before_enqueue="NotifyAuthor"))
    with pytest.raises(Crash):
        _comment(Browser(crashing.test_client()), article)
    assert _counts(app) == (1, 1) and client.size("mail") == 0
    _sweep(app)
    assert len(smtp_sink.outbox.names()) == 1


def test_the_sweep_sends_only_what_nobody_tried_for_a_while(
    app: Flask, web: Browser, db: DbSession, author: Author
) -> None:
    article = published_article(db, author)
    for body in ("fresh", "old", "old and sent", "old, tried just now"):
        _comment(web, article, body)
    ids = {c.body: c.id for c in db.scalars(select(Comment))}
    long_ago = utcnow() - timedelta(hours=1)
    old = [Notification.key_for(ids[b]) for b in ("old", "old and sent", "old, tried just now")]
    db.execute(update(Notification).where(Notification.key.in_(old)).values(created_at=long_ago))
    db.execute(
        update(Notification)
        .where(Notification.key == Notification.key_for(ids["old and sent"]))
        .values(sent_at=long_ago)
    )
    db.execute(
        update(Notification)
        .where(Notification.key == Notification.key_for(ids["old, tried just now"]))
        .values(tried_at=utcnow())
    )
    db.commit()
    assert Notification.unsent(db, timedelta(minutes=10)) == [ids["old"]]


def _retry_now(client: Client) -> None:
    """Move every waiting retry onto its queue at once, as the scheduler would once its pause
    is over (no waiting)."""
    later = Scheduler(client.store, client.settings, Schedule(), lambda: time.time() + 3600)
    later.tick()


def test_smtp_down_then_back_the_mail_arrives_once(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink, client: Client
) -> None:
    _comment(web, published_article(db, author))
    smtp_sink.stop()
    try:
        _run(app)
        _retry_now(client)
        _run(app)  # down still: a second failure, a second retry
    finally:
        smtp_sink.start()
    assert smtp_sink.outbox.names() == [] and client.retrying().count() == 1
    _retry_now(client)
    _run(app)
    _retry_now(client)
    _run(app)
    assert len(smtp_sink.outbox.names()) == 1
    assert db.scalars(select(Notification.sent_at)).one() is not None


def test_a_refusing_mail_server_is_retried_and_loses_nothing(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink, client: Client
) -> None:
    _comment(web, published_article(db, author))
    smtp_sink.configure(refuse=True)
    _run(app)
    [waiting] = list(client.retrying())
    assert "451" in waiting.body["error"]
    smtp_sink.configure(refuse=False)
    _retry_now(client)
    _run(app)
    assert len(smtp_sink.outbox.names()) == 1


def test_notify_author_is_sidekiq_style_with_retries() -> None:
    assert issubclass(NotifyAuthor, jobs.Job)
    assert NotifyAuthor.queue == "mail" and NotifyAuthor.retry >= 5


def test_the_outbox_page_shows_duplicates_plainly(
    app: Flask, web: Browser, db: DbSession, author: Author, smtp_sink: SmtpSink, client: Client
) -> None:
    _comment(web, published_article(db, author))
    payload = client.peek("mail")[0]
    _run(app)
    db.execute(update(Notification).values(sent_at=None))  # as if it died before recording
    db.commit()
    client.enqueue(NotifyAuthor, *payload["args"])
    _run(app)
    mail_in_outbox(smtp_sink.outbox.directory, author.email, "Unrelated")
    web.log_in(author.email, PASSWORD)
    page = web.text("/outbox/")
    assert "1 duplicate:" in page and page.count("2 times: duplicate") == 2
    assert page.count("<td>once</td>") == 1  # the unrelated mail
    assert all(m.received_at("%H:%M:%S") in page for m in smtp_sink.outbox.messages())
    [name] = [m.name for m in smtp_sink.outbox.messages() if m.subject != "Unrelated"][:1]
    assert "received 2 times" in web.text(f"/outbox/{name}")
