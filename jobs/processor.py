"""The processor runs one job: read the payload, find the class, call ``perform`` through the
perform hooks, and hand how it ended (an outcome, see :mod:`jobs.settle`) to whoever settles
it: the worker thread's settler, or, in a forked child, the report the worker settles.

Whatever goes wrong with the job becomes an outcome a person can read, and the worker carries
on: a payload that is not JSON, a class that does not exist or is not allowed, a job that
raises. Only losing Redis escapes from here (the job then stays in flight; see
:mod:`jobs.housekeeping`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from jobs.fetch import Delivery
from jobs.hooks import DontPerform, Hooks, JobCall
from jobs.job_class import perform_callable
from jobs.job_loader import JobClassError, JobLoader
from jobs.payload import PayloadError
from jobs.settle import Done, Failed, Settle, Settler, outcome_of_error, retries_exhausted

log = logging.getLogger("jobs.worker")


def process(
    delivery: Delivery, loader: JobLoader, hooks: Hooks, settle: Settle | None = None
) -> bool:
    """Run the delivered job and hand its outcome to ``settle`` (default: settle it in Redis
    at once). Returns True if it succeeded."""
    settle = settle or Settler(delivery.store, delivery.settings).settle
    started = time.monotonic()
    try:
        payload = delivery.decoded()
        job_class = loader.load(payload.class_name)
        perform = perform_callable(job_class)
    except (PayloadError, JobClassError) as error:
        # Never executed: there is nothing to run, or nothing we may run.
        settle(delivery, Failed(type(error).__name__, str(error)))
        log.warning("cannot run a job from %s: %s", delivery.queue, error)
        return False
    if log.isEnabledFor(logging.INFO):  # VERBOSE; VVERBOSE adds the payload as stored in Redis
        log.info("start %s%s from %s", payload.class_name, _shown(payload.args), delivery.queue)
        log.debug("payload of %s: %r", payload.job_id, delivery.entry)
    call = JobCall(job_class, payload.args, delivery.queue, payload.job_id, delivery.worker_id)
    try:
        hooks.run_perform(call, lambda: perform(*payload.args))
    except DontPerform:
        log.info("skipped %s%s: a hook said not to perform it", payload.class_name, payload.args)
    except (Exception, SystemExit) as error:
        outcome = outcome_of_error(job_class, payload, error)
        settle(delivery, outcome)
        if isinstance(outcome, Failed) and outcome.exhausted:
            retries_exhausted(job_class, error, payload.args)
        return False
    settle(delivery, Done(payload.class_name, time.monotonic() - started))
    return True


def _shown(args: list[Any]) -> str:
    """A job's arguments for a log line: cut short, as they may be up to 512 KiB."""
    text = repr(args)
    return text if len(text) <= 200 else text[:199] + "…"
