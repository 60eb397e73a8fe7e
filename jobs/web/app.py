"""The monitor on its own: ``python -m jobs web --port 5678``.

A small Flask app with the monitor's blueprint at ``/``, reading the Redis every command
uses (``REDIS_URL``, or the project's own). Who may look: see :mod:`jobs.web.auth`; who may
scrape ``/metrics``: see :mod:`jobs.web.prometheus`. It is
served by Werkzeug's threaded server, which is plenty for a few people watching a queue;
to put the monitor on the internet, mount the blueprint in your app behind your own logins.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask import Flask

from jobs.settings import Settings
from jobs.store import Store, open_store
from jobs.web.auth import Credentials, allowed_hosts_from_env, standalone_authorize
from jobs.web.blueprint import create_blueprint
from jobs.web.prometheus import ScrapeAccess


def create_app(
    store: Store,
    *,
    host: str = "127.0.0.1",
    read_only: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Flask:
    """The standalone monitor for ``store``, as it would be served on ``host``.

    Raises :class:`~jobs.web.auth.AuthSetupError` for a public ``host`` without a password.
    """
    credentials = Credentials.from_env(environ or {})
    authorize = standalone_authorize(credentials, host, allowed_hosts_from_env(environ or {}))
    # No static folder of the app's own: the blueprint serves the monitor's files, behind
    # the same login and with the same headers as its pages.
    app = Flask(__name__, static_folder=None)
    # Only signs this process's sessions (the CSRF token): a restart just asks for a reload.
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict")
    metrics_access = ScrapeAccess.from_env(environ or {})
    app.register_blueprint(
        create_blueprint(
            store, authorize=authorize, read_only=read_only, metrics_access=metrics_access
        )
    )
    return app


def serve(host: str, port: int, read_only: bool, environ: Mapping[str, str]) -> None:
    """Run the standalone monitor until Ctrl-C."""
    settings = Settings.from_env(environ)
    store = open_store(settings.resolved_redis_url(), settings.namespace)
    store.ping()
    app = create_app(store, host=host, read_only=read_only, environ=environ)
    guarded = "basic auth" if Credentials.from_env(environ) else "no password: loopback only"
    mode = ", read-only" if read_only else ""
    print(f"jobs monitor on http://{host}:{port}/ ({guarded}{mode})", flush=True)
    app.run(host=host, port=port, threaded=True, use_reloader=False)
