"""The web monitor: see what the queue is doing, and act on it, from a browser.

Two ways to run it:

- in your Flask app, at any URL prefix, letting in whom your app decides::

      from jobs.store import open_store
      from jobs.web import create_blueprint
      store = open_store(os.environ["REDIS_URL"], namespace="resque")
      app.register_blueprint(create_blueprint(store, authorize=is_author), url_prefix="/jobs")

- on its own: ``python -m jobs web --port 5678`` (basic auth from ``JOBS_WEB_USER`` and
  ``JOBS_WEB_PASSWORD``; without them, loopback only, answering only requests addressed to
  a loopback name or one listed in ``JOBS_WEB_ALLOWED_HOSTS``).

``/metrics`` serves Prometheus, behind a token of its own (:mod:`~jobs.web.prometheus`).

The modules, from the outside in: :mod:`~jobs.web.blueprint` (mounting),
:mod:`~jobs.web.security` and :mod:`~jobs.web.auth` (who may do what),
:mod:`~jobs.web.views` and :mod:`~jobs.web.actions` (pages and buttons, sharing one
:mod:`~jobs.web.monitor`),
:mod:`~jobs.web.readmodel`, :mod:`~jobs.web.worker_rows`, :mod:`~jobs.web.failed_list`,
:mod:`~jobs.web.scheduler_lists` (what the pages show, read through the queue's store, in batches
by :mod:`~jobs.store.monitor`), :mod:`~jobs.web.names` (a link for every queue, whatever its
name), :mod:`~jobs.web.display` (data as short text, and one time format),
:mod:`~jobs.store.browse` (the keys browser).
"""

from __future__ import annotations

from jobs.extras import require_extra

require_extra("jobs.web, the monitor,", "web", ("flask", "prometheus_client"))

from jobs.web.app import create_app
from jobs.web.blueprint import create_blueprint
from jobs.web.prometheus import ScrapeAccess
from jobs.web.security import allow_everyone

__all__ = ["ScrapeAccess", "allow_everyone", "create_app", "create_blueprint"]
