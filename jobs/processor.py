"""The processor runs one job: read the payload, find the class, call ``perform``, and settle
the delivery — acknowledged if ``perform`` returned, a failure record if anything raised.

Whatever goes wrong becomes a failure record a person can read, and the worker carries on:
a payload that is not JSON, a class that does not exist or is not allowed, a job that raises.
"""

from __future__ import annotations

import logging
import time

from jobs.failures import describe_exception
from jobs.fetch import Delivery
from jobs.job import perform_callable
from jobs.job_loader import JobClassError, JobLoader
from jobs.payload import Payload, PayloadError

log = logging.getLogger("jobs.worker")


def process(delivery: Delivery, loader: JobLoader) -> bool:
    """Run the delivered job and settle it. Returns True if it succeeded."""
    started = time.monotonic()
    try:
        payload = Payload.decode(delivery.payload)
        perform = perform_callable(loader.load(payload.class_name))
    except (PayloadError, JobClassError) as error:
        # Never executed: there is nothing to run, or nothing we may run.
        delivery.fail(type(error).__name__, str(error), [])
        log.warning("cannot run a job from %s: %s", delivery.queue, error)
        return False
    try:
        perform(*payload.args)
    except (Exception, SystemExit) as error:
        delivery.fail(*describe_exception(error))
        log.info("failed %s%s: %r", payload.class_name, payload.args, error)
        return False
    if not delivery.acknowledge():
        log.warning(
            "%s finished, but another worker had already put it back on %s (this worker was"
            " thought dead); it will run again",
            payload.class_name,
            delivery.queue,
        )
    elif log.isEnabledFor(logging.INFO):
        elapsed = time.monotonic() - started
        log.info("done %s%s in %.3fs", payload.class_name, payload.args, elapsed)
    return True
