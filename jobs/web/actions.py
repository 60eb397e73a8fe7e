"""The monitor's buttons: every change is a POST, and answers with a redirect.

Before any of these runs, the blueprint has checked who is asking, that the monitor is not
read-only, that the request comes from the monitor's own pages and carries their CSRF token
(:mod:`jobs.web.security`). What to act on travels in the form, never in a GET link, and each
action redirects to a page (Post/Redirect/Get), so reloading that page changes nothing.

Actions name things by what they are (a failure's id, a payload's digest), never by a
position alone: lists move while a person is looking at them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from jobs.failures import FailureNotFound, Failures
from jobs.web import schedule
from jobs.web.paging import MAX_PAGE, clamp_int

# schedule.enqueue_now or schedule.remove: (store, kind, ref) -> anything.
ScheduleAction = Callable[[Any, Any, str], object]

if TYPE_CHECKING:
    from jobs.web.blueprint import Monitor


class Actions:
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.failures = Failures(monitor.store)

    # -- queues ---------------------------------------------------------------------------
    def remove_job(self) -> ResponseReturnValue:
        queue = request.form.get("queue", "")
        near = clamp_int(request.form.get("position"), 0, 0, MAX_PAGE)
        payload = self.monitor.read.find_payload(queue, request.form.get("digest", ""), near)
        if payload is not None and self.monitor.store.queues.remove_payload(queue, payload):
            flash("Removed the job.")
        else:
            flash("That job is no longer waiting (a worker may have taken it).")
        return redirect(url_for(".queue", name=queue))

    def clear_queue(self) -> ResponseReturnValue:
        queue = request.form.get("queue", "")
        removed = self.monitor.queue_admin.clear(queue)
        flash(f"Cleared {queue}: {removed} jobs removed.")
        return redirect(url_for(".queue", name=queue))

    def remove_queue(self) -> ResponseReturnValue:
        queue = request.form.get("queue", "")
        removed = self.monitor.store.queues.remove_queue(queue)
        flash(f"Removed queue {queue} and its {removed} jobs.")
        return redirect(url_for(".queues"))

    # -- failed ---------------------------------------------------------------------------
    def retry_failure(self) -> ResponseReturnValue:
        try:
            queue = self.failures.retry(request.form.get("id", ""))
            flash(f"Put the job back on {queue}.")
        except FailureNotFound:
            flash("No such failure (already retried or removed?).")
        return redirect(url_for(".failed"))

    def remove_failure(self) -> ResponseReturnValue:
        try:
            self.failures.remove(request.form.get("id", ""))
            flash("Removed the failure.")
        except FailureNotFound:
            flash("No such failure (already retried or removed?).")
        return redirect(url_for(".failed"))

    def retry_all(self) -> ResponseReturnValue:
        flash(f"Put {self.failures.retry_all()} failed jobs back on their queues.")
        return redirect(url_for(".failed"))

    def clear_failures(self) -> ResponseReturnValue:
        flash(f"Removed {self.failures.clear()} failures.")
        return redirect(url_for(".failed"))

    # -- scheduler ------------------------------------------------------------------------
    def enqueue_scheduled(self, kind: str) -> ResponseReturnValue:
        return self._scheduled(kind, schedule.enqueue_now, "Enqueued it.")

    def remove_scheduled(self, kind: str) -> ResponseReturnValue:
        return self._scheduled(kind, schedule.remove, "Removed it.")

    def _scheduled(self, kind: str, act: ScheduleAction, done: str) -> ResponseReturnValue:
        if kind not in schedule.KINDS:
            return redirect(url_for(".overview"))
        try:
            act(self.monitor.store, kind, request.form.get("ref", ""))
            flash(done)
        except schedule.NotAvailable as error:
            flash(f"Nothing done: {error}.")
        return redirect(url_for(".scheduled", kind=kind))


def register_actions(blueprint: Blueprint, monitor: Monitor) -> None:
    actions = Actions(monitor)
    routes = {
        "/queues/remove-job": actions.remove_job,
        "/queues/clear": actions.clear_queue,
        "/queues/remove": actions.remove_queue,
        "/failed/retry": actions.retry_failure,
        "/failed/remove": actions.remove_failure,
        "/failed/retry-all": actions.retry_all,
        "/failed/clear": actions.clear_failures,
    }
    for rule, view in routes.items():
        endpoint = rule.strip("/").replace("/", "_").replace("-", "_")
        blueprint.add_url_rule(rule, endpoint, view, methods=["POST"])
    scheduled = {"enqueue": actions.enqueue_scheduled, "remove": actions.remove_scheduled}
    for verb, scheduled_view in scheduled.items():
        blueprint.add_url_rule(
            f"/scheduled/<kind>/{verb}", f"scheduled_{verb}", scheduled_view, methods=["POST"]
        )
