"""The workshop blog: authors, articles with images, comments, a dashboard.

Its slow work (publishing's fake delay, thumbnails, the spam API, email, session expiry, word
counts) lives in models and services, never in views, so a job needs only ids and models. The
chapters move that work out of the request into background jobs (``blog_app.jobs``); this is
the finished code of every chapter written so far. ``make chapter-N-start`` puts it back where
chapter N begins (see ``chapters/``).

    flask --app blog_app init-db
    flask --app blog_app seed --articles 30 --comments 100
    flask --app blog_app run
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from blog_app import cli, db, login_limiter, monitor, views
from blog_app.config import BlogConfig
from blog_app.secret import resolve_secret_key

__all__ = ["BlogConfig", "create_app"]

# Room in a request for the form fields around an image; the image itself is measured against
# config.max_upload_bytes by services.uploads, which can say exactly what was wrong.
FORM_OVERHEAD_BYTES = 1024 * 1024


def create_app(config: BlogConfig | None = None) -> Flask:
    """Build the blog. Without ``config``, the settings come from the environment."""
    config = config or BlogConfig.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=resolve_secret_key(config),
        MAX_CONTENT_LENGTH=config.max_upload_bytes + FORM_OVERHEAD_BYTES,
        TESTING=config.testing,
        BLOG=config,
    )
    db.init_app(app, config.database_url)
    CSRFProtect(app)
    login_limiter.init_app(app, config)
    views.register(app)
    monitor.mount(app, config)
    cli.register(app)
    return app
