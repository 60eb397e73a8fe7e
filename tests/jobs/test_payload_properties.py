"""Properties of the two gates a job passes, checked on values Hypothesis makes up: whatever
bytes sit on a queue, the decoder returns a job or raises PayloadError, and a failure record of
them is small, readable JSON; whatever an application passes to enqueue, the argument check
accepts it (and it comes back from JSON unchanged) or refuses it with JobArgumentError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.arguments import MAX_NESTING, JobArgumentError, check_arguments
from jobs.failures import RAW_KEPT, failure_record
from jobs.payload import Payload, PayloadError, encode, encode_many

LIMIT = 64 * 1024
RECORD_LIMIT = RAW_KEPT + 2000
SETTINGS = settings(deadline=None, max_examples=300)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def nested_text(depth: int, opener: str) -> str:
    if opener == "{":  # an object needs a key before each value
        return '{"k":' * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth


@st.composite
def queued_bytes(draw: st.DrawFn) -> bytes:
    """What anyone could have pushed onto a queue: noise, JSON of any shape, a real payload
    cut or spliced, or one nesting anywhere from shallow to far past any parser's depth."""
    kind = draw(st.sampled_from(["noise", "json", "payload", "cut", "deep"]))
    if kind == "noise":
        return draw(st.binary(max_size=300))
    if kind == "json":
        body = draw(st.dictionaries(st.sampled_from(["class", "args", "id"]), json_values))
        return json.dumps(body, allow_nan=True).encode()
    args = draw(st.lists(json_values, max_size=3))
    body = {"class": "app.jobs.Mail", "args": args, "id": "f" * 24, "enqueued_at": 1.5}
    data = json.dumps(body, allow_nan=True).encode()
    if kind == "payload":
        return data
    if kind == "cut":
        cut = draw(st.integers(0, len(data)))
        return data[:cut] + draw(st.binary(max_size=20)) + data[cut:][: draw(st.integers(0, 50))]
    depth = draw(st.integers(0, 120_000))
    nest = nested_text(depth, draw(st.sampled_from(["[", "{"])))
    return b'{"class":"app.jobs.Mail","args":[' + nest.encode() + b"]}"


@SETTINGS
@given(queued_bytes())
def test_any_bytes_decode_to_a_job_or_a_payload_error_and_record_small(data: bytes) -> None:
    try:
        payload = Payload.decode(data, LIMIT)
    except PayloadError:
        payload = None
    if payload is not None:
        assert isinstance(payload.class_name, str) and isinstance(payload.args, list)
    record = failure_record(data, "q", "w", "PayloadError", "bad", [], max_bytes=LIMIT)
    assert len(record) < max(RECORD_LIMIT, len(data) + 2000)  # readable ones are kept whole
    assert json.loads(record)["queue"] == "q"
    if len(data) > RAW_KEPT and payload is None:
        assert len(record) < RECORD_LIMIT


def nested_value(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


python_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary(max_size=5)
    | st.dates()
    | st.builds(object),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text() | st.integers(), inner, max_size=3)
        | st.frozensets(st.integers(), max_size=2)
        | st.builds(nested_value, st.integers(0, 3000), inner)
    ),
    max_leaves=20,
)


@SETTINGS
@given(st.lists(python_values, max_size=4))
def test_any_arguments_are_accepted_and_come_back_unchanged_or_refused_by_name(
    args: list[Any],
) -> None:
    try:
        check_arguments("app.jobs.Mail", args)
    except JobArgumentError as refused:
        assert str(refused).startswith("argument ")
        assert " of app.jobs.Mail (args[" in str(refused)
        return
    data = encode("app.jobs.Mail", args, 10**9)[1]
    assert Payload.decode(data).args == args


@SETTINGS
@given(
    st.text(min_size=1),
    st.lists(st.lists(json_values, max_size=4), min_size=1, max_size=3),
    st.none() | st.text(),
)
def test_payloads_are_what_json_writes_for_their_body_byte_for_byte(
    class_name: str, arg_lists: list[list[Any]], unique: str | None
) -> None:
    """encode_many writes the JSON by hand, for speed; json must not be able to tell."""
    try:
        for args in arg_lists:
            check_arguments(class_name, args)
    except JobArgumentError:  # NaN and infinity, which Hypothesis makes as floats
        return
    jobs = encode_many(class_name, arg_lists, 10**9, unique)
    for (job_id, data), args in zip(jobs, arg_lists, strict=True):
        body = json.loads(data)
        assert body == {
            "class": class_name,
            "args": args,
            "id": job_id,
            "enqueued_at": body["enqueued_at"],
            **({} if unique is None else {"unique": unique}),
        }
        assert data == json.dumps(body, separators=(",", ":"), allow_nan=False).encode()


def test_the_nesting_limit_is_the_same_at_enqueue_and_at_the_worker() -> None:
    at_limit = [nested_value(MAX_NESTING, 1)]
    over = [nested_value(MAX_NESTING + 1, 1)]
    check_arguments("X", at_limit)
    Payload.decode(encode("X", at_limit, 10**9)[1])
    try:
        check_arguments("X", over)
    except JobArgumentError:
        pass
    else:
        raise AssertionError("one level over the limit was accepted")
    raw = json.dumps({"class": "X", "args": over}).encode()
    try:
        Payload.decode(raw)
    except PayloadError:
        return
    raise AssertionError("one level over the limit was read by the worker")
