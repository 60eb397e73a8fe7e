"""Helpers for testing code that enqueues jobs, and the jobs themselves.

* :func:`inline` — within it, ``jobs.enqueue`` (and ``perform_async``) runs the job at once, in
  this process, after the same checks, JSON round trip and hooks as a real enqueue and worker:
  an argument JSON cannot carry still fails. No Redis needed::

      with jobs.testing.inline():
          blog.publish(article)          # enqueues Thumbnails, which runs here and now

* :func:`drain` — run every job waiting on some queues, in this process, through the real path
  (fetch, perform, acknowledge or fail) against real Redis. Returns how many ran.
* A pytest plugin: add ``pytest_plugins = ["jobs.testing"]`` to a ``conftest.py`` for the
  ``jobs_redis_url`` fixture (a private Redis server for the session, emptied before each test)
  and ``jobs_client`` (a client on it, also installed as the default client). The fixtures live
  in :mod:`jobs.pytest_plugin`; this module offers them only when pytest is installed, so an app
  that tests with another runner, or runs ``inline()`` in a script, does without pytest.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from jobs.client import (
    Client,
    argument_list,
    check_queue_name,
    current_default_client,
    default_client,
    set_default_client,
)
from jobs.fetch import Fetcher
from jobs.hooks import DontPerform, EnqueueCall, Hooks, JobCall, default_hooks
from jobs.job_class import class_name_of, perform_callable, queue_of
from jobs.job_loader import JobLoader
from jobs.payload import encode
from jobs.processor import process
from jobs.settings import Settings
from jobs.settle import Settler
from jobs.worker import QueueSelector

if importlib.util.find_spec("pytest") is not None:
    # `pytest_plugins = ["jobs.testing"]` finds the fixtures here, as before they moved.
    from jobs.pytest_plugin import jobs_client as jobs_client
    from jobs.pytest_plugin import jobs_redis_server as jobs_redis_server
    from jobs.pytest_plugin import jobs_redis_url as jobs_redis_url


class InlineClient(Client):
    """A client that performs each job at once instead of enqueueing it, through the same
    checks, JSON round trip and hooks as a real enqueue and a real worker."""

    def __init__(self, settings: Settings | None = None, hooks: Hooks | None = None) -> None:
        self.settings = settings or Settings()
        self.hooks = hooks or default_hooks
        self.performed: list[tuple[str, list[Any]]] = []

    def enqueue_to(self, queue: str, job_class: type, *args: Any) -> str | None:
        check_queue_name(queue)
        job_id, payload = encode(class_name_of(job_class), args, self.settings.max_payload_bytes)

        def perform_now() -> str:
            body = json.loads(payload)  # exactly what a worker would get back
            if _perform(job_class, body["args"], queue, self.hooks):
                self.performed.append((body["class"], body["args"]))
            return job_id

        return self.hooks.run_enqueue(EnqueueCall(job_class, args, queue), perform_now)

    def _schedule(self, job_class: type, args: tuple[Any, ...], when: dict[str, int]) -> str | None:
        """``enqueue_in``/``enqueue_at``/``perform_in``: inline, the job runs now, whenever it
        was due (as Sidekiq's inline testing does)."""
        return self.enqueue_to(queue_of(job_class), job_class, *args)

    def enqueue_many(self, job_class: type, many_args: Any, queue: str | None = None) -> list[str]:
        queue = check_queue_name(queue or queue_of(job_class))
        arg_lists = [argument_list(args) for args in many_args]
        for args in arg_lists:  # every list is checked before any job runs, as at enqueue
            encode(class_name_of(job_class), args, self.settings.max_payload_bytes)
        ids = [self.enqueue_to(queue, job_class, *args) for args in arg_lists]
        return [job_id for job_id in ids if job_id is not None]


def _perform(job_class: type, args: list[Any], queue: str, hooks: Hooks) -> bool:
    """Run the job through the perform hooks; False if a hook said not to perform it."""
    call = JobCall(job_class, args, queue, None, "inline")
    perform = perform_callable(job_class)
    try:
        hooks.run_perform(call, lambda: perform(*args))
    except DontPerform:
        return False
    return True


@contextmanager
def inline(hooks: Hooks | None = None) -> Iterator[InlineClient]:
    """Run jobs as they are enqueued, for the duration of the ``with`` block."""
    previous = current_default_client()
    client = InlineClient(hooks=hooks)
    set_default_client(client)
    try:
        yield client
    finally:
        set_default_client(previous)


def drain(
    queues: Sequence[str],
    job_modules: Sequence[str],
    client: Client | None = None,
    hooks: Hooks | None = None,
) -> int:
    """Run the jobs waiting on ``queues`` (in priority order; ``*`` for every queue, as for a
    worker) in this process until they are empty, as a worker would. Job classes must come
    from ``job_modules``."""
    client = client or default_client()
    loader = JobLoader(job_modules)
    selector = QueueSelector(client.store, list(queues))
    fetcher = Fetcher(client.store, client.settings, selector.current)
    settler = Settler(client.store, client.settings)  # settles each job at once, inline
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{','.join(queues)}"
    ran = 0
    while (delivery := fetcher.fetch(worker_id)) is not None:
        process(delivery, loader, hooks or default_hooks, settler.settle)
        ran += 1
    return ran
