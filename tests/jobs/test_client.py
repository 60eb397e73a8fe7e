"""The producer's side: enqueueing jobs in Resque's format, and looking at queues.

Every refusal happens before anything is written: after a refused enqueue, Redis is empty.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import redis

import jobs
from jobs.arguments import JobArgumentError
from jobs.client import Client, InvalidQueueName
from jobs.hooks import EnqueueCall, Hooks, default_hooks
from jobs.job import NotAJobError
from jobs.job_loader import JobLoader
from jobs.payload import PayloadTooLarge
from jobs.settings import Settings
from jobs.store import Store
from tests.jobs.sample_jobs import Boom, Counted, NoPerform, Record

RECORD = "tests.jobs.sample_jobs.Record"


class NoQueue:
    """Has perform, but no queue to go on."""

    @staticmethod
    def perform() -> None:
        pass


class BadQueue:
    """A queue name Resque could not read back out of a worker id."""

    queue = "high:low"

    @staticmethod
    def perform() -> None:
        pass


class Outer:
    class Inner:
        """Nested in a class: not at the top level of its module."""

        queue = "default"

        @staticmethod
        def perform() -> None:
            pass


def queued(raw: redis.Redis, queue: str = "default") -> list[dict[str, Any]]:
    return [json.loads(data) for data in raw.lrange(f"resque:queue:{queue}", 0, -1)]


# -- enqueue ------------------------------------------------------------------------------------
@pytest.mark.usefixtures("client")
def test_enqueue_writes_resque_json_on_the_class_queue(raw: redis.Redis) -> None:
    before = time.time()
    job_id = jobs.enqueue(Record, "a", 1)
    after = time.time()

    [data] = raw.lrange("resque:queue:default", 0, -1)
    body = json.loads(data)
    assert list(body) == ["class", "args", "id", "enqueued_at"]
    assert data == (
        f'{{"class":"{RECORD}","args":["a",1],"id":"{job_id}",'
        f'"enqueued_at":{json.dumps(body["enqueued_at"])}}}'
    )
    assert re.fullmatch(r"[0-9a-f]{24}", job_id)
    assert isinstance(body["enqueued_at"], float)
    assert before <= body["enqueued_at"] <= after


@pytest.mark.usefixtures("client")
def test_enqueue_adds_the_queue_to_the_queues_set(raw: redis.Redis) -> None:
    jobs.enqueue(Record, "a")

    assert raw.smembers("resque:queues") == {"default"}


@pytest.mark.usefixtures("client")
def test_enqueue_returns_the_id_written_in_the_payload_and_ids_differ(raw: redis.Redis) -> None:
    first = jobs.enqueue(Record, "a")
    second = jobs.enqueue(Record, "a")

    assert [body["id"] for body in queued(raw)] == [first, second]
    assert first != second


@pytest.mark.usefixtures("client")
def test_enqueue_appends_so_the_oldest_job_is_first(raw: redis.Redis) -> None:
    for value in range(3):
        jobs.enqueue(Record, value)

    assert [body["args"] for body in queued(raw)] == [[0], [1], [2]]


@pytest.mark.usefixtures("client")
def test_enqueue_to_puts_the_job_on_the_named_queue(raw: redis.Redis) -> None:
    job_id = jobs.enqueue_to("urgent", Record, 2)

    assert queued(raw, "urgent")[0]["id"] == job_id
    assert queued(raw, "urgent")[0]["args"] == [2]
    assert raw.llen("resque:queue:default") == 0
    assert raw.smembers("resque:queues") == {"urgent"}


def test_job_perform_async_enqueues_on_the_class_queue(client: Client, raw: redis.Redis) -> None:
    job_id = Counted.perform_async(21)

    [body] = queued(raw, "sidekiq")
    assert body["class"] == "tests.jobs.sample_jobs.Counted"
    assert body["args"] == [21]
    assert body["id"] == job_id


def test_a_client_of_its_own_enqueues_without_the_default(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    own = Client(store, settings)

    own.enqueue(Record, "mine")

    assert queued(raw)[0]["args"] == ["mine"]


# -- refusals: a clear error, and nothing written -------------------------------------------------
def enqueue_a_class_defined_in_a_function(client: Client) -> None:
    class Local:
        queue = "default"

        @staticmethod
        def perform() -> None:
            pass

    client.enqueue(Local)


def enqueue_a_class_defined_in_main(client: Client) -> None:
    script_class = type(
        "Script", (), {"queue": "default", "perform": staticmethod(print), "__module__": "__main__"}
    )
    client.enqueue(script_class)


def enqueue_an_oversized_job(client: Client) -> None:
    small = Client(client.store, Settings(redis_url=client.store.url, max_payload_bytes=100))
    small.enqueue(Record, "x" * 200)


REFUSALS = [
    pytest.param(
        lambda c: c.enqueue(Record, "a", datetime(2026, 1, 1)),
        JobArgumentError,
        r"argument 2 of tests\.jobs\.sample_jobs\.Record \(args\[1\]\) is a datetime",
        id="datetime-argument",
    ),
    pytest.param(
        lambda c: c.enqueue(Record, {"when": {1, 2}}),
        JobArgumentError,
        r"\(args\[0\]\['when'\]\) is a set",
        id="nested-set-argument",
    ),
    pytest.param(enqueue_an_oversized_job, PayloadTooLarge, r"over the 100-byte limit", id="big"),
    pytest.param(
        enqueue_a_class_defined_in_a_function,
        NotAJobError,
        r"Local is defined inside a function",
        id="local-class",
    ),
    pytest.param(
        enqueue_a_class_defined_in_main, NotAJobError, r"Script is defined in .*__main__", id="main"
    ),
    pytest.param(
        lambda c: c.enqueue(NoQueue), NotAJobError, r"NoQueue has no queue", id="no-queue"
    ),
    pytest.param(
        lambda c: c.enqueue(NoPerform), NotAJobError, r"NoPerform has no perform", id="no-perform"
    ),
    pytest.param(
        lambda c: c.enqueue_to("urgent", NoPerform), NotAJobError, r"no perform", id="to-no-perform"
    ),
    pytest.param(lambda c: c.enqueue(BadQueue), InvalidQueueName, r"'high:low'", id="class-queue"),
    pytest.param(
        lambda c: c.enqueue_many(Record, [["a"], ["b", b"bytes"], ["c"]]),
        JobArgumentError,
        r"argument 2 .* \(args\[1\]\) is a bytes",
        id="many-one-bad",
    ),
    pytest.param(
        lambda c: Client(
            c.store, Settings(redis_url=c.store.url, max_payload_bytes=100)
        ).enqueue_many(Record, [["a"], ["x" * 200]]),
        PayloadTooLarge,
        r"100-byte limit",
        id="many-one-big",
    ),
    pytest.param(
        lambda c: c.enqueue_many(Record, [["a"]], queue="a b"),
        InvalidQueueName,
        r"'a b'",
        id="many-bad-queue",
    ),
    *(
        pytest.param(
            lambda c, name=name: c.enqueue_to(name, Record, 1),
            InvalidQueueName,
            re.escape(repr(name)),
            id=f"queue-{name!r}",
        )
        for name in ["", "a:b", "a,b", "a*", "*", "a b", "a\tb", "a\nb", "a\rb", " a"]
    ),
]


@pytest.mark.parametrize(("enqueue", "error", "message"), REFUSALS)
def test_enqueue_refuses_with_a_clear_error_and_writes_nothing(
    client: Client,
    raw: redis.Redis,
    enqueue: Callable[[Client], object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        enqueue(client)

    assert raw.keys("*") == []


def test_invalid_queue_name_is_a_value_error_that_says_what_is_allowed(client: Client) -> None:
    with pytest.raises(
        ValueError, match=re.escape("must be non-empty and contain no spaces or any of : , *")
    ):
        client.enqueue_to("a,b", Record)


@pytest.mark.parametrize("name", ["urgent\x0b", "urgent\x0c", "urgent\u00a0", "\u2003urgent"])
def test_enqueue_refuses_a_queue_name_with_any_whitespace(
    client: Client, raw: redis.Redis, name: str
) -> None:
    with pytest.raises(InvalidQueueName):
        client.enqueue_to(name, Record, 1)

    assert raw.keys("*") == []


def test_a_nested_class_is_refused_at_enqueue_or_else_loadable_by_a_worker(
    client: Client, raw: redis.Redis
) -> None:
    try:
        client.enqueue(Outer.Inner)
    except NotAJobError as error:
        assert "top level" in str(error)
        assert raw.keys("*") == []
        return

    [job] = client.peek("default")
    assert JobLoader(["tests.jobs.test_client"]).load(job["class"]) is Outer.Inner


# -- enqueue_many -------------------------------------------------------------------------------
@pytest.mark.usefixtures("client")
def test_enqueue_many_writes_every_job_in_order_and_returns_their_ids(raw: redis.Redis) -> None:
    ids = jobs.enqueue_many(Record, [["a"], ("b", 2), []])

    bodies = queued(raw)
    assert [body["args"] for body in bodies] == [["a"], ["b", 2], []]
    assert [body["id"] for body in bodies] == ids
    assert len(set(ids)) == 3
    assert raw.smembers("resque:queues") == {"default"}


def test_enqueue_many_refuses_a_string_as_an_argument_list_and_writes_nothing(
    client: Client, raw: redis.Redis
) -> None:
    with pytest.raises(TypeError, match="list of argument lists"):
        client.enqueue_many(Record, [["fine"], "abc"])  # type: ignore[list-item]
    assert raw.keys("*") == []


def test_enqueue_many_to_a_queue_you_name(client: Client, raw: redis.Redis) -> None:
    client.enqueue_many(Record, [[1], [2]], queue="bulk")

    assert [body["args"] for body in queued(raw, "bulk")] == [[1], [2]]
    assert raw.llen("resque:queue:default") == 0


def test_enqueue_many_of_nothing_writes_nothing(client: Client, raw: redis.Redis) -> None:
    assert client.enqueue_many(Record, []) == []
    assert raw.keys("*") == []


def test_enqueue_many_writes_more_jobs_than_one_script_call_takes(
    client: Client, raw: redis.Redis
) -> None:
    ids = client.enqueue_many(Record, ([n] for n in range(2500)))

    bodies = queued(raw)
    assert [body["args"][0] for body in bodies] == list(range(2500))
    assert [body["id"] for body in bodies] == ids


# -- dequeue ------------------------------------------------------------------------------------
def test_dequeue_removes_every_job_with_that_class_and_args_and_leaves_the_rest(
    client: Client, raw: redis.Redis
) -> None:
    client.enqueue(Record, "a", 1)
    keep = [client.enqueue(Record, "b", 2), client.enqueue(Boom, "a", 1)]
    client.enqueue(Record, "a", 1)
    client.enqueue_to("other", Record, "a", 1)  # another queue than Record's: not looked at
    keep.append(client.enqueue(Record, "a"))
    # Written by Resque: no id, no enqueued_at, different key order. Still a match.
    raw.rpush("resque:queue:default", f'{{"args":["a",1],"class":"{RECORD}"}}')
    raw.rpush("resque:queue:default", "garbage that is not JSON")

    removed = jobs.dequeue(Record, "a", 1)

    assert removed == 3
    remaining = raw.lrange("resque:queue:default", 0, -1)
    assert remaining[-1] == "garbage that is not JSON"
    assert [json.loads(data)["id"] for data in remaining[:-1]] == keep
    assert raw.llen("resque:queue:other") == 1


def test_dequeue_returns_zero_when_nothing_matches(client: Client, raw: redis.Redis) -> None:
    client.enqueue(Record, "a", 1)

    assert client.dequeue(Record, "a", 2) == 0
    assert client.dequeue(Record, "a") == 0
    assert raw.llen("resque:queue:default") == 1


def test_dequeue_matches_nested_arguments_exactly(client: Client, raw: redis.Redis) -> None:
    client.enqueue(Record, {"a": [1, 2]})
    client.enqueue(Record, {"a": [1, 2, 3]})

    assert client.dequeue(Record, {"a": [1, 2]}) == 1
    assert [body["args"] for body in queued(raw)] == [[{"a": [1, 2, 3]}]]


def test_dequeue_tells_true_from_one(client: Client, raw: redis.Redis) -> None:
    client.enqueue(Record, True)

    assert client.dequeue(Record, 1) == 0
    assert [body["args"] for body in queued(raw)] == [[True]]


# -- looking at queues --------------------------------------------------------------------------
@pytest.mark.usefixtures("client")
def test_queues_lists_every_used_queue_sorted() -> None:
    jobs.enqueue_to("zeta", Record)
    jobs.enqueue_to("alpha", Record)
    jobs.enqueue(Record)

    assert jobs.queues() == ["alpha", "default", "zeta"]


@pytest.mark.usefixtures("client")
def test_size_counts_waiting_jobs_and_is_zero_for_an_unknown_queue() -> None:
    jobs.enqueue_many(Record, [[1], [2], [3]])

    assert jobs.size("default") == 3
    assert jobs.size("nowhere") == 0


@pytest.mark.usefixtures("client")
def test_peek_shows_payloads_oldest_first_without_taking_them(raw: redis.Redis) -> None:
    ids = jobs.enqueue_many(Record, [[0], [1], [2], [3]])

    assert [job["id"] for job in jobs.peek("default")] == ids[:1]
    assert [job["id"] for job in jobs.peek("default", 1, 2)] == ids[1:3]
    assert [job["args"] for job in jobs.peek("default", 2, 10)] == [[2], [3]]
    assert jobs.peek("default", 0, 0) == []
    assert jobs.peek("default", 9, 2) == []
    assert jobs.peek("nowhere") == []
    assert raw.llen("resque:queue:default") == 4


@pytest.mark.usefixtures("client")
def test_peek_returns_the_whole_payload_object(raw: redis.Redis) -> None:
    jobs.enqueue(Record, "a", 1)

    assert jobs.peek("default") == queued(raw)


@pytest.mark.usefixtures("client")
def test_peek_shows_an_unreadable_payload_as_raw_text(raw: redis.Redis) -> None:
    raw.rpush("resque:queue:default", "not json", '{"args":[]}')
    raw.rpush("resque:queue:default", b"\xffbinary")

    assert jobs.peek("default", 0, 3) == [
        {"raw": "not json"},
        {"raw": '{"args":[]}'},
        {"raw": "\ufffdbinary"},
    ]


def test_remove_queue_deletes_its_jobs_and_its_name(client: Client, raw: redis.Redis) -> None:
    client.enqueue(Record, 1)
    client.enqueue_to("urgent", Record, 2)

    assert client.remove_queue("urgent") == 1

    assert client.queues() == ["default"]
    assert not raw.exists("resque:queue:urgent")
    assert client.size("default") == 1


# -- waking idle workers -----------------------------------------------------------------------
def subscribed(raw: redis.Redis, *channels: str) -> redis.client.PubSub:
    """A subscription that is in place (Redis has confirmed every channel)."""
    pubsub = raw.pubsub()
    pubsub.subscribe(*channels)
    for _ in channels:
        message = pubsub.get_message(timeout=5)
        assert message is not None and message["type"] == "subscribe", message
    return pubsub


def next_message(pubsub: redis.client.PubSub) -> tuple[str, str]:
    message = pubsub.get_message(timeout=5)
    assert message is not None and message["type"] == "message", message
    return message["channel"], message["data"]


@pytest.mark.usefixtures("client")
def test_enqueue_publishes_the_queue_name_on_its_wakeup_channel(raw: redis.Redis) -> None:
    pubsub = subscribed(raw, "resque:jobs:wakeup:default")
    try:
        jobs.enqueue(Record, "a")

        assert next_message(pubsub) == ("resque:jobs:wakeup:default", "default")
    finally:
        pubsub.close()


@pytest.mark.usefixtures("client")
def test_enqueue_to_wakes_only_the_named_queue(raw: redis.Redis) -> None:
    pubsub = subscribed(raw, "resque:jobs:wakeup:default", "resque:jobs:wakeup:urgent")
    try:
        jobs.enqueue_to("urgent", Record)
        jobs.enqueue(Record)

        # Messages arrive in the order they were published: had enqueue_to woken "default"
        # too, that message would come between these two.
        assert next_message(pubsub) == ("resque:jobs:wakeup:urgent", "urgent")
        assert next_message(pubsub) == ("resque:jobs:wakeup:default", "default")
    finally:
        pubsub.close()


@pytest.mark.usefixtures("client")
def test_a_refused_enqueue_wakes_nobody(raw: redis.Redis) -> None:
    pubsub = subscribed(raw, "resque:jobs:wakeup:default")
    try:
        with pytest.raises(JobArgumentError):
            jobs.enqueue(Record, b"bytes")
        jobs.enqueue(Record, "good")

        assert next_message(pubsub) == ("resque:jobs:wakeup:default", "default")
        assert queued(raw)[0]["args"] == ["good"]
    finally:
        pubsub.close()


# -- Redis unreachable --------------------------------------------------------------------------
@pytest.fixture
def nobody_listens() -> Iterator[int]:
    """A port that is bound (so no one else can take it) but not listening: connections to it
    are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


