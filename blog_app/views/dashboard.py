"""The dashboard: site totals, computed afresh on every view (chapter 7 caches the word counts
and computes them in a background job)."""

from __future__ import annotations

import time

from flask import Blueprint
from flask import render_template as render

from blog_app.db import get_db
from blog_app.models import Article, Author, Comment
from blog_app.views.auth import require_author

blueprint = Blueprint("dashboard", __name__)
blueprint.before_request(require_author)


@blueprint.get("/dashboard")
def index() -> str:
    db, started = get_db(), time.perf_counter()
    totals = {
        "authors": Author.count(db),
        "articles": Article.count(db),
        "published": Article.count(db, published_only=True),
        "article_words": Article.total_word_count(db),  # reads every article: slow
        "comment_words": Comment.total_word_count(db),  # reads every comment: slow
    }
    comments = Comment.count_by_status(db)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return render("dashboard/index.html", totals=totals, comments=comments, elapsed_ms=elapsed_ms)
