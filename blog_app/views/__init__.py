"""The web layer: one blueprint per area. Views are thin: they read forms, call models and
services, and render templates."""

from __future__ import annotations

from flask import Flask

from blog_app.views import articles, auth, comments, dashboard, errors, headers, outbox


def register(app: Flask) -> None:
    app.before_request(auth.load_author)
    app.after_request(auth.refresh_cookie)
    app.after_request(headers.add_security_headers)
    for module in (auth, articles, comments, dashboard, outbox):
        app.register_blueprint(module.blueprint)
    errors.register(app)
    app.context_processor(auth.template_context)
