"""The helpers for testing code that uses jobs: ``inline()``, ``InlineClient``, ``drain()``, and
the pytest plugin (run in a pytest of its own, as a project's conftest would load it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis

import jobs
from jobs.arguments import JobArgumentError
from jobs.client import Client, current_default_client, set_default_client
from jobs.hooks import DontPerform, Hooks, JobCall
from jobs.settings import Settings
from jobs.store import Store
from jobs.testing import InlineClient, drain, inline
from tests.jobs.helpers import ROOT

THIS_MODULE = "tests.jobs.test_testing"
ran_jobs: list[tuple[str, list[Any]]] = []


class Collect:
    queue = "default"

    @staticmethod
    def perform(*args: Any) -> None:
        ran_jobs.append(("Collect", list(args)))


class Urgent:
    queue = "urgent"

    @staticmethod
    def perform(*args: Any) -> None:
        ran_jobs.append(("Urgent", list(args)))


class Breaks:
    queue = "default"

    @staticmethod
    def perform(message: str) -> None:
        raise ValueError(message)


class Chain:
    """Enqueues its follow-up (with the default client) until the count runs out."""

    queue = "default"

    @staticmethod
    def perform(left: int) -> None:
        ran_jobs.append(("Chain", [left]))
        if left > 0:
            jobs.enqueue(Chain, left - 1)


class Hooked:
    queue = "default"

    @staticmethod
    def before_perform_note(*args: Any) -> None:
        ran_jobs.append(("before_perform", list(args)))

    @staticmethod
    def around_perform_note(*args: Any) -> Iterator[None]:
        ran_jobs.append(("around: before", list(args)))
        yield
        ran_jobs.append(("around: after", list(args)))

    @staticmethod
    def after_perform_note(*args: Any) -> None:
        ran_jobs.append(("after_perform", list(args)))

    @staticmethod
    def on_failure_note(error: Exception, *args: Any) -> None:
        ran_jobs.append(("on_failure", [repr(error), *args]))

    @staticmethod
    def perform(outcome: str) -> None:
        ran_jobs.append(("perform", [outcome]))
        if outcome == "fail":
            raise ValueError("failed")


class Vetoed:
    queue = "default"

    @staticmethod
    def before_enqueue_no(*args: Any) -> bool:
        return False

    @staticmethod
    def perform(*args: Any) -> None:
        ran_jobs.append(("Vetoed", list(args)))


class Skipped:
    queue = "default"

    @staticmethod
    def before_perform_no(*args: Any) -> None:
        raise DontPerform("not today")

    @staticmethod
    def perform(*args: Any) -> None:
        ran_jobs.append(("Skipped", list(args)))


@pytest.fixture(autouse=True)
def ran() -> Iterator[list[tuple[str, list[Any]]]]:
    ran_jobs.clear()
    yield ran_jobs
    ran_jobs.clear()


@pytest.fixture
def no_default_client() -> Iterator[None]:
    previous = current_default_client()
    set_default_client(None)
    yield
    set_default_client(previous)


def failures(raw: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]


# -- inline -------------------------------------------------------------------------------------
def test_inline_runs_the_job_at_once_with_what_json_gives_back() -> None:
    nested = {"ids": [1, 2], "ratio": 1.0, "flag": True, "none": None, "name": "é"}

    with inline(hooks=Hooks()):
        job_id = jobs.enqueue(Collect, nested, [3])
        assert ran_jobs == [("Collect", [nested, [3]])]

    assert isinstance(job_id, str) and len(job_id) == 24
    [(_, [arrived, _])] = ran_jobs
    assert arrived is not nested  # a copy, as a worker would get: the job cannot change ours
    assert type(arrived["ratio"]) is float and type(arrived["flag"]) is bool


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        pytest.param(datetime(2026, 1, 1), r"\(args\[0\]\) is a datetime", id="datetime"),
        pytest.param((1, 2), r"\(args\[0\]\) is a tuple", id="tuple"),
        pytest.param({1: "a"}, r"int key", id="int-key"),
    ],
)
def test_inline_refuses_what_a_real_enqueue_refuses_and_runs_nothing(
    argument: object, message: str
) -> None:
    with inline(hooks=Hooks()) as client:
        with pytest.raises(JobArgumentError, match=message):
            jobs.enqueue(Collect, argument)

        assert client.performed == []
    assert ran_jobs == []


def test_inline_enqueue_many_passes_each_argument_list_as_a_list() -> None:
    with inline(hooks=Hooks()) as client:
        ids = jobs.enqueue_many(Collect, [("a", 1), ["b"], ()])

    assert ran_jobs == [("Collect", ["a", 1]), ("Collect", ["b"]), ("Collect", [])]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert client.performed == [
        ("tests.jobs.test_testing.Collect", ["a", 1]),
        ("tests.jobs.test_testing.Collect", ["b"]),
        ("tests.jobs.test_testing.Collect", []),
    ]


def test_inline_client_performed_records_what_ran_in_order() -> None:
    with inline(hooks=Hooks()) as client:
        jobs.enqueue(Collect, 1)
        jobs.enqueue_to("elsewhere", Urgent, 2)
        Collect.perform(3)  # called directly: not through the client, not recorded

    assert client.performed == [
        ("tests.jobs.test_testing.Collect", [1]),
        ("tests.jobs.test_testing.Urgent", [2]),
    ]


def test_inline_installs_its_client_and_puts_the_previous_one_back(client: Client) -> None:
    with inline(hooks=Hooks()) as inline_client:
        assert isinstance(inline_client, InlineClient)
        assert current_default_client() is inline_client

    assert current_default_client() is client


def test_inline_puts_the_previous_client_back_when_a_job_raises(client: Client) -> None:
    with pytest.raises(ValueError, match="boom"), inline(hooks=Hooks()):
        jobs.enqueue(Breaks, "boom")  # the job's error reaches the code that enqueued it

    assert current_default_client() is client


@pytest.mark.usefixtures("no_default_client")
def test_inline_leaves_no_default_client_when_there_was_none() -> None:
    with pytest.raises(RuntimeError), inline(hooks=Hooks()):
        raise RuntimeError("the code under test failed")

    assert current_default_client() is None


def test_inline_runs_class_perform_hooks_around_the_job() -> None:
    with inline(hooks=Hooks()):
        jobs.enqueue(Hooked, "ok")
        with pytest.raises(ValueError, match="failed"):
            jobs.enqueue(Hooked, "fail")

    assert ran_jobs == [
        ("before_perform", ["ok"]),
        ("around: before", ["ok"]),
        ("perform", ["ok"]),
        ("around: after", ["ok"]),
        ("after_perform", ["ok"]),
        ("before_perform", ["fail"]),
        ("around: before", ["fail"]),
        ("perform", ["fail"]),
        ("on_failure", ["ValueError('failed')", "fail"]),
    ]


def test_inline_runs_the_perform_middleware_of_the_hooks_it_is_given() -> None:
    hooks = Hooks()
    calls: list[JobCall] = []

    @hooks.around_perform
    def look(job: JobCall, call_next: Callable[[], object]) -> object:
        calls.append(job)
        return call_next()

    with inline(hooks=hooks):
        jobs.enqueue(Collect, "a")

    assert calls == [JobCall(Collect, ["a"], "default", None, "inline")]
    assert ran_jobs == [("Collect", ["a"])]


def test_inline_respects_a_before_enqueue_veto() -> None:
    with inline(hooks=Hooks()) as client:
        assert jobs.enqueue(Vetoed, 1) is None

    assert ran_jobs == []
    assert client.performed == []


def test_inline_skips_a_job_whose_before_perform_raises_dont_perform() -> None:
    with inline(hooks=Hooks()):
        jobs.enqueue(Skipped, 1)

    assert ran_jobs == []


def test_inline_enqueue_to_tells_the_middleware_the_queue_named() -> None:
    hooks = Hooks()
    queues: list[str] = []

    @hooks.around_perform
    def look(job: JobCall, call_next: Callable[[], object]) -> object:
        queues.append(job.queue)
        return call_next()

    with inline(hooks=hooks):
        jobs.enqueue_to("elsewhere", Collect, 1)

    assert queues == ["elsewhere"]


def test_inline_enqueue_many_refuses_a_string_as_an_argument_list() -> None:
    with inline(hooks=Hooks()), pytest.raises(TypeError, match="list of argument lists"):
        jobs.enqueue_many(Collect, ["abc"])

    assert ran_jobs == []


def test_a_real_client_with_the_same_hooks_vetoes_what_inline_runs(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    # What inline() should mirror (see the xfail above).
    assert Client(store, settings, hooks=Hooks()).enqueue(Vetoed, 1) is None

    assert raw.keys("*") == []


# -- drain --------------------------------------------------------------------------------------
def test_drain_runs_every_waiting_job_in_priority_order_and_counts_them(
    client: Client, raw: redis.Redis
) -> None:
    client.enqueue_to("low", Collect, "low", 1)
    client.enqueue_to("high", Collect, "high", 1)
    client.enqueue_to("low", Collect, "low", 2)
    client.enqueue_to("high", Collect, "high", 2)
    client.enqueue_to("other", Collect, "other")

    assert drain(["high", "low"], [THIS_MODULE], client=client, hooks=Hooks()) == 4

    assert ran_jobs == [
        ("Collect", ["high", 1]),
        ("Collect", ["high", 2]),
        ("Collect", ["low", 1]),
        ("Collect", ["low", 2]),
    ]
    assert raw.llen("resque:queue:high") == raw.llen("resque:queue:low") == 0
    assert raw.llen("resque:queue:other") == 1  # not asked for
    assert raw.get("resque:stat:processed") == "4"
    assert [key for key in raw.keys("resque:jobs:inflight:*") if raw.llen(key)] == []


def test_drain_turns_a_failing_job_into_a_failure_record_and_goes_on(
    client: Client, raw: redis.Redis
) -> None:
    job_id = client.enqueue(Breaks, "bad input")
    client.enqueue(Collect, "after")

    assert drain(["default"], [THIS_MODULE], client=client, hooks=Hooks()) == 2

    assert ran_jobs == [("Collect", ["after"])]
    [record] = failures(raw)
    assert (record["exception"], record["error"], record["id"]) == (
        "ValueError",
        "bad input",
        job_id,
    )
    assert record["queue"] == "default"
    assert raw.get("resque:stat:failed") == "1"


def test_drain_runs_jobs_enqueued_by_the_jobs_it_runs(client: Client) -> None:
    client.enqueue(Chain, 2)

    assert drain(["default"], [THIS_MODULE], hooks=Hooks()) == 3  # the default client

    assert ran_jobs == [("Chain", [2]), ("Chain", [1]), ("Chain", [0])]


def test_drain_of_empty_queues_runs_nothing(client: Client) -> None:
    assert drain(["default", "high"], [THIS_MODULE], client=client, hooks=Hooks()) == 0


def test_drain_runs_class_hooks_and_the_middleware_it_is_given(
    client: Client, raw: redis.Redis
) -> None:
    hooks = Hooks()
    workers: list[str] = []

    @hooks.around_perform
    def look(job: JobCall, call_next: Callable[[], object]) -> object:
        workers.append(job.worker_id)
        return call_next()

    client.enqueue(Hooked, "ok")
    client.enqueue(Skipped, "no")

    assert drain(["default"], [THIS_MODULE], client=client, hooks=hooks) == 2

    assert [name for name, _ in ran_jobs] == [
        "before_perform",
        "around: before",
        "perform",
        "around: after",
        "after_perform",
    ]  # and Skipped was skipped, without a failure
    assert len(workers) == 2 and workers[0].endswith(":default")
    assert raw.llen("resque:failed") == 0
    assert raw.get("resque:stat:processed") == "2"


def test_drain_refuses_a_class_outside_the_job_modules_as_a_failure(
    client: Client, raw: redis.Redis
) -> None:
    client.enqueue(Collect, 1)

    assert drain(["default"], ["tests.jobs.sample_jobs"], client=client, hooks=Hooks()) == 1

    assert ran_jobs == []
    assert [record["exception"] for record in failures(raw)] == ["JobClassError"]


# -- the pytest plugin --------------------------------------------------------------------------
PLUGIN_USER = """
import redis

