"""The blog's background jobs: the home of every job class a worker runs for the blog.

It holds no job yet at the start of the workshop: the chapters add them here, one step at a
time (a Sleeper for the fake delay, thumbnails, the spam check, session expiry, email, word
counts). A worker loads them with ``python -m jobs work --queue '*' --import blog_app.jobs``.

Each job takes ids, never objects (an Article cannot travel as JSON, and the row may have
changed by the time a worker picks the job up). It opens its own database session and calls
the models that already do the work: jobs call models, never views.
"""

from __future__ import annotations

import functools

from flask import Flask, current_app, has_app_context

import jobs.hooks
from blog_app.config import BlogConfig
from blog_app.db import app_for_jobs, engine, open_session
from blog_app.models import Article, Image


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
