"""The processor runs one job: read the payload, find the class, call ``perform`` through the
perform hooks, and settle the delivery — acknowledged if it returned, a failure record if
anything raised.

Whatever goes wrong with the job becomes a failure record a person can read, and the worker
carries on: a payload that is not JSON, a class that does not exist or is not allowed, a job
that raises. Only losing Redis escapes from here (the job then stays in flight; see
:mod:`jobs.housekeeping`).
"""

from __future__ import annotations

import logging
import time

from jobs.failures import describe_exception
from jobs.fetch import Delivery
from jobs.hooks import DontPerform, Hooks, JobCall
from jobs.job import perform_callable
from jobs.job_loader import JobClassError, JobLoader
from jobs.payload import PayloadError

log = logging.getLogger("jobs.worker")


def process(delivery: Delivery, loader: JobLoader, hooks: Hooks) -> bool:
    """Run the delivered job and settle it. Returns True if it succeeded."""
    started = time.monotonic()
    try:
        payload = delivery.decoded()
        job_class = loader.load(payload.class_name)
        perform = perform_callable(job_class)
    except (PayloadError, JobClassError) as error:
        # Never executed: there is nothing to run, or nothing we may run.
        delivery.fail(type(error).__name__, str(error), [])
        log.warning("cannot run a job from %s: %s", delivery.queue, error)
        return False
    call = JobCall(job_class, payload.args, delivery.queue, payload.job_id, delivery.worker_id)
    try:
        hooks.run_perform(call, lambda: perform(*payload.args))
    except DontPerform:
        log.info("skipped %s%s: a hook said not to perform it", payload.class_name, payload.args)
    except (Exception, SystemExit) as error:
        delivery.fail(*describe_exception(error))
        log.info("failed %s%s: %r", payload.class_name, payload.args, error)
        return False
    _acknowledge(delivery, payload.class_name, started)
    return True


def _acknowledge(delivery: Delivery, class_name: str, started: float) -> None:
    if not delivery.acknowledge():
        log.warning(
            "%s finished, but another worker had already put it back on %s (this worker was"
            " thought dead); it will run again",
            class_name,
            delivery.queue,
        )
    elif log.isEnabledFor(logging.INFO):
        log.info("done %s in %.3fs", class_name, time.monotonic() - started)