import jobs
from jobs.client import Client, current_default_client
from tests.jobs.sample_jobs import Record


def waiting(url: str) -> int:
    return redis.Redis.from_url(url).llen("resque:queue:default")


def test_the_client_is_the_default_and_enqueues_to_the_private_redis(
    jobs_client: Client, jobs_redis_url: str
) -> None:
    assert current_default_client() is jobs_client
    assert jobs_client.store.url == jobs_redis_url
    jobs.enqueue(Record, "first")
    assert waiting(jobs_redis_url) == 1


def test_each_test_starts_with_an_empty_redis(jobs_client: Client, jobs_redis_url: str) -> None:
    assert waiting(jobs_redis_url) == 0
    redis.Redis.from_url(jobs_redis_url).set("leftover", "x")
    jobs.enqueue(Record, "second")
    assert waiting(jobs_redis_url) == 1


def test_the_redis_url_alone_also_starts_empty(jobs_redis_url: str) -> None:
    assert redis.Redis.from_url(jobs_redis_url).keys("*") == []


def test_the_default_client_is_put_back_after_the_test() -> None:
    assert current_default_client() is None
"""


@pytest.mark.parametrize("loaded_by", ["command-line", "conftest"])
def test_the_pytest_plugin_gives_a_private_redis_and_a_default_client(
    tmp_path: Path, loaded_by: str
) -> None:
    (tmp_path / "test_plugin_user.py").write_text(textwrap.dedent(PLUGIN_USER))
    options = ["-p", "jobs.testing"]
    if loaded_by == "conftest":
        (tmp_path / "conftest.py").write_text('pytest_plugins = ["jobs.testing"]\n')
        options = []

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *options, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_drain_with_star_runs_every_queue(client: Client, raw: redis.Redis) -> None:
    client.enqueue_to("alpha", Collect, "a")
    client.enqueue_to("beta", Collect, "b")

    assert drain(["*"], [THIS_MODULE], client=client, hooks=Hooks()) == 2

    assert sorted(ran_jobs) == [("Collect", ["a"]), ("Collect", ["b"])]
    assert raw.llen("resque:queue:alpha") == raw.llen("resque:queue:beta") == 0
