"""``/metrics``: the queue in Prometheus' text format, for a Prometheus server to scrape.

Written through ``prometheus_client``, read fresh from Redis at each scrape:

=====================================  =========  =============================================
``jobs_processed_total``               counter    jobs run, failures included (Resque's count)
``jobs_failed_total``                  counter    jobs that failed
``jobs_run_seconds{class}``            histogram  run times per job class, since Redis was
                                                  emptied, in the buckets of the Metrics tab
``jobs_class_failed_total{class}``     counter    failed runs per job class
``jobs_queue_size{queue}``             gauge      jobs waiting
``jobs_queue_latency_seconds{queue}``  gauge      how long the oldest waiting job has waited
``jobs_workers{state}``                gauge      workers: idle, working, paused, overdue
=====================================  =========  =============================================

**Who may scrape.** Prometheus cannot log in to the app that mounts the monitor, so
``/metrics`` has a setting of its own, and is off (404) until it is set: a bearer token,
``JOBS_METRICS_TOKEN`` (Prometheus: ``authorization: {credentials: ...}``), or a user and
password for basic auth, ``JOBS_METRICS_USER`` and ``JOBS_METRICS_PASSWORD``
(``basic_auth:``). The monitor's own ``authorize`` does not apply to it.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from jobs.store import BUCKET_BOUNDS_US, ClassRuns, Store
from jobs.web.auth import AuthSetupError, Credentials
from jobs.web.metrics_view import redis_now
from jobs.web.worker_rows import worker_row

MOST_QUEUES = 1000  # queues exported (by name): a scrape stays small whatever their number
WORKER_STATES = ("idle", "working", "paused", "overdue")


@dataclass(frozen=True)
class ScrapeAccess:
    """Who may read ``/metrics``: a bearer token, or a user and password (see module doc)."""

    token: str = ""
    credentials: Credentials | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ScrapeAccess | None:
        """From ``JOBS_METRICS_TOKEN``, or ``JOBS_METRICS_USER`` and ``JOBS_METRICS_PASSWORD``;
        None (``/metrics`` off) with neither."""
        token = environ.get("JOBS_METRICS_TOKEN", "")
        user = environ.get("JOBS_METRICS_USER", "")
        password = environ.get("JOBS_METRICS_PASSWORD", "")
        if bool(user) != bool(password):
            raise AuthSetupError("set both JOBS_METRICS_USER and JOBS_METRICS_PASSWORD, or neither")
        if not (token or user):
            return None
        return cls(token, Credentials(user, password) if user else None)

    def allows(self) -> bool:
        """Whether this request carries the token, or the user and password."""
        given = request.authorization
        if given is None:
            return False
        if given.type == "bearer" and self.token:
            return hmac.compare_digest((given.token or "").encode(), self.token.encode())
        if given.type == "basic" and self.credentials is not None:
            return self.credentials.accepts(given.username or "", given.password or "")
        return False

    def refusal(self) -> Response:
        scheme = 'Basic realm="jobs metrics"' if self.credentials else "Bearer"
        response = Response("/metrics needs its token or password.\n", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = scheme
        return response


def check_scrape(access: ScrapeAccess | None) -> ResponseReturnValue | None:
    """None lets the scrape through; else the answer: 404 while off, 401 without the token."""
    if access is None:
        return "Not found: /metrics is off (set JOBS_METRICS_TOKEN to turn it on).\n", 404
    return None if access.allows() else access.refusal()


class QueueCollector(Collector):
    """Reads the queue's numbers from Redis each time Prometheus asks."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        yield from self._totals()
        yield from self._classes(self._store.metrics.totals())
        yield from self._queues()
        yield self._workers()

    def _totals(self) -> Iterator[Metric]:
        for stat in ("processed", "failed"):
            total = self._store.stats.total(stat)
            yield CounterMetricFamily(f"jobs_{stat}", f"Jobs {stat} (Resque's count)", total)

    def _classes(self, totals: dict[str, ClassRuns]) -> Iterator[Metric]:
        runs = HistogramMetricFamily(
            "jobs_run_seconds", "How long jobs ran, per job class", labels=["class"]
        )
        failed = CounterMetricFamily(
            "jobs_class_failed", "Failed runs, per job class", labels=["class"]
        )
        for name, counts in sorted(totals.items()):
            runs.add_metric([name], _cumulative(counts.buckets), counts.run_us / 1e6)
            failed.add_metric([name], counts.failed)
        yield runs
        yield failed

    def _queues(self) -> Iterator[Metric]:
        names = self._store.monitor.queue_names(0, MOST_QUEUES)
        sizes = self._store.monitor.queue_sizes(names)
        oldest = self._store.metrics.oldest_enqueued(names)
        now = redis_now(self._store)
        size = GaugeMetricFamily("jobs_queue_size", "Jobs waiting", labels=["queue"])
        latency = GaugeMetricFamily(
            "jobs_queue_latency_seconds",
            "How long the oldest waiting job has waited (0: none waiting)",
            labels=["queue"],
        )
        for raw_name, waiting, when in zip(names, sizes, oldest, strict=True):
            name = raw_name.decode("utf-8", "replace")
            size.add_metric([name], waiting)
            latency.add_metric([name], max(0.0, now - when) if when is not None else 0.0)
        yield size
        yield latency

    def _workers(self) -> Metric:
        ids = self._store.workers.ids()
        now_ms = self._store.workers.now_ms()
        states = {state: 0 for state in WORKER_STATES}
        for reading in self._store.monitor.workers(ids):
            state = worker_row(reading, now_ms).state
            states[state] = states.get(state, 0) + 1
        workers = GaugeMetricFamily("jobs_workers", "Workers, by state", labels=["state"])
        for state, count in states.items():
            workers.add_metric([state], count)
        return workers


def _cumulative(buckets: list[int]) -> list[tuple[str, float]]:
    """Per-bucket counts as Prometheus' cumulative ``le`` buckets, in seconds."""
    bounds = [repr(bound / 1e6) for bound in BUCKET_BOUNDS_US] + ["+Inf"]
    running, cumulative = 0, []
    for bound, count in zip(bounds, buckets, strict=True):
        running += count
        cumulative.append((bound, float(running)))
    return cumulative


def register_prometheus(blueprint: Blueprint, store: Store) -> None:
    """``/metrics``; who may read it is checked before (see :func:`check_scrape`)."""

    def scrape() -> ResponseReturnValue:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(QueueCollector(store))
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    blueprint.add_url_rule("/metrics", "prometheus", scrape)
