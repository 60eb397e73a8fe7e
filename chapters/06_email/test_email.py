"""Chapter 6's checkpoint: the author's email leaves the request for a NotifyAuthor job, and is
sent once: through a notification row committed with the comment, claimed before sending and
marked sent after, with a stable Message-ID; a sweep on a schedule for the rows whose enqueue
never happened; retries while the mail server is down. A real SMTP sink on loopback, real
Redis, real workers."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session as DbSession

import jobs
import jobs.hooks
from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import engine, open_session
from blog_app.models import Comment, Notification
from blog_app.outside.smtp_sink import SmtpSink
from chapters.conftest import run_worker
from chapters.mail_twice import count_mail
from jobs.client import Client, set_default_client
from jobs.dev.local_redis import free_port
from jobs.hooks import EnqueueCall
from jobs.schedule import Schedule, default_schedule
from jobs.scheduler import Scheduler
from jobs.settings import Settings
from jobs.store import Store
from jobs.testing import drain
from tests.blog_app.helpers import Browser

QUEUE = "resque:queue:mail"
BODY = "Mail me once, please."


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "outbox") as smtp:
        yield smtp


@pytest.fixture
def blog_config(blog_config: BlogConfig, sink: SmtpSink) -> BlogConfig:
    # No spam API on its port: the spam check is chapter 4's, and its job is not run here.
    return blog_config.with_changes(
        smtp_port=sink.port, spam_api_url=f"http://127.0.0.1:{free_port()}"
    )


def _job_class(name: str = "NotifyAuthor") -> type:
    job = getattr(importlib.import_module("blog_app.jobs"), name, None)
    assert isinstance(job, type), f"blog_app/jobs.py has no {name} job yet (step 2)."
    return job


def _comment(browser: Browser, article: int) -> None:
    page = f"/articles/{article}"
    response = browser.submit(page, {"author_name": "Grace", "body": BODY}, f"{page}/comments")
    assert response.status_code == 302, (
        f"Posting a comment answered {response.status}: {response.get_data(as_text=True)[-300:]}"
    )


def _mails(sink: SmtpSink) -> int:
    return len(sink.outbox.names())


def _run_mail(blog: Flask) -> None:
    """Run the jobs waiting on ``mail`` here, as a worker would."""
    with blog.app_context():
        drain(["mail"], ["blog_app.jobs"])


def _committed(blog: Flask) -> tuple[int, int]:
    """(comments, notifications) as another connection sees them: what is committed."""
    with engine(blog).connect() as connection:
        comments = connection.execute(select(func.count()).select_from(Comment)).scalar_one()
        owed = connection.execute(select(func.count()).select_from(Notification)).scalar_one()
    return comments, owed


def test_the_request_enqueues_the_mail_instead_of_sending_it(
    blog: Flask, browser: Browser, article: int, sink: SmtpSink, raw: redis.Redis
) -> None:
    """Posting a comment sends no mail: it puts a NotifyAuthor job with the comment's id on
    the mail queue."""
    _comment(browser, article)
    assert _mails(sink) == 0, (
        "The request mailed the author itself. Enqueue a NotifyAuthor job instead"
        " (NotifyAuthor.perform_async(comment.id), step 3)."
    )
    waiting = [json.loads(job) for job in raw.lrange(QUEUE, 0, -1)]
    assert waiting, f"Nothing waits on {QUEUE}: enqueue NotifyAuthor with queue = 'mail' (step 3)."
    with open_session(blog) as db:
        comment_id = db.scalars(select(Comment.id)).one()
    found = (waiting[0]["class"], waiting[0]["args"])
    assert found == ("blog_app.jobs.NotifyAuthor", [comment_id]), (
        f"The job is {found[0]}{found[1]}; it should be blog_app.jobs.NotifyAuthor with the"
        f" comment's id, [{comment_id}]."
    )


def test_a_worker_mails_the_author(
    blog: Flask, blog_config: BlogConfig, browser: Browser, article: int, sink: SmtpSink
) -> None:
    """A real worker on the mail queue sends the author one mail about the comment."""
    _comment(browser, article)
    assert issubclass(_job_class(), jobs.Job), (
        "NotifyAuthor should be written Sidekiq style: class NotifyAuthor(jobs.Job) (step 2)."
    )
    output = run_worker(blog_config, "mail")
    mails = sink.outbox.messages()
    assert len(mails) == 1, f"The worker sent {len(mails)} mails, not 1:\n{output[-1500:]}"
    assert mails[0].to == "ada@example.com" and BODY in mails[0].body


def test_the_comment_and_its_notification_are_saved_together(
    blog: Flask, browser: Browser, article: int
) -> None:
    """The comment and the notification row for its mail are committed in one transaction."""
    seen: list[tuple[int, int]] = []

    def after_commit(_session: DbSession) -> None:
        seen.append(_committed(blog))

    event.listen(DbSession, "after_commit", after_commit)
    try:
        _comment(browser, article)
    finally:
        event.remove(DbSession, "after_commit", after_commit)
    assert (1, 1) in seen, (
        "No notification row was saved with the comment: add Notification.for_comment(comment)"
        " in post_comment, before its commit (step 5)."
    )
    assert all(comments == owed for comments, owed in seen), (
        "A commit saved the comment without its notification. Add the notification in the"
        " comment's own transaction, before the one commit, not in a transaction of its own"
        " (step 5)."
    )


def test_the_jobs_are_enqueued_after_the_commit(
    blog: Flask, browser: Browser, article: int
) -> None:
    """NotifyAuthor is enqueued only once the comment and its notification are committed."""
    at_enqueue: dict[str, tuple[int, int]] = {}

    def look(call: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
        at_enqueue[call.job_class.__name__] = _committed(blog)
        return call_next()

    jobs.hooks.around_enqueue(look)
    try:
        _comment(browser, article)
    finally:
        jobs.hooks.default_hooks.enqueue_middleware.remove(look)
    assert "NotifyAuthor" in at_enqueue, "No NotifyAuthor job was enqueued (step 3)."
    assert at_enqueue["NotifyAuthor"] == (1, 1), (
        "NotifyAuthor was enqueued before the comment and its notification were committed: a"
        " worker could run it and find nothing, and a failed commit would leave a mail about a"
        " comment that does not exist. Enqueue after db.commit() (step 3)."
    )


def test_one_mail_even_when_the_job_runs_twice(
    blog: Flask, browser: Browser, article: int, sink: SmtpSink, raw: redis.Redis
) -> None:
    """The same NotifyAuthor job run a second time (at-least-once delivery) sends no second
    mail."""
    _comment(browser, article)
    once = raw.lrange(QUEUE, 0, -1)
    _run_mail(blog)
    assert _mails(sink) == 1, "The first run sent no mail."
    raw.rpush(QUEUE, *once)
    _run_mail(blog)
    assert _mails(sink) == 1, (
        "A second run of the same job sent the mail again. Claim the notification before"
        " sending and mark it sent after (Notification.claim, Notification.mark_sent, step 5)."
    )


def test_a_worker_killed_before_its_ack_sends_no_duplicate(tmp_path: Path) -> None:
    """Two real workers; the first run of NotifyAuthor is killed after its work, before the
    job is acknowledged, and the other runs it again: the author still gets one mail."""
    mails, killed = count_mail(tmp_path / "crash")
    assert killed, "No worker was killed: does a NotifyAuthor job run on the mail queue?"
    assert mails == 1, (
        f"The author received {mails} mails for one comment. Record that the mail was sent"
        " (Notification.mark_sent) in the job's own work, so a second run finds it (step 5)."
    )


def test_the_mail_has_a_stable_message_id(
    blog: Flask, browser: Browser, article: int, sink: SmtpSink
) -> None:
    """The mail's Message-ID is made from its notification's key, the same on every send."""
    _comment(browser, article)
    _run_mail(blog)
    [mail] = sink.outbox.messages()
    with open_session(blog) as db:
        expected = db.scalars(select(Notification)).one().message_id("blog@localhost")
    assert mail.message_id == expected, (
        f"The mail's Message-ID is {mail.message_id or 'missing'!r}, not {expected!r}: send"
        " notification.message(mailer.sender), which sets it (step 5)."
    )


def _sweep(blog: Flask) -> None:
    """The sweep's job as its schedule would enqueue it, with every unsent row due."""
    swept = create_app(blog.config["BLOG"].with_changes(mail_sweep_after=0.0))
    with swept.app_context():
        jobs.enqueue(_job_class("SweepNotifications"))
        drain(["mail"], ["blog_app.jobs"])


