"""Posting a comment: save it, score it with the spam API, tell the article's author by email.

All three happen inside the request for now; chapter 4 moves the spam check into a job and
chapter 6 the email. The comment is committed first, so that a failing outside service never
loses what the visitor wrote: it stays *pending*, and the error goes back to the caller.
"""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from blog_app.models import Article, Comment
from blog_app.services.errors import OutsideServiceError
from blog_app.services.mailer import Mailer
from blog_app.services.spam_check import SpamCheck


def post_comment(
    db: DbSession,
    article: Article,
    author_name: str,
    body: str,
    spam_check: SpamCheck,
    mailer: Mailer,
) -> tuple[Comment, list[OutsideServiceError]]:
    """Save, check and announce a comment; returns it with whatever went wrong outside."""
    comment = Comment(article=article, author_name=author_name.strip(), body=body.strip())
    db.add(comment)
    db.commit()
    problems: list[OutsideServiceError] = []
    for step in (lambda: spam_check.check(comment), lambda: notify_author(comment, mailer)):
        try:
            step()
        except OutsideServiceError as error:
            problems.append(error)
    db.commit()
    return comment, problems


def notify_author(comment: Comment, mailer: Mailer) -> None:
    mailer.deliver(comment.notification_for_author(mailer.sender))