ENQUEUES = [
    pytest.param(lambda c: c.enqueue(Record, 1), id="enqueue"),
    pytest.param(lambda c: c.enqueue_to("urgent", Record, 1), id="enqueue_to"),
    pytest.param(lambda c: c.enqueue_many(Record, [[1], [2]]), id="enqueue_many"),
]


@pytest.mark.parametrize("enqueue", ENQUEUES)
@pytest.mark.parametrize("user", ["", "app"])
def test_enqueue_with_redis_unreachable_names_the_url_with_its_password_hidden(
    nobody_listens: int, enqueue: Callable[[Client], object], user: str
) -> None:
    url = f"redis://{user}:s3cret@127.0.0.1:{nobody_listens}/0"
    unreachable = Client(Store(url), Settings(redis_url=url), hooks=Hooks())

    with pytest.raises(jobs.RedisUnavailable) as refused:
        enqueue(unreachable)

    message = str(refused.value)
    assert f"redis://{user}:***@127.0.0.1:{nobody_listens}/0" in message
    assert "s3cret" not in message
    assert "unreachable" in message
    assert isinstance(refused.value, ConnectionError)


def test_enqueue_with_redis_unreachable_hides_a_password_given_in_the_query_string(
    nobody_listens: int,
) -> None:
    url = f"redis://127.0.0.1:{nobody_listens}/0?password=s3cret"
    unreachable = Client(Store(url), Settings(redis_url=url), hooks=Hooks())

    with pytest.raises(jobs.RedisUnavailable) as refused:
        unreachable.enqueue(Record, 1)

    assert "s3cret" not in str(refused.value)


