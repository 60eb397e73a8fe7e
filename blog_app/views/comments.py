"""Comments: a visitor posts one on an article. The spam check and the author's email happen
inside the request for now (chapters 4 and 6 move them into jobs)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask import render_template as render
from werkzeug.wrappers import Response as BaseResponse

from blog_app.config import BlogConfig
from blog_app.db import get_db
from blog_app.forms import CommentForm
from blog_app.services.commenting import post_comment
from blog_app.services.mailer import Mailer
from blog_app.services.spam_check import SpamCheck
from blog_app.views.articles import visible_article

blueprint = Blueprint("comments", __name__)


@blueprint.post("/articles/<int:article_id>/comments")
def create(article_id: int) -> str | BaseResponse | tuple[str, int]:
    article = visible_article(article_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return render("articles/show.html", article=article, form=form), 400
    config: BlogConfig = current_app.config["BLOG"]
    comment, problems = post_comment(
        get_db(), article, form.author_name.data or "", form.body.data or "",
        SpamCheck.from_config(config), Mailer.from_config(config),
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
