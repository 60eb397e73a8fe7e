"""Hooks: perform and enqueue middleware, Resque-named class hooks, and after-fork hooks.

In-process tests build a :class:`Hooks` of their own (``default_hooks`` is global). Jobs run
through the real path: enqueue to Redis, fetch, :func:`jobs.processor.process`. The job classes
below write what they see to :data:`happened`, in order.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from jobs.client import Client
from jobs.fetch import Fetcher
from jobs.hooks import DontPerform, EnqueueCall, Hooks, JobCall
from jobs.job_loader import JobLoader
from jobs.payload import encode
from jobs.processor import process
from jobs.settings import Settings
from jobs.store import Store
from tests.jobs.helpers import WorkerProcess

W = "host:100:default"
THIS_MODULE = "tests.jobs.test_hooks"
happened: list[str] = []
PROBE: dict[str, redis.Redis] = {}  # the test's Redis, for hooks that look at it


def queued_args(queue: str = "default") -> list[Any]:
    return [
        json.loads(data)["args"] for data in PROBE["raw"].lrange(f"resque:queue:{queue}", 0, -1)
    ]


class Plain:
    queue = "default"

    @staticmethod
    def perform(*args: Any) -> None:
        happened.append(f"perform {list(args)}")


class Hooked:
    """A hook of every Resque kind, defined out of name order. Fails when told to."""

    queue = "default"
    before_perform_zz_not_a_hook = "not callable, so not a hook"

    @staticmethod
    def before_perform_b(*args: Any) -> None:
        happened.append(f"before_perform_b {list(args)}")

    @staticmethod
    def before_perform_a(*args: Any) -> None:
        happened.append(f"before_perform_a {list(args)}")

    @staticmethod
    def before_perform(*args: Any) -> None:
        happened.append(f"before_perform {list(args)}")

    @staticmethod
    def around_perform_2_inner(*args: Any) -> Iterator[None]:
        happened.append("inner: before")
        try:
            yield
        except Exception as error:
            happened.append(f"inner: saw {error!r}")
            raise
        happened.append("inner: after")

    @staticmethod
    def around_perform_1_outer(*args: Any) -> Iterator[None]:
        happened.append("outer: before")
        try:
            yield
        except Exception as error:
            happened.append(f"outer: saw {error!r}")
            raise
        happened.append("outer: after")

    @staticmethod
    def after_perform_log(*args: Any) -> None:
        happened.append(f"after_perform {list(args)}")

    @staticmethod
    def on_failure_log(error: Exception, *args: Any) -> None:
        records = PROBE["raw"].llen("resque:failed")
        happened.append(f"on_failure {error!r} {list(args)} records={records}")

    @staticmethod
    def perform(outcome: str, number: int) -> None:
        happened.append(f"perform {outcome} {number}")
        if outcome == "fail":
            raise ValueError(f"failed {number}")


class Skipped:
    queue = "default"

    @staticmethod
    def before_perform_check(reason: str) -> None:
        happened.append(f"before_perform {reason}")
        raise DontPerform(reason)

    @staticmethod
    def after_perform_log(reason: str) -> None:
        happened.append("after_perform")

    @staticmethod
    def on_failure_log(error: Exception, reason: str) -> None:
        happened.append("on_failure")

    @staticmethod
    def perform(reason: str) -> None:
        happened.append("perform")


class Swallowing:
    """An around hook that handles the job's error (as a contextmanager may)."""

    queue = "default"

    @staticmethod
    def around_perform_rescue(*args: Any) -> Iterator[None]:
        try:
            yield
        except ValueError as error:
            happened.append(f"rescued {error!r}")

    @staticmethod
    def perform() -> None:
        raise ValueError("handled by the hook")


class Picky:
    """``before_enqueue`` says yes, no (False) or nothing (None); ``after_enqueue`` looks at
    the queue in Redis."""

    queue = "default"

    @staticmethod
    def before_enqueue_check(verdict: str, *rest: Any) -> bool | None:
        happened.append(f"before_enqueue {verdict}")
        return {"yes": True, "veto": False, "none": None}[verdict]

    @staticmethod
    def after_enqueue_look(verdict: str, *rest: Any) -> None:
        happened.append(f"after_enqueue {verdict} sees {queued_args()}")

    @staticmethod
    def perform(verdict: str, *rest: Any) -> None:
        pass


