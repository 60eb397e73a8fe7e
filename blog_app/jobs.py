"""The blog's background jobs: the home of every job class a worker runs for the blog.

It holds no job yet at the start of the workshop: the chapters add them here, one step at a
time (a Sleeper for the fake delay, thumbnails, the spam check, session expiry, email, word
counts). A worker loads them with ``python -m jobs work --queue '*' --import blog_app.jobs``;
importing this module also declares the blog's recurring jobs (``jobs.schedule.every``), which
the scheduler loop inside every such worker enqueues, each tick once however many run.

Each job takes ids, never objects (an Article cannot travel as JSON, and the row may have
changed by the time a worker picks the job up). It opens its own database session and calls
the models that already do the work: jobs call models, never views.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from flask import Flask, current_app, has_app_context

import blog_app.workshop.lab  # noqa: F401  (chapter 6's switches for breaking things on purpose)
import jobs.hooks
import jobs.schedule
from blog_app import word_counts
from blog_app.config import BlogConfig
from blog_app.db import app_for_jobs, engine, open_session, session_factory
from blog_app.models import Article, Comment, CommentStatus, Image, Notification, Session
from blog_app.services.errors import MailError, SpamApiBusy, SpamCheckError
from blog_app.services.mailer import Mailer
from blog_app.services.spam_check import SpamCheck
from blog_app.word_counts import SiteCounts, WordCountCache


def blog() -> Flask:
    """The blog a job works on: the one handling the request when a test runs the job inline
    (``jobs.testing.inline()``), else one built from the environment, as the web server
    builds its own, so that both use the same database and uploads (without the pages: see
    :func:`blog_app.db.app_for_jobs`)."""
    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        return app
    return _worker_blog()


@functools.cache
def _worker_blog() -> Flask:
    return app_for_jobs(BlogConfig.from_env())


@jobs.hooks.before_first_fork
def _build_the_blog_once() -> None:
    """In a worker that forks a child per job, build the blog once, in the worker itself:
    every child inherits it instead of building it again (tens of milliseconds a job)."""
    _worker_blog()


@jobs.hooks.after_fork
def _reconnect_database() -> None:
    """In a forked child, start a fresh connection pool. Connections are sockets (or SQLite
    handles) that parent and child would otherwise share; ``close=False`` leaves the parent's
    connections to the parent instead of closing them from the child."""
    if _worker_blog.cache_info().currsize:
        engine(_worker_blog()).dispose(close=False)


# chapter 2 -------------------------------------------------------------------------------------
class Sleeper:
    """Publishes an article, with the fake delay, outside the request."""

    queue = "sleep"

    @staticmethod
    def perform(article_id: int) -> None:
        app = blog()
        with open_session(app) as db:
            article = db.get(Article, article_id)
            if article is None:  # deleted while the job waited: nothing left to publish
                return
            article.publish(app.config["BLOG"].publish_delay)


# chapter 2 start: step 2: write the Sleeper job here
# chapter 2 end ---------------------------------------------------------------------------------


# chapter 3 -------------------------------------------------------------------------------------
class MakeThumbnails:
    """Resizes an uploaded image into its thumbnails. Safe to run twice: each thumbnail is
    written to a temporary file and renamed into place, so a second run replaces whole files
    with identical ones, and a reader never sees half a file."""

    queue = "images"

    @staticmethod
    def perform(image_id: int) -> None:
        app = blog()
        config = app.config["BLOG"]
        with open_session(app) as db:
            image = db.get(Image, image_id)
            if image is None:  # replaced or deleted while the job waited
                return
            image.make_thumbnails(config.upload_dir, config.thumbnail_sizes)


# chapter 3 start: step 2: write the MakeThumbnails job here
# chapter 3 end ---------------------------------------------------------------------------------


# chapter 4 -------------------------------------------------------------------------------------
class CheckSpam(jobs.Job):
    """Scores a pending comment with the spam API, then publishes or holds it.

    Sidekiq style: ``CheckSpam.perform_async(comment.id)``. The API fails now and then, so the
    job retries, with short pauses; a 429 is retried when the API asks. When the retries run
    out the comment is held for the author, not left pending for ever."""

    queue = "spam"
    retry = 5  # six tries in all, over about half a minute
    retry_on = (SpamCheckError,)  # the outside world failing; a bug in our code does not retry
    retry_in = staticmethod(lambda count, _error: 2**count)  # 1, 2, 4, 8, 16 s

    def perform(self, comment_id: int) -> None:
        app = blog()
        config = app.config["BLOG"]
        with open_session(app) as db:
            comment = db.get(Comment, comment_id)
            if comment is None or comment.status is not CommentStatus.PENDING:
                return  # deleted, or decided by an earlier run: at-least-once delivery
            try:
                score = SpamCheck.from_config(config).score(comment.body)
            except SpamApiBusy as busy:
                raise jobs.Retry(in_seconds=busy.retry_after, reason=str(busy)) from busy
            Comment.decide(db, comment_id, Comment.verdict(score, config.spam_threshold), score)

    @staticmethod
    def on_retries_exhausted(_error: BaseException, comment_id: int) -> None:
        with open_session(blog()) as db:
            Comment.decide(db, comment_id, CommentStatus.HELD)


# chapter 4 start: step 2: write the CheckSpam job here
# chapter 4 end ---------------------------------------------------------------------------------


# chapter 5 -------------------------------------------------------------------------------------
class ExpireSessions:
    """Deletes the sessions not seen for the session lifetime, a batch per transaction.

    Maintenance, on its own queue: a worker that lists it last (``QUEUE=high,default,
    maintenance``) runs it only when nothing a person waits for is queued."""

    queue = "maintenance"

    @staticmethod
    def perform() -> None:
        app = blog()
        lifetime = timedelta(seconds=app.config["BLOG"].session_lifetime)
        # A plain session, not open_session: expire_old commits after each batch itself.
        with session_factory(app)() as db:
            Session.expire_old(db, lifetime)


class RemoveOrphanedUploads:
    """Removes image files whose row is gone, and thumbnails half-written by a killed worker."""

    queue = "maintenance"

    @staticmethod
    def perform() -> None:
        app = blog()
        with open_session(app) as db:
            Image.remove_orphaned_files(db, app.config["BLOG"].upload_dir)


# Every minute: with nothing to delete, the sweep is one query on an index. The uploads sweep
# reads every image's directory, and leftovers are rare: once an hour is plenty.
jobs.schedule.every(60, ExpireSessions)
jobs.schedule.every(3600, RemoveOrphanedUploads)
# chapter 5 start: steps 3 and 6: write the maintenance jobs, each on its schedule
# chapter 5 end ---------------------------------------------------------------------------------


# chapter 6 -------------------------------------------------------------------------------------
MAIL_LEASE = timedelta(minutes=1)  # longer than any attempt takes (the SMTP timeout is 5 s)


class NotifyAuthor(jobs.Job):
    """Mails the article's author about a comment, once, through its notification row.

    Claim the row, send, then record it sent: a second run of the same job (at-least-once
    delivery) finds it sent, or claimed by a run still sending, and does nothing. The SMTP
    server failing is retried with growing pauses; nothing is lost if it stays down longer,
    as the sweep sends the row again later."""

    queue = "mail"
    retry = 8  # nine tries in all, over about four minutes
    retry_on = (MailError,)
    retry_in = staticmethod(lambda count, _error: 2**count)  # 1, 2, 4 ... 128 s

    def perform(self, comment_id: int) -> None:
        app = blog()
        mailer = Mailer.from_config(app.config["BLOG"])
        with open_session(app) as db:
            notification = Notification.find(db, comment_id)
            if notification is None or not Notification.claim(db, notification.id, MAIL_LEASE):
                return  # sent already, or being sent by another run
            row, message = notification.id, notification.message(mailer.sender)
        # The claim is committed: from here on, every other run sees it.
        try:
            mailer.deliver(message)
        except MailError:
            with open_session(app) as db:
                Notification.release(db, row)  # so that the retry may claim it
            raise
        with open_session(app) as db:
            Notification.mark_sent(db, row)


class SweepNotifications:
    """Enqueues NotifyAuthor again for every mail still unsent a while after anybody last
    tried: those whose enqueue failed (Redis down, the request died after its commit) and
    those whose retries ran out."""

    queue = "mail"

    @staticmethod
    def perform() -> None:
        app = blog()
        quiet_for = timedelta(seconds=app.config["BLOG"].mail_sweep_after)
        with open_session(app) as db:
            comment_ids = Notification.unsent(db, quiet_for)
        for comment_id in comment_ids:
            NotifyAuthor.perform_async(comment_id)


jobs.schedule.every(60, SweepNotifications)
# chapter 6 start: steps 2, 5, 6 and 7: write the NotifyAuthor job, then the sweep on its schedule
# chapter 6 end ---------------------------------------------------------------------------------


# chapter 7 -------------------------------------------------------------------------------------
class RecountWords(jobs.Job):
    """Counts the words of every article and comment, and keeps the counts for the dashboard.

    Unique: while one copy waits, asking again adds nothing, so a burst of 100 comments
    queues one recount. The lock goes when a worker takes the copy, so a change made while it
    counts queues the next one: at most one runs and one waits."""

    queue = "counts"
    unique = True
    unique_for = 600  # a lock outlives a lost copy by ten minutes at most
    retry = 3

    def perform(self) -> None:
        app = blog()
        with open_session(app) as db:
            counts = SiteCounts.count(db)
        WordCountCache.of(app).write(counts)


# Any committed change to an article or a comment asks for a recount, and a recount every ten
# minutes is the safety net: for a request made while Redis was down, or a lost job.
word_counts.recount_after_commits(RecountWords.perform_async)
jobs.schedule.every(600, RecountWords)
# chapter 7 start: steps 2, 5, 6: the RecountWords job, asked for after changes, on a schedule
# chapter 7 end ---------------------------------------------------------------------------------
