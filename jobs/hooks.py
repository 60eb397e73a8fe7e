"""Hooks: your code around a job's life — around perform, on failure, around enqueue, and in a
freshly forked child.

One mechanism: **middleware**. A middleware gets the job and ``call_next``, and does what it
likes around calling it — before, after, on failure, or instead (not calling it skips the job)::

    @jobs.hooks.around_perform
    def log_time(job: JobCall, call_next: Callable[[], object]) -> object:
        started = time.monotonic()
        try:
            return call_next()
        finally:
            print(job.class_name, time.monotonic() - started)

    @jobs.hooks.around_enqueue
    def no_mail_on_sundays(job: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
        return None if job.queue == "mail" and is_sunday() else call_next()  # None: vetoed

    @jobs.hooks.after_fork
    def reconnect_database() -> None:  # runs in each forked child, before its job
        engine.dispose(close=False)

    @jobs.hooks.before_first_fork
    def load_the_app() -> None:  # runs once in a forking worker, before its first child
        create_app()

The first one added runs outermost. :data:`default_hooks` is what ``jobs.enqueue`` and
``python -m jobs work`` use; register on it from a module the worker imports (``--import``).

Resque-style methods on the job class are a convenience on top, run by one middleware (the
innermost). Make them static or class methods; any name that starts with:

* ``before_perform`` (called with the job's arguments; raise :class:`DontPerform` to skip),
* ``around_perform`` (a generator that yields once, as with ``contextlib.contextmanager``),
* ``after_perform``, ``on_failure`` (called with the error first, then the arguments),
* ``before_enqueue`` (return ``False`` to veto), ``after_enqueue``,
* ``on_retries_exhausted`` (called like ``on_failure``, once a job's automatic retries have
  run out; see :mod:`jobs.retries`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class DontPerform(Exception):
    """Raised by a before-perform hook: skip this job. Not a failure."""


@dataclass(frozen=True)
class JobCall:
    """The job a perform middleware wraps."""

    job_class: type
    args: list[Any]
    queue: str
    job_id: str | None
    worker_id: str

    @property
    def class_name(self) -> str:
        return self.job_class.__qualname__


@dataclass(frozen=True)
class EnqueueCall:
    """The job an enqueue middleware wraps (its id does not exist yet)."""

    job_class: type
    args: tuple[Any, ...]
    queue: str


PerformMiddleware = Callable[[JobCall, Callable[[], object]], object]
EnqueueMiddleware = Callable[[EnqueueCall, Callable[[], "str | None"]], "str | None"]


def _chain(
    middlewares: list[Callable[[Any, Callable[[], T]], T]], call: Any, innermost: Callable[[], T]
) -> T:
    step = innermost
    for middleware in reversed(middlewares):
        step = functools.partial(middleware, call, step)
    return step()


class Hooks:
    def __init__(self) -> None:
        self.perform_middleware: list[PerformMiddleware] = []
        self.enqueue_middleware: list[EnqueueMiddleware] = []
        self.after_fork_hooks: list[Callable[[], None]] = []
        self.before_first_fork_hooks: list[Callable[[], None]] = []

    def around_perform(self, middleware: PerformMiddleware) -> PerformMiddleware:
        self.perform_middleware.append(middleware)
        return middleware

    def around_enqueue(self, middleware: EnqueueMiddleware) -> EnqueueMiddleware:
        self.enqueue_middleware.append(middleware)
        return middleware

    def after_fork(self, hook: Callable[[], None]) -> Callable[[], None]:
        self.after_fork_hooks.append(hook)
        return hook

    def before_first_fork(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run ``hook`` once in a forking worker's parent, before its first child: the place
        to load what every job needs (an app, a model), so that each child inherits it
        instead of building it again."""
        self.before_first_fork_hooks.append(hook)
        return hook

    def run_perform(self, call: JobCall, perform: Callable[[], object]) -> object:
        if not (self.perform_middleware or perform_hooks_of(call.job_class)):
            return perform()  # nothing to run around it: most jobs, each costing less so
        return _chain([*self.perform_middleware, class_perform_hooks], call, perform)

    def run_enqueue(self, call: EnqueueCall, enqueue: Callable[[], str | None]) -> str | None:
        return _chain([*self.enqueue_middleware, class_enqueue_hooks], call, enqueue)

    def has_enqueue_hooks(self, job_class: type) -> bool:
        """Whether enqueueing ``job_class`` runs any hook (else bulk enqueue can skip them)."""
        return bool(
            self.enqueue_middleware
            or class_hooks(job_class, "before_enqueue")
            or class_hooks(job_class, "after_enqueue")
        )

    def run_after_fork(self) -> None:
        for hook in self.after_fork_hooks:
            hook()

    def run_before_first_fork(self) -> None:
        for hook in self.before_first_fork_hooks:
            hook()


default_hooks = Hooks()
around_perform = default_hooks.around_perform
around_enqueue = default_hooks.around_enqueue
after_fork = default_hooks.after_fork
before_first_fork = default_hooks.before_first_fork


@functools.cache
def class_hooks(job_class: type, prefix: str) -> tuple[Callable[..., Any], ...]:
    """The job class's hook methods starting with ``prefix``, in name order."""
    names = sorted(name for name in dir(job_class) if name.startswith(prefix))
    return tuple(getattr(job_class, name) for name in names if callable(getattr(job_class, name)))


@dataclass(frozen=True)
class PerformHooks:
    """A job class's Resque-named perform hooks (see :func:`perform_hooks_of`)."""

    before: tuple[Callable[..., Any], ...]
    around: tuple[Callable[..., Any], ...]
    after: tuple[Callable[..., Any], ...]
    on_failure: tuple[Callable[..., Any], ...]

    def __bool__(self) -> bool:
        return bool(self.before or self.around or self.after or self.on_failure)


@functools.cache
def perform_hooks_of(job_class: type) -> PerformHooks:
    """The job class's perform hooks, looked up once per class (false when it has none)."""
    return PerformHooks(
        class_hooks(job_class, "before_perform"),
        class_hooks(job_class, "around_perform"),
        class_hooks(job_class, "after_perform"),
        class_hooks(job_class, "on_failure"),
    )


def class_perform_hooks(call: JobCall, call_next: Callable[[], object]) -> object:
    """Runs the job class's Resque-named perform hooks around ``perform``."""
    hooks, args = perform_hooks_of(call.job_class), call.args
    for hook in hooks.before:
        hook(*args)
    result: object = None  # stays None if an around hook swallows the job's error
    try:
        with contextlib.ExitStack() as around:
            for hook in hooks.around:
                around.enter_context(_as_context(hook, args))
            result = call_next()
    except Exception as error:
        for hook in hooks.on_failure:
            hook(error, *args)
        raise
    for hook in hooks.after:
        hook(*args)
    return result


def _as_context(hook: Callable[..., Iterator[None]], args: list[Any]) -> Any:
    return contextlib.contextmanager(hook)(*args)


def class_enqueue_hooks(call: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
    """Runs the job class's ``before_enqueue*`` (any returning False vetoes) and
    ``after_enqueue*`` hooks around the enqueue."""
    cls, args = call.job_class, call.args
    if any(hook(*args) is False for hook in class_hooks(cls, "before_enqueue")):
        return None
    job_id = call_next()
    for hook in class_hooks(cls, "after_enqueue"):
        hook(*args)
    return job_id