class OnlyBefore:
    """Each of these four has hooks of one kind only (a class with none runs ``perform``
    straight, without the hook machinery: each kind alone must be enough to be run)."""

    queue = "default"

    @staticmethod
    def before_perform() -> None:
        happened.append("before_perform")

    @staticmethod
    def perform() -> None:
        happened.append("perform")


class OnlyAround:
    queue = "default"

    @staticmethod
    def around_perform() -> Iterator[None]:
        happened.append("around: before")
        yield
        happened.append("around: after")

    @staticmethod
    def perform() -> None:
        happened.append("perform")


class OnlyAfter:
    queue = "default"

    @staticmethod
    def perform() -> None:
        happened.append("perform")

    @staticmethod
    def after_perform() -> None:
        happened.append("after_perform")


class OnlyOnFailure:
    queue = "default"

    @staticmethod
    def perform() -> None:
        happened.append("perform")
        raise ValueError("no")

    @staticmethod
    def on_failure(error: Exception) -> None:
        happened.append(f"on_failure {error!r}")


@pytest.fixture(autouse=True)
def events(raw: redis.Redis) -> Iterator[list[str]]:
    happened.clear()
    PROBE["raw"] = raw
    yield happened
    happened.clear()
    PROBE.clear()


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
def producer(store: Store, settings: Settings) -> Client:
    """A client with no hooks of its own, to put jobs on queues."""
    return Client(store, settings, hooks=Hooks())


def run_next(store: Store, settings: Settings, hooks: Hooks, queue: str = "default") -> bool:
    delivery = Fetcher(store, settings, lambda: [queue]).fetch(W)
    assert delivery is not None, f"nothing waiting on {queue}"
    return process(delivery, JobLoader([THIS_MODULE]), hooks)


def failures(raw: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]


def assert_settled(raw: redis.Redis, processed: int, failed: int) -> None:
    assert raw.llen(f"resque:jobs:inflight:{W}") == 0
    assert int(raw.get("resque:stat:processed") or 0) == processed
    assert int(raw.get("resque:stat:failed") or 0) == failed
    assert raw.llen("resque:failed") == failed


def recorder(name: str) -> Callable[[JobCall, Callable[[], object]], object]:
    def middleware(job: JobCall, call_next: Callable[[], object]) -> object:
        happened.append(f"{name} in")
        result = call_next()
        happened.append(f"{name} out")
        return result

    return middleware


