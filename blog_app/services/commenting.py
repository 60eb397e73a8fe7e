"""Posting a comment: save it, have it checked for spam, tell the article's author by email.

The comment is committed first, so that a failing outside service never loses what the visitor
wrote: it stays *pending* until the spam check decides. Chapter 4 moves the spam check into a
job (``blog_app.jobs.CheckSpam``): the request only enqueues it. Chapter 6 moves the email into
a job too (``blog_app.jobs.NotifyAuthor``), with a transactional outbox: the mail the author is
owed is a row (:class:`blog_app.models.Notification`) committed with the comment itself, and
the jobs are enqueued only after that commit. If the enqueue fails (Redis is down), the
caller gets :class:`jobs.RedisUnavailable`, the comment and its row are saved, and the sweep
sends the mail later.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session as DbSession

import blog_app.jobs
from blog_app.models import Article, Comment, Notification
from blog_app.services.errors import OutsideServiceError
from blog_app.services.mailer import Mailer
from blog_app.services.spam_check import SpamCheck


def post_comment(
    db: DbSession,
    article: Article,
    author_name: str,
    body: str,
    spam_check: SpamCheck | None,
    mailer: Mailer | None,
) -> tuple[Comment, list[OutsideServiceError]]:
    """Save, check and announce a comment; returns it with whatever went wrong outside.
    ``spam_check`` and ``mailer`` are the clients for work done inside the request (None once
    a job does it)."""
    comment = Comment(article=article, author_name=author_name.strip(), body=body.strip())
    db.add(comment)
    # chapter 6 ---------------------------------------------------------------------------------
    db.flush()  # the comment's id, for the notification's key
    db.add(Notification.for_comment(comment))  # in the comment's own transaction
    # chapter 6 start: step 5: write the mail the author is owed in the comment's transaction
    # chapter 6 end -----------------------------------------------------------------------------
    db.commit()
    problems: list[OutsideServiceError] = []
    # chapter 4 ---------------------------------------------------------------------------------
    # After the commit, so that the worker finds the comment.
    blog_app.jobs.CheckSpam.perform_async(comment.id)
    # chapter 4 start: step 3: enqueue a CheckSpam job instead of calling the API here
    # assert spam_check is not None
    # _attempt(problems, lambda: spam_check.check(comment))
    # chapter 4 end -----------------------------------------------------------------------------
    # chapter 6 ---------------------------------------------------------------------------------
    # After the commit too: a worker must find the comment and its notification.
    blog_app.jobs.NotifyAuthor.perform_async(comment.id)
    # chapter 6 start: step 3: enqueue a NotifyAuthor job instead of mailing here
    # assert mailer is not None
    # _attempt(problems, lambda: mailer.deliver(comment.notification_for_author(mailer.sender)))
    # db.commit()
    # chapter 6 end -----------------------------------------------------------------------------
    return comment, problems


def _attempt(problems: list[OutsideServiceError], step: Callable[[], object]) -> None:
    """Run one call to the outside world; keep its error, so that the next step still runs."""
    try:
        step()
    except OutsideServiceError as error:
        problems.append(error)
