"""The monitor's pages (GET only: looking never changes anything).

Each view reads its numbers from the query string through :mod:`jobs.web.paging` (clamped),
asks the read model for plain data and hands it to a template. The live pages (Overview,
Working, Workers) are made of regions, small templates that ``live.json`` renders again so the
page's script can swap them in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from jobs.web import scheduler_lists
from jobs.web.display import ttl_text
from jobs.web.failed_list import FailureFilter, failed_page
from jobs.web.metrics_view import CHART_HEIGHT, CHART_WIDTH, class_page, metrics_tab
from jobs.web.names import queue_in_url
from jobs.web.paging import MAX_PAGE, Paging, clamp_int, refresh_seconds
from jobs.web.worker_rows import group_by_host

if TYPE_CHECKING:
    from jobs.web.monitor import Monitor

MAX_CURSOR = 2**64 - 1
# What each live page re-renders on every refresh: region name -> its template.
LIVE_REGIONS = {
    "overview": ("totals", "queues_table", "working_table"),
    "working": ("working_table",),
    "workers": ("workers_table",),
}


class Pages:
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.read = monitor.read

    # -- live pages -----------------------------------------------------------------------
    # Each gathers what its page's live regions show; a list is one page of it (the
    # Overview's: its first rows), so a refresh reads no more than the page shows.
    def overview_data(self) -> dict[str, Any]:
        overview = self.read.overview()
        return {
            "overview": overview,
            "working": overview.working,
            "working_total": overview.totals.working,
            "history": overview.history,
        }

    def working_data(self) -> dict[str, Any]:
        working = self.read.working(Paging.from_args(request.args))
        return {"working": working.rows, "working_total": working.total, "listing": working}

    def workers_data(self) -> dict[str, Any]:
        workers = self.read.workers(Paging.from_args(request.args))
        return {
            "hosts": group_by_host(workers.rows),
            "silent_hosts": self.read.silent_hosts(),
            "listing": workers,
        }

    def live_page(self, view: str) -> ResponseReturnValue:
        data = self._live_data(view)
        paging = Paging.from_args(request.args)
        return render_template(
            f"jobs_web/{view}.html",
            tab=view,
            live=view,
            live_args={"page": paging.page, "per_page": paging.per_page},
            refresh=refresh_seconds(request.args),
            history_json=json.dumps(data.get("history", [])),
            **data,
        )

    def live_json(self) -> ResponseReturnValue:
        view = request.args.get("view", "")
        if view not in LIVE_REGIONS:
            abort(404)
        data = self._live_data(view)
        regions = {
            name: render_template(f"jobs_web/_{name}.html", **data) for name in LIVE_REGIONS[view]
        }
        return jsonify(regions=regions, history=data.get("history", []))

    def _live_data(self, view: str) -> dict[str, Any]:
        gather: dict[str, Callable[[], dict[str, Any]]] = {
            "overview": self.overview_data,
            "working": self.working_data,
            "workers": self.workers_data,
        }
        return gather[view]()

    # -- queues ---------------------------------------------------------------------------
    def queues(self) -> ResponseReturnValue:
        listing = self.read.queues_with_latency(Paging.from_args(request.args))
        return render_template(
            "jobs_web/queues.html",
            tab="queues",
            listing=listing,
            totals=self.read.totals(),
        )

    def queue(self, name: str) -> ResponseReturnValue:
        queue = queue_in_url(name, request.args)
        page = self.read.queue_page(queue, Paging.from_args(request.args))
        return render_template("jobs_web/queue.html", tab="queues", queue=page)

    # -- failed ---------------------------------------------------------------------------
    def failed(self) -> ResponseReturnValue:
        wanted = FailureFilter(
            class_contains=request.args.get("class", "").strip()[:200],
            queue=request.args.get("queue", "").strip()[:200],
        )
        page = failed_page(self.monitor.store, Paging.from_args(request.args), wanted)
        return render_template("jobs_web/failed.html", tab="failed", failed=page, wanted=wanted)

    # -- scheduler ------------------------------------------------------------------------
    def scheduled(self, kind: str) -> ResponseReturnValue:
        if kind not in scheduler_lists.KINDS:
            abort(404)
        page = scheduler_lists.scheduled_page(
            self.monitor.store,
            kind,
            Paging.from_args(request.args),
        )
        return render_template(
            "jobs_web/scheduled.html", tab=kind, page=page, title=scheduler_lists.TITLES[kind]
        )

    # -- metrics ----------------------------------------------------------------------------
    def job_metrics(self) -> ResponseReturnValue:
        return render_template(
            "jobs_web/metrics.html", tab="metrics", metrics=metrics_tab(self.monitor.store)
        )

    def job_class(self) -> ResponseReturnValue:
        name = request.args.get("name", "")[:200]
        page = class_page(self.monitor.store, name)
        return render_template(
            "jobs_web/job_class.html",
            tab="metrics",
            page=page,
            chart=(CHART_WIDTH, CHART_HEIGHT),
        )

    # -- workers --------------------------------------------------------------------------
    def worker(self, worker_id: str) -> ResponseReturnValue:
        worker = self.read.worker(worker_id)
        if worker is None:
            abort(404, "No such worker (it may have stopped).")
        return render_template("jobs_web/worker.html", tab="workers", worker=worker)

    # -- stats and keys -------------------------------------------------------------------
    def stats(self) -> ResponseReturnValue:
        cursor = clamp_int(request.args.get("cursor"), 0, 0, MAX_CURSOR)
        match = request.args.get("match", "")[:200]
        per_page = Paging.from_args(request.args).per_page
        keys = self.monitor.keys
        return render_template(
            "jobs_web/stats.html",
            tab="stats",
            totals=self.read.totals(),
            info=keys.info(),
            key_count=keys.count(),
            page=keys.keys(cursor, per_page, match),
            cursor=cursor,
            match=match,
            ttl_text=ttl_text,
        )

    def key(self) -> ResponseReturnValue:
        try:
            name = bytes.fromhex(request.args.get("key", ""))
        except ValueError:
            abort(400, "The key is given in hex.")
        start = clamp_int(request.args.get("start"), 0, 0, MAX_PAGE)
        per_page = Paging.from_args(request.args).per_page
        value = self.monitor.keys.value(name, start, per_page)
        return render_template(
            "jobs_web/key.html",
            tab="stats",
            value=value,
            start=start,
            per_page=per_page,
            ttl_text=ttl_text,
        )


def register_pages(blueprint: Blueprint, monitor: Monitor) -> None:
    pages = Pages(monitor)
    for view in LIVE_REGIONS:
        blueprint.add_url_rule(
            "/" if view == "overview" else f"/{view}",
            view,
            _bind(pages.live_page, view),
        )
    blueprint.add_url_rule("/live.json", "live", pages.live_json)
    blueprint.add_url_rule("/queues", "queues", pages.queues)
    blueprint.add_url_rule("/queues/<path:name>", "queue", pages.queue)
    blueprint.add_url_rule("/failed", "failed", pages.failed)
    blueprint.add_url_rule("/scheduled/<kind>", "scheduled", pages.scheduled)
    blueprint.add_url_rule("/workers/<path:worker_id>", "worker", pages.worker)
    blueprint.add_url_rule("/job-metrics", "job_metrics", pages.job_metrics)
    blueprint.add_url_rule("/job-metrics/class", "job_class", pages.job_class)
    blueprint.add_url_rule("/stats", "stats", pages.stats)
    blueprint.add_url_rule("/stats/key", "key", pages.key)


def _bind(view: Callable[[str], ResponseReturnValue], name: str) -> Callable[[], Any]:
    def bound() -> ResponseReturnValue:
        return view(name)

    return bound
