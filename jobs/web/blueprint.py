"""The monitor as a Flask blueprint, to mount in any Flask app at any URL prefix.

    from jobs.web import create_blueprint

    app.register_blueprint(
        create_blueprint(store, authorize=lambda: current_user.is_author), url_prefix="/jobs"
    )

1. ``authorize`` is required: the app that mounts the monitor says who may see it. It runs
   before every request of the monitor and returns True to let the visitor in, False for a
   403, or a response to send instead (a redirect to your login page, say). Only True lets
   anyone in: a check that returns None by mistake keeps the monitor closed. A Flask-style
   hook that returns a response or None becomes one with ``lambda: hook() or True``.
2. The blueprint is built by a function, not defined at import time, so each app gets its own,
   with its own store and settings, and nothing is shared between them.
3. Every response under the monitor's URL prefix gets its security headers and goes through
   ``authorize``: its pages, its static files, and also a 404 for a path it does not have or
   a 405 for a GET on a button's URL, which Flask answers before any blueprint is involved.
4. ``back_link=("the blog", "/")`` puts a link back to the host app in the monitor's header.
5. ``metrics_access`` turns on ``/metrics`` for Prometheus, which cannot log in: it is let in
   by its own token or password instead of ``authorize`` (see :mod:`jobs.web.prometheus`).
   Without it, ``/metrics`` answers 404.
6. CSRF tokens live in the app's session, so the app needs a ``SECRET_KEY`` (any app with
   logins has one; the standalone monitor makes a random one). The monitor checks its own
   tokens, so an app-wide Flask-WTF ``CSRFProtect`` (set up before the blueprint is
   registered) is told to leave the monitor's forms to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask.sansio.app import App
from flask.sansio.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from jobs.store import Store, redact
from jobs.web.actions import register_actions
from jobs.web.display import plural
from jobs.web.metrics_view import ms_text
from jobs.web.monitor import Monitor
from jobs.web.names import queue_url
from jobs.web.prometheus import ScrapeAccess, check_scrape, register_prometheus
from jobs.web.security import (
    FORM_FIELD,
    Authorize,
    add_headers,
    check_authorized,
    check_change_allowed,
    csrf_token,
)
from jobs.web.views import register_pages


@dataclass
class Mounts:
    """Where a blueprint is registered: its names (``request.blueprint`` of its routes) and
    URL prefixes (for the responses no route of it made: 404s and 405s under its prefix)."""

    names: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)

    def record(self, state: BlueprintSetupState) -> None:
        self.names.add(".".join(part for part in (state.name_prefix, state.name) if part))
        self.prefixes.add((state.url_prefix or "").rstrip("/"))

    def is_scrape(self) -> bool:
        """Whether this request is Prometheus' (``/metrics``), which has its own access."""
        rule = request.url_rule
        return (
            rule is not None
            and request.blueprint in self.names
            and (rule.endpoint.rsplit(".", 1)[-1] == "prometheus")
        )

    def covers_this_request(self) -> bool:
        if request.url_rule is not None:  # routed: to one of ours, or to the host app
            return request.blueprint in self.names
        return any(
            request.path == prefix or request.path.startswith(prefix + "/")
            for prefix in self.prefixes
        )


NO_SECRET_KEY = (
    "The job monitor keeps its CSRF tokens in the app's session, so the app needs a secret"
    " key: set app.secret_key (or app.config['SECRET_KEY']) before it serves requests.\n"
)


def create_blueprint(
    store: Store,
    *,
    authorize: Authorize,
    read_only: bool = False,
    name: str = "jobs_web",
    back_link: tuple[str, str] | None = None,
    metrics_access: ScrapeAccess | None = None,
) -> Blueprint:
    """The monitor for ``store``. ``authorize`` decides who may see it; ``back_link`` is
    (label, URL) of a link back to the host app; ``metrics_access``, who may read
    ``/metrics`` (see module doc)."""
    monitor = Monitor.for_store(store, read_only)
    blueprint = Blueprint(name, __name__, static_folder="static", template_folder="templates")
    mounts = Mounts()
    blueprint.record(mounts.record)

    @blueprint.before_app_request
    def guard() -> ResponseReturnValue | None:
        if not mounts.covers_this_request():
            return None
        if mounts.is_scrape():
            return check_scrape(metrics_access)
        if not current_app.secret_key:  # the CSRF tokens live in the session (see module doc)
            return NO_SECRET_KEY, 500, {"Content-Type": "text/plain; charset=utf-8"}
        refusal = check_authorized(authorize)
        if refusal is not None:
            return refusal
        if request.method not in ("GET", "HEAD"):
            check_change_allowed(monitor.read_only)
        return None

    @blueprint.after_app_request
    def headers(response: Response) -> Response:
        return add_headers(response) if mounts.covers_this_request() else response

    @blueprint.context_processor
    def template_globals() -> dict[str, Any]:
        return {
            "csrf_token": csrf_token,
            "csrf_field": FORM_FIELD,
            "read_only": monitor.read_only,
            "redis_label": redact(store.url),
            "namespace": store.keys.namespace,
            "back_link": back_link,
            "plural": plural,
            "queue_url": queue_url,
            "ms_text": ms_text,
        }

    blueprint.record_once(lambda state: _leave_csrf_to_the_monitor(state.app, blueprint))
    blueprint.register_error_handler(UnicodeDecodeError, unreadable_data)
    blueprint.register_error_handler(json.JSONDecodeError, unreadable_data)
    register_pages(blueprint, monitor)
    register_actions(blueprint, monitor)
    register_prometheus(blueprint, store)
    return blueprint


def _leave_csrf_to_the_monitor(app: App, blueprint: Blueprint) -> None:
    # Flask-WTF would refuse the monitor's POSTs for lacking *its* token; the monitor's own
    # check (security.check_change_allowed) stands in for it on these routes.
    csrf = app.extensions.get("csrf")
    if csrf is not None and hasattr(csrf, "exempt"):
        csrf.exempt(blueprint)


def unreadable_data(error: ValueError) -> ResponseReturnValue:
    """Someone else wrote a queue name or worker id that is not UTF-8, or a failure record
    that is not JSON, and the queue's store cannot read it. Say so, instead of a bare 500."""
    explanation = (
        "A queue name or worker id is not UTF-8 text."
        if isinstance(error, UnicodeDecodeError)
        else "A failure record is not JSON, so failures cannot be looked up by id."
    )
    page = render_template(
        "jobs_web/error.html", tab="", explanation=explanation, detail=str(error)[:500]
    )
    return page, 500