def test_enqueue_middleware_sees_redis_unavailable_and_the_job_is_not_enqueued(
    nobody_listens: int,
) -> None:
    url = f"redis://127.0.0.1:{nobody_listens}/0"
    hooks = Hooks()
    seen: list[str] = []

    @hooks.around_enqueue
    def look(job: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
        try:
            return call_next()
        except jobs.RedisUnavailable as error:
            seen.append(type(error).__name__)
            raise

    with pytest.raises(jobs.RedisUnavailable):
        Client(Store(url), Settings(redis_url=url), hooks=hooks).enqueue(Record, 1)

    assert seen == ["RedisUnavailable"]


# -- whose hooks a client uses ------------------------------------------------------------------
def veto_everything(job: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
    return None


def test_a_client_uses_the_hooks_it_was_built_with(
    store: Store, settings: Settings, raw: redis.Redis
) -> None:
    hooks = Hooks()
    hooks.around_enqueue(veto_everything)
    own = Client(store, settings, hooks=hooks)

    assert own.hooks is hooks
    assert own.enqueue(Record, 1) is None
    assert own.enqueue_many(Record, [[1], [2]]) == []
    assert raw.keys("*") == []


def test_a_client_with_hooks_of_its_own_ignores_the_default_hooks(
    store: Store, settings: Settings, raw: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Registered on the global default_hooks for this test only (monkeypatch puts it back).
    monkeypatch.setattr(default_hooks, "enqueue_middleware", [veto_everything])

    assert Client(store, settings).enqueue(Record, "vetoed") is None
    assert Client(store, settings, hooks=Hooks()).enqueue(Record, "written") is not None

    assert [body["args"] for body in queued(raw)] == [["written"]]
