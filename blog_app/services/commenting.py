"""Posting a comment: save it, have it checked for spam, tell the article's author by email.

The comment is committed first, so that a failing outside service never loses what the visitor
wrote: it stays *pending* until the spam check decides. Chapter 4 moves the spam check into a
job (``blog_app.jobs.CheckSpam``): the request only enqueues it. The email is still sent inside
the request (chapter 6 moves it); its error, if any, goes back to the caller.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session as DbSession

import blog_app.jobs
from blog_app.models import Article, Comment
from blog_app.services.errors import OutsideServiceError
from blog_app.services.mailer import Mailer
from blog_app.services.spam_check import SpamCheck


def post_comment(
    db: DbSession,
    article: Article,
    author_name: str,
    body: str,
    spam_check: SpamCheck | None,
    mailer: Mailer,
) -> tuple[Comment, list[OutsideServiceError]]:
    """Save, check and announce a comment; returns it with whatever went wrong outside.
    ``spam_check`` is the API client for a check inside the request (None once a job does it)."""
    comment = Comment(article=article, author_name=author_name.strip(), body=body.strip())
    db.add(comment)
    db.commit()
    problems: list[OutsideServiceError] = []
    # chapter 4 ---------------------------------------------------------------------------------
    # After the commit, so that the worker finds the comment.
    blog_app.jobs.CheckSpam.perform_async(comment.id)
    # chapter 4 start: step 3: enqueue a CheckSpam job instead of calling the API here
    # assert spam_check is not None
    # _attempt(problems, lambda: spam_check.check(comment))
    # chapter 4 end -----------------------------------------------------------------------------
    _attempt(problems, lambda: notify_author(comment, mailer))
    db.commit()
    return comment, problems


def _attempt(problems: list[OutsideServiceError], step: Callable[[], object]) -> None:
    """Run one call to the outside world; keep its error, so that the next step still runs."""
    try:
        step()
    except OutsideServiceError as error:
        problems.append(error)


def notify_author(comment: Comment, mailer: Mailer) -> None:
    mailer.deliver(comment.notification_for_author(mailer.sender))
