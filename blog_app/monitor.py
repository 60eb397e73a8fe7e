"""Where the queue's web monitor is mounted: ``/jobs``, for the blog's admins only.

THE MONITOR MOUNTS HERE, and only here. The monitor itself is :mod:`jobs.web`; the blog decides
who may see it and which Redis it shows. Only admins (``Author.is_admin``): the monitor shows
every failure with its arguments and backtrace and every value in Redis, and it can retry or
clear jobs; an author who merely signed up gets a 403, a visitor the login page. Its Redis is
``REDIS_URL``, else the project's own Redis if it is running. With neither, ``/jobs`` says how
to start one instead of failing.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, render_template

from blog_app.config import BlogConfig
from blog_app.views.auth import require_admin
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from jobs.store import open_store
from jobs.web import ScrapeAccess, create_blueprint

URL_PREFIX = "/jobs"


def mount(app: Flask, config: BlogConfig) -> None:
    # Reading var/redis/url starts nothing: building the blog never starts a Redis server.
    url = config.redis_url or ProjectRedis(default_var_dir()).running_url()
    if url is None:
        app.register_blueprint(_without_redis(), url_prefix=URL_PREFIX)
        return
    monitor = create_blueprint(
        open_store(url, config.jobs_namespace),
        # A redirect to the login page for visitors, a 403 for other authors, True for admins.
        authorize=lambda: require_admin() or True,
        back_link=("the blog", "/"),
        # Prometheus cannot log in: /metrics has a token of its own, off unless it is set.
        metrics_access=ScrapeAccess.from_env(os.environ),
    )
    app.register_blueprint(monitor, url_prefix=URL_PREFIX)


def _without_redis() -> Blueprint:
    blueprint = Blueprint("jobs_web", __name__)
    blueprint.before_request(require_admin)
    blueprint.add_url_rule(
        "/", "index", lambda: render_template("monitor/no_redis.html"), strict_slashes=False
    )
    return blueprint
