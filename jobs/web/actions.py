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
from jobs.web import scheduler_lists
from jobs.web.display import plural
from jobs.web.names import queue_in_form, queue_url
from jobs.web.paging import MAX_PAGE, clamp_int

# scheduler_lists.enqueue_now or scheduler_lists.remove: (store, kind, ref) -> anything.
ScheduleAction = Callable[[Any, Any, str], object]

if TYPE_CHECKING:
    from jobs.web.monitor import Monitor


class Actions:
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.failures = Failures(monitor.store)

    # -- queues ---------------------------------------------------------------------------
    def remove_job(self) -> ResponseReturnValue:
        queue = queue_in_form(request.form)
        near = clamp_int(request.form.get("position"), 0, 0, MAX_PAGE)
        read = self.monitor.read
        payload = read.find_payload(queue, request.form.get("digest", ""), near)
        if payload is not None and read.reads.remove_payload(queue.raw, payload):
            flash("Removed the job.")
        else:
            flash("That job is no longer waiting (a worker may have taken it).")
        return redirect(queue_url(queue))

    def clear_queue(self) -> ResponseReturnValue:
        queue = queue_in_form(request.form)
        removed = self.monitor.read.reads.clear(queue.raw)
        flash(f"Cleared {queue.text}: {plural(removed, 'job')} removed.")
        return redirect(queue_url(queue))

    def remove_queue(self) -> ResponseReturnValue:
        queue = queue_in_form(request.form)
        removed = self.monitor.read.reads.remove_queue(queue.raw)
        flash(f"Removed queue {queue.text} and {plural(removed, 'job')} waiting on it.")
        return redirect(url_for(".queues"))

    # -- failed ---------------------------------------------------------------------------
    def retry_failure(self) -> ResponseReturnValue:
        return self._on_failure(self.failures.retry, "Put the job back on {}.")

    def remove_failure(self) -> ResponseReturnValue:
        return self._on_failure(self.failures.remove, "Removed the failure.")

    def _on_failure(self, act: Callable[[str], str | None], done: str) -> ResponseReturnValue:
        try:
            flash(done.format(act(request.form.get("id", ""))))
        except FailureNotFound:
            flash("No such failure (already retried or removed?).")
        except RecursionError:
            # A record nested deeper than Python reads (another program wrote it): finding
            # a record by id means reading the records before it.
            flash(
                "A failure record nests too deep to read, so records cannot be found by id:"
                " Clear all removes it."
            )
        return redirect(url_for(".failed"))

    def retry_all(self) -> ResponseReturnValue:
        retried = self.failures.retry_all()
        where = "its queue" if retried == 1 else "their queues"
        flash(f"Put {plural(retried, 'failed job')} back on {where}.")
        return redirect(url_for(".failed"))

    def clear_failures(self) -> ResponseReturnValue:
        flash(f"Removed {plural(self.failures.clear(), 'failure')}.")
        return redirect(url_for(".failed"))

    # -- scheduler ------------------------------------------------------------------------
    def enqueue_scheduled(self, kind: str) -> ResponseReturnValue:
        return self._scheduled(kind, scheduler_lists.enqueue_now, "Enqueued it.")

    def remove_scheduled(self, kind: str) -> ResponseReturnValue:
        return self._scheduled(kind, scheduler_lists.remove, "Removed it.")

    def _scheduled(self, kind: str, act: ScheduleAction, done: str) -> ResponseReturnValue:
        if kind not in scheduler_lists.KINDS:
            return redirect(url_for(".overview"))
        try:
            act(self.monitor.store, kind, request.form.get("ref", ""))
            flash(done)
        except scheduler_lists.NotAvailable as error:
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
