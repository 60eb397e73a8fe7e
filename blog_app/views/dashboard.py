"""The dashboard: the site's numbers. Counting the words reads every article and comment, so
the numbers come from the cache that the RecountWords job fills (chapter 7; before it, each
view counted everything itself)."""

from __future__ import annotations

import time

from flask import Blueprint, current_app
from flask import render_template as render

import blog_app.jobs
from blog_app.views.auth import require_author
from blog_app.word_counts import SiteCounts, WordCountCache

# chapter 7 -------------------------------------------------------------------------------------
# chapter 7 start:
# from blog_app.db import get_db
# chapter 7 end ---------------------------------------------------------------------------------

blueprint = Blueprint("dashboard", __name__)
blueprint.before_request(require_author)


@blueprint.get("/dashboard")
def index() -> str:
    started = time.perf_counter()
    counts = site_counts()
    elapsed_ms = (time.perf_counter() - started) * 1000
    return render("dashboard/index.html", counts=counts, elapsed_ms=elapsed_ms)


def site_counts() -> SiteCounts | None:
    """The numbers to show; None while they are being computed."""
    # chapter 7 ---------------------------------------------------------------------------------
    counts = WordCountCache.of(current_app).read()
    if counts is None:  # nothing counted yet: make sure a recount is on its way
        blog_app.jobs.RecountWords.perform_async()
    return counts
    # chapter 7 start: step 3: read the counts that the RecountWords job keeps, instead
    # return SiteCounts.count(get_db())  # reads every article and every comment: slow
    # chapter 7 end -----------------------------------------------------------------------------
