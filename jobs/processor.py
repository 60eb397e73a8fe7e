"""The processor runs one job: read the payload, find the class, call ``perform`` through the
perform hooks, and settle the delivery — acknowledged if it returned; if anything raised,
retried later when the job's class asks for retries (:mod:`jobs.retries` decides), else a
failure record.

Whatever goes wrong with the job becomes a failure record a person can read, and the worker
carries on: a payload that is not JSON, a class that does not exist or is not allowed, a job
that raises. Only losing Redis escapes from here (the job then stays in flight; see
:mod:`jobs.housekeeping`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from jobs.failures import describe_exception
from jobs.fetch import Delivery
from jobs.hooks import DontPerform, Hooks, JobCall, class_hooks
from jobs.job_class import perform_callable
from jobs.job_loader import JobClassError, JobLoader
from jobs.payload import Payload, PayloadError
from jobs.retries import RetryAt, decide, retried_so_far

log = logging.getLogger("jobs.worker")
ERROR_KEPT = 1000  # characters of the last error a waiting retry carries (its payload's size)


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
    if log.isEnabledFor(logging.INFO):  # VERBOSE; VVERBOSE adds the payload as stored in Redis
        log.info("start %s%s from %s", payload.class_name, _shown(payload.args), delivery.queue)
        log.debug("payload of %s: %r", payload.job_id, delivery.entry)
    call = JobCall(job_class, payload.args, delivery.queue, payload.job_id, delivery.worker_id)
    try:
        hooks.run_perform(call, lambda: perform(*payload.args))
    except DontPerform:
        log.info("skipped %s%s: a hook said not to perform it", payload.class_name, payload.args)
    except (Exception, SystemExit) as error:
        _settle_failure(delivery, job_class, payload, error)
        return False
    _acknowledge(delivery, payload.class_name, started)
    return True


def _settle_failure(
    delivery: Delivery, job_class: type, payload: Payload, error: BaseException
) -> None:
    """Retry the job later if its class says so (:mod:`jobs.retries`), else record a failure;
    when its retries have run out, also call its ``on_retries_exhausted`` hooks."""
    exception, message, backtrace = describe_exception(error)
    retried = retried_so_far(payload.body)
    decision = decide(job_class, error, retried)
    if isinstance(decision, RetryAt):
        body = {
            **payload.body,
            "retry_count": decision.count,
            "error": f"{exception}: {message}"[:ERROR_KEPT],
            "failed_at": time.time(),
        }
        delivery.retry(json.dumps(body, separators=(",", ":")).encode(), decision.in_seconds)
        log.info(
            "failed %s%s: %r; retry %d in %.1fs",
            payload.class_name,
            payload.args,
            error,
            decision.count,
            decision.in_seconds,
        )
        return
    attempts = decision.attempts if retried or decision.exhausted else None
    delivery.fail(exception, message, backtrace, attempts)
    log.info("failed %s%s: %r", payload.class_name, payload.args, error)
    if decision.exhausted:
        _retries_exhausted(job_class, error, payload.args)


def _retries_exhausted(job_class: type, error: BaseException, args: list[Any]) -> None:
    """Sidekiq's retries-exhausted callback: the job's last chance to react (alert someone,
    mark a record as failed). An error in it is logged; the failure is recorded either way."""
    for hook in class_hooks(job_class, "on_retries_exhausted"):
        try:
            hook(error, *args)
        except Exception:
            log.exception("%s.%s raised", job_class.__qualname__, hook.__name__)


def _shown(args: list[Any]) -> str:
    """A job's arguments for a log line: cut short, as they may be up to 512 KiB."""
    text = repr(args)
    return text if len(text) <= 200 else text[:199] + "…"


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