# -- perform middleware -------------------------------------------------------------------------
def test_perform_middleware_runs_around_perform_first_added_outermost(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    hooks.around_perform(recorder("first"))
    hooks.around_perform(recorder("second"))
    producer.enqueue(Plain, "a", 1)

    assert run_next(store, settings, hooks) is True

    assert happened == ["first in", "second in", "perform ['a', 1]", "second out", "first out"]
    assert_settled(raw, processed=1, failed=0)


def test_perform_middleware_sees_the_jobs_class_args_queue_id_and_worker(
    store: Store, settings: Settings, hooks: Hooks, producer: Client
) -> None:
    calls: list[JobCall] = []

    @hooks.around_perform
    def look(job: JobCall, call_next: Callable[[], object]) -> object:
        calls.append(job)
        return call_next()

    job_id = producer.enqueue_to("urgent", Plain, "a", [1, {"b": None}])

    run_next(store, settings, hooks, queue="urgent")

    assert calls == [JobCall(Plain, ["a", [1, {"b": None}]], "urgent", job_id, W)]
    assert calls[0].class_name == "Plain"


def test_a_middleware_that_does_not_call_next_skips_the_job_without_a_failure(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    hooks.around_perform(lambda job, call_next: None)
    producer.enqueue(Hooked, "ok", 1)

    assert run_next(store, settings, hooks) is True

    assert happened == []  # neither perform nor the class's own hooks ran
    assert_settled(raw, processed=1, failed=0)


def test_a_middleware_that_re_raises_sees_the_error_and_the_failure_is_recorded(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    @hooks.around_perform
    def on_failure(job: JobCall, call_next: Callable[[], object]) -> object:
        try:
            return call_next()
        except Exception as error:
            happened.append(f"middleware saw {error!r} from {job.class_name}{job.args}")
            raise

    job_id = producer.enqueue(Hooked, "fail", 7)

    assert run_next(store, settings, hooks) is False

    assert happened[-1] == "middleware saw ValueError('failed 7') from Hooked['fail', 7]"
    [record] = failures(raw)
    assert (record["exception"], record["error"], record["id"]) == (
        "ValueError",
        "failed 7",
        job_id,
    )
    assert record["payload"]["args"] == ["fail", 7]
    assert_settled(raw, processed=1, failed=1)


def test_a_middleware_that_swallows_the_error_makes_the_job_a_success(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    @hooks.around_perform
    def forgive(job: JobCall, call_next: Callable[[], object]) -> object:
        try:
            return call_next()
        except ValueError:
            return None

    producer.enqueue(Hooked, "fail", 1)

    assert run_next(store, settings, hooks) is True

    assert_settled(raw, processed=1, failed=0)


def test_a_middleware_raising_dont_perform_skips_the_job(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    @hooks.around_perform
    def not_today(job: JobCall, call_next: Callable[[], object]) -> object:
        raise DontPerform("not today")

    producer.enqueue(Plain, 1)

    run_next(store, settings, hooks)

    assert happened == []
    assert_settled(raw, processed=1, failed=0)


def test_class_hooks_run_inside_every_middleware(
    store: Store, settings: Settings, hooks: Hooks, producer: Client
) -> None:
    hooks.around_perform(recorder("middleware"))
    producer.enqueue(Hooked, "ok", 1)

    run_next(store, settings, hooks)

    assert happened[0] == "middleware in"
    assert happened[1] == "before_perform ['ok', 1]"
    assert happened[-2:] == ["after_perform ['ok', 1]", "middleware out"]


# -- Resque-named class hooks -------------------------------------------------------------------
def test_class_hooks_run_in_name_order_around_a_job_that_succeeds(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    producer.enqueue(Hooked, "ok", 3)

    assert run_next(store, settings, hooks) is True

    assert happened == [
        "before_perform ['ok', 3]",
        "before_perform_a ['ok', 3]",
        "before_perform_b ['ok', 3]",
        "outer: before",
        "inner: before",
        "perform ok 3",
        "inner: after",
        "outer: after",
        "after_perform ['ok', 3]",
    ]
    assert_settled(raw, processed=1, failed=0)


@pytest.mark.parametrize(
    ("job_class", "seen"),
    [
        (OnlyBefore, ["before_perform", "perform"]),
        (OnlyAround, ["around: before", "perform", "around: after"]),
        (OnlyAfter, ["perform", "after_perform"]),
        (OnlyOnFailure, ["perform", "on_failure ValueError('no')"]),
    ],
)
def test_a_class_with_hooks_of_one_kind_only_has_them_run(
    store: Store,
    settings: Settings,
    hooks: Hooks,
    producer: Client,
    job_class: type,
    seen: list[str],
) -> None:
    producer.enqueue(job_class)

    run_next(store, settings, hooks)

    assert happened == seen


def test_on_failure_gets_the_error_and_args_before_the_failure_is_recorded(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    job_id = producer.enqueue(Hooked, "fail", 4)

    assert run_next(store, settings, hooks) is False

    assert happened[3:] == [
        "outer: before",
        "inner: before",
        "perform fail 4",
        "inner: saw ValueError('failed 4')",
        "outer: saw ValueError('failed 4')",
        "on_failure ValueError('failed 4') ['fail', 4] records=0",
    ]  # and no after_perform
    [record] = failures(raw)
    assert (record["exception"], record["error"], record["id"]) == (
        "ValueError",
        "failed 4",
        job_id,
    )
    assert any("in perform" in line for line in record["backtrace"])
    assert_settled(raw, processed=1, failed=1)


def test_dont_perform_from_before_perform_skips_the_job_without_a_failure(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    producer.enqueue(Skipped, "closed")

    run_next(store, settings, hooks)

    assert happened == ["before_perform closed"]  # no perform, after_perform or on_failure
    assert_settled(raw, processed=1, failed=0)
    assert raw.llen("resque:queue:default") == 0


def test_an_around_perform_hook_that_handles_the_error_makes_the_job_a_success(
    store: Store, settings: Settings, hooks: Hooks, producer: Client, raw: redis.Redis
) -> None:
    producer.enqueue(Swallowing)

    run_next(store, settings, hooks)

    assert happened == ["rescued ValueError('handled by the hook')"]
    assert [record["exception"] for record in failures(raw)] == []
    assert_settled(raw, processed=1, failed=0)


# -- enqueue hooks ------------------------------------------------------------------------------
def test_an_enqueue_middleware_veto_returns_none_and_writes_nothing(
    store: Store, settings: Settings, hooks: Hooks, raw: redis.Redis
) -> None:
    calls: list[EnqueueCall] = []

    @hooks.around_enqueue
    def veto(job: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
        calls.append(job)
        return None

    assert Client(store, settings, hooks=hooks).enqueue_to("urgent", Plain, "a", 1) is None

    assert calls == [EnqueueCall(Plain, ("a", 1), "urgent")]
    assert raw.keys("*") == []


def test_enqueue_middleware_runs_first_added_outermost_and_sees_the_new_id(
    store: Store, settings: Settings, hooks: Hooks, raw: redis.Redis
) -> None:
    def named(name: str) -> Callable[[EnqueueCall, Callable[[], str | None]], str | None]:
        def middleware(job: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
            happened.append(f"{name} in")
            job_id = call_next()
            happened.append(f"{name} out {job_id}")
            return job_id

        return middleware

    hooks.around_enqueue(named("first"))
    hooks.around_enqueue(named("second"))

    job_id = Client(store, settings, hooks=hooks).enqueue(Plain, 1)

    assert happened == ["first in", "second in", f"second out {job_id}", f"first out {job_id}"]
    assert [json.loads(data)["id"] for data in raw.lrange("resque:queue:default", 0, -1)] == [
        job_id
    ]


def test_before_enqueue_returning_false_vetoes_and_none_does_not(
    store: Store, settings: Settings, hooks: Hooks, raw: redis.Redis
) -> None:
    client = Client(store, settings, hooks=hooks)

    assert client.enqueue(Picky, "veto") is None
    assert raw.keys("*") == []
    assert client.enqueue(Picky, "none") is not None
    assert client.enqueue(Picky, "yes") is not None

    assert queued_args() == [["none"], ["yes"]]
    assert happened[0] == "before_enqueue veto"
    assert not any(event.startswith("after_enqueue veto") for event in happened)


def test_after_enqueue_runs_once_the_job_is_on_the_queue(
    store: Store, settings: Settings, hooks: Hooks
) -> None:
    client = Client(store, settings, hooks=hooks)

    client.enqueue(Picky, "yes", 1)
    client.enqueue(Picky, "yes", 2)

    assert happened == [
        "before_enqueue yes",
        "after_enqueue yes sees [['yes', 1]]",
        "before_enqueue yes",
        "after_enqueue yes sees [['yes', 1], ['yes', 2]]",
    ]


def test_enqueue_many_with_hooks_writes_each_job_that_passes_them_in_order(
    store: Store, settings: Settings, hooks: Hooks, raw: redis.Redis
) -> None:
    @hooks.around_enqueue
    def no_thirteen(job: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
        return None if 13 in job.args else call_next()

    client = Client(store, settings, hooks=hooks)

    ids = client.enqueue_many(
        Picky, [["yes", 1], ["veto", 2], ["yes", 13], ["none", 4], ["yes", 5]]
    )

    bodies = [json.loads(data) for data in raw.lrange("resque:queue:default", 0, -1)]
    assert [body["args"] for body in bodies] == [["yes", 1], ["none", 4], ["yes", 5]]
    assert [body["id"] for body in bodies] == ids
    assert [event for event in happened if event.startswith("before_enqueue")] == [
        "before_enqueue yes",
        "before_enqueue veto",
        "before_enqueue none",
        "before_enqueue yes",
    ]  # the middleware's veto of 13 came first: the class's hooks never saw it


def test_enqueue_many_without_hooks_writes_every_job_in_one_batch(
    store: Store, settings: Settings, hooks: Hooks, raw: redis.Redis
) -> None:
    pubsub = raw.pubsub()
    pubsub.subscribe("resque:jobs:wakeup:default", "resque:jobs:wakeup:sentinel")
    try:
        for _ in range(2):
            assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]
        client = Client(store, settings, hooks=hooks)

        ids = client.enqueue_many(Plain, [[1], [2], [3]])
        client.enqueue_to("sentinel", Plain)

        assert len(ids) == 3 and raw.llen("resque:queue:default") == 3
        # One write woke the queue once; the next message is the sentinel's.
        channels = [pubsub.get_message(timeout=5)["channel"] for _ in range(2)]  # type: ignore[index]
        assert channels == ["resque:jobs:wakeup:default", "resque:jobs:wakeup:sentinel"]
    finally:
        pubsub.close()


def test_enqueue_many_where_every_job_is_vetoed_writes_nothing(
    store: Store, settings: Settings, hooks: Hooks, raw: redis.Redis
) -> None:
    assert Client(store, settings, hooks=hooks).enqueue_many(Picky, [["veto"], ["veto"]]) == []

    assert raw.keys("*") == []


def test_enqueue_many_runs_after_enqueue_once_the_job_is_on_the_queue(
    store: Store, settings: Settings, hooks: Hooks
) -> None:
    Client(store, settings, hooks=hooks).enqueue_many(Picky, [["yes", 1]])

    assert happened == ["before_enqueue yes", "after_enqueue yes sees [['yes', 1]]"]


def test_a_refused_enqueue_many_runs_no_after_enqueue_hook(
    store: Store, settings: Settings, hooks: Hooks, raw: redis.Redis
) -> None:
    with pytest.raises(TypeError):
        Client(store, settings, hooks=hooks).enqueue_many(Picky, [["yes", 1], ["yes", b"bytes"]])

    assert raw.keys("*") == []
    assert [event for event in happened if event.startswith("after_enqueue")] == []


# -- after_fork ---------------------------------------------------------------------------------
def test_after_fork_hooks_run_in_the_order_added(hooks: Hooks) -> None:
    hooks.after_fork(lambda: happened.append("first"))
    hooks.after_fork(lambda: happened.append("second"))

    hooks.run_after_fork()

    assert happened == ["first", "second"]


def test_a_forking_worker_runs_after_fork_in_each_jobs_own_child_before_the_job(
    redis_url: str, store: Store, raw: redis.Redis
) -> None:
    # The test process must not import tests.jobs.hook_jobs (it registers on default_hooks):
    # its job is enqueued by name.
    ids = []
    for token in ("one", "two"):
        job_id, payload = encode("tests.jobs.hook_jobs.ReportsPid", [token], 10_000)
        store.queues.push("default", [payload])
        ids.append(job_id)
    worker = WorkerProcess(
        redis_url,
        "--queue",
        "default",
        "--interval",
        "0",
        env={"JOBS_IMPORT": "tests.jobs.hook_jobs,tests.jobs.sample_jobs"},
    )

    assert worker.wait() == 0, worker.output()

    events = [line.split() for line in raw.lrange("test:events", 0, -1)]
    worker_id = f"{socket.gethostname()}:{worker.pid}:default"
    # before_first_fork ran once, in the worker itself, before any child.
    assert events[0] == ["before_first_fork", str(worker.pid)]
    events = events[1:]
    children = [int(words[1]) for words in events if words[0] == "after_fork"]
    assert len(children) == 2 and len(set(children)) == 2
    assert worker.pid not in children and os.getpid() not in children
    expected = []
    for token, job_id, child in zip(("one", "two"), ids, children, strict=True):
        expected += [
            ["after_fork", str(child)],
            ["middleware", "ReportsPid", "default", worker_id, job_id, str(child)],
            ["before_perform", token, str(child)],
            ["perform", token, str(child)],
            ["after_perform", token, str(child)],
        ]
    assert events == expected
    assert raw.get("resque:stat:processed") == "2"
