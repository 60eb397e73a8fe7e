"""Comments: a visitor posts one on an article. The spam check is a job (chapter 4; before it,
the request called the spam API); the author's email is sent inside the request (chapter 6
moves it into a job)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask import render_template as render
from werkzeug.wrappers import Response as BaseResponse

from blog_app.config import BlogConfig
from blog_app.db import get_db
from blog_app.forms import CommentForm
from blog_app.services.commenting import post_comment
from blog_app.services.mailer import Mailer
from blog_app.views.articles import visible_article

# chapter 4 -------------------------------------------------------------------------------------
# chapter 4 start:
# from blog_app.services.spam_check import SpamCheck
# chapter 4 end ---------------------------------------------------------------------------------

blueprint = Blueprint("comments", __name__)


@blueprint.post("/articles/<int:article_id>/comments")
def create(article_id: int) -> str | BaseResponse | tuple[str, int]:
    article = visible_article(article_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return render("articles/show.html", article=article, form=form), 400
    config: BlogConfig = current_app.config["BLOG"]
    # chapter 4 ---------------------------------------------------------------------------------
    spam_check = None  # the CheckSpam job calls the API
    # chapter 4 start: step 3: the request no longer calls the spam API
    # spam_check = SpamCheck.from_config(config)
    # chapter 4 end -----------------------------------------------------------------------------
    comment, problems = post_comment(
        get_db(), article, form.author_name.data or "", form.body.data or "",
        spam_check, Mailer.from_config(config),
    )  # fmt: skip
    flash(_outcome(comment.status.value))
    for problem in problems:
        flash(f"Saved, but something outside failed: {problem}", "warning")
    return redirect(url_for("articles.show", article_id=article.id, _anchor="comments"))


def _outcome(status: str) -> str:
    return {
        "published": "Thank you, your comment is published.",
        "held": "Thank you, your comment is held for the author to review.",
    }.get(status, "Thank you, your comment waits to be checked.")
