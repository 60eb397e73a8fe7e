"""Comments: a visitor posts one on an article. The spam check is a job (chapter 4; before it,
the request called the spam API), and so is the author's email (chapter 6; before it, the
request sent it). With Redis down, the comment is still saved and the visitor told so."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask import render_template as render
from werkzeug.wrappers import Response as BaseResponse

import jobs
from blog_app.db import get_db
from blog_app.forms import CommentForm
from blog_app.services.commenting import post_comment
from blog_app.views.articles import visible_article

# chapter 4 -------------------------------------------------------------------------------------
# chapter 4 start:
# from flask import current_app
# from blog_app.services.spam_check import SpamCheck
# chapter 4 end ---------------------------------------------------------------------------------
# chapter 6 -------------------------------------------------------------------------------------
QUEUE_DOWN = (
    "Thank you, your comment is saved. Our job queue is unreachable just now, so it waits to"
    " be checked; the article's author will be told by email once the queue is back."
)
# chapter 6 start:
# from flask import current_app
# from blog_app.services.mailer import Mailer
# chapter 6 end ---------------------------------------------------------------------------------

blueprint = Blueprint("comments", __name__)


@blueprint.post("/articles/<int:article_id>/comments")
def create(article_id: int) -> str | BaseResponse | tuple[str, int]:
    article = visible_article(article_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return render("articles/show.html", article=article, form=form), 400
    # chapter 4 ---------------------------------------------------------------------------------
    spam_check = None  # the CheckSpam job calls the API
    # chapter 4 start: step 3: the request no longer calls the spam API
    # spam_check = SpamCheck.from_config(current_app.config["BLOG"])
    # chapter 4 end -----------------------------------------------------------------------------
    # chapter 6 ---------------------------------------------------------------------------------
    mailer = None  # the NotifyAuthor job mails the author
    # chapter 6 start: step 3: the request no longer mails the author
    # mailer = Mailer.from_config(current_app.config["BLOG"])
    # chapter 6 end -----------------------------------------------------------------------------
    name, body = form.author_name.data or "", form.body.data or ""
    # chapter 6 ---------------------------------------------------------------------------------
    try:
        comment, problems = post_comment(get_db(), article, name, body, spam_check, mailer)
    except jobs.RedisUnavailable:
        # Committed before the enqueue failed: the sweep enqueues the mail later.
        flash(QUEUE_DOWN, "warning")
        return redirect(url_for("articles.show", article_id=article.id, _anchor="comments"))
    # chapter 6 start: step 6: when Redis is down, the comment is saved: say so
    # comment, problems = post_comment(get_db(), article, name, body, spam_check, mailer)
    # chapter 6 end -----------------------------------------------------------------------------
    flash(_outcome(comment.status.value))
    for problem in problems:
        flash(f"Saved, but something outside failed: {problem}", "warning")
    return redirect(url_for("articles.show", article_id=article.id, _anchor="comments"))


def _outcome(status: str) -> str:
    return {
        "published": "Thank you, your comment is published.",
        "held": "Thank you, your comment is held for the author to review.",
    }.get(status, "Thank you, your comment waits to be checked.")