def test_a_comment_saved_while_redis_is_down_gets_its_mail_later(
    blog: Flask, article: int, sink: SmtpSink, jobs_client: Client, browser: Browser
) -> None:
    """With Redis down, posting a comment still saves it and says so; once Redis is back, the
    sweep, on its schedule, sends the mail."""
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: Redis is down
    set_default_client(Client(Store(nowhere), Settings(redis_url=nowhere)))
    page = f"/articles/{article}"
    try:
        answer = browser.submit(page, {"author_name": "Grace", "body": BODY}, f"{page}/comments")
        status = answer.status
    except jobs.RedisUnavailable as error:
        status = f"an error page ({error})"
    finally:
        set_default_client(jobs_client)
    assert status == "302 FOUND", (
        f"With Redis down, posting a comment answered {status}. The comment is saved: catch"
        " jobs.RedisUnavailable in the view and tell the visitor so (step 6)."
    )
    assert _committed(blog) == (1, 1), "The comment and its notification should be saved."
    name = "blog_app.jobs.SweepNotifications"
    entries = [e for e in default_schedule.entries.values() if e.class_name == name]
    assert entries, (
        "Nothing puts SweepNotifications on a schedule, so no worker will ever send this mail:"
        " declare jobs.schedule.every(60, SweepNotifications) in blog_app/jobs.py (step 6)."
    )
    _sweep(blog)
    assert _mails(sink) == 1, "After the sweep, the author has no mail about the comment (step 6)."


def _run_with_retries(blog: Flask, client: Client, rounds: int) -> None:
    """Run the mail jobs, ``rounds`` times; before each round, move every retry onto its queue
    at once, as the scheduler would once its pause is over (no waiting)."""
    later = Scheduler(client.store, client.settings, Schedule(), lambda: time.time() + 3600)
    for _ in range(rounds):
        later.tick()
        _run_mail(blog)


def test_smtp_down_then_back_the_mail_arrives_once(
    blog: Flask, browser: Browser, article: int, sink: SmtpSink, jobs_client: Client
) -> None:
    """The mail server down for two tries, then back: the job retries, and the mail arrives
    once."""
    _comment(browser, article)
    sink.stop()
    try:
        _run_with_retries(blog, jobs_client, 2)
    finally:
        sink.start()
    assert jobs_client.retrying().count() == 1, (
        "With the mail server down, the job is not waiting to be retried. Let NotifyAuthor"
        " retry on MailError (retry_on = (MailError,), step 7), and mark the mail sent only"
        " after the server accepted it (step 5)."
    )
    _run_with_retries(blog, jobs_client, 3)
    assert _mails(sink) == 1, (
        f"After the mail server came back, the author has {_mails(sink)} mails, not 1. Record"
        " the mail as sent only after the server accepted it (step 5), and retry (step 7)."
    )
