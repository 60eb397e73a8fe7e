"""The payload: a job as JSON on a queue, in Resque's format, and reading one back."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import pytest

from jobs.arguments import MAX_NESTING, JobArgumentError
from jobs.payload import (
    ERROR_KEPT,
    RETRY_FIELDS,
    Payload,
    PayloadError,
    PayloadTooLarge,
    encode,
    encode_many,
    nests_deeper_than,
    new_job_id,
    retried_so_far,
    with_retry,
    without_retry,
)

LIMIT = 512 * 1024


def test_encode_writes_compact_json_with_class_args_id_enqueued_at_in_that_order() -> None:
    before = time.time()
    job_id, data = encode("app.jobs.Mail", ("a", 1, None), LIMIT)
    after = time.time()

    body = json.loads(data)
    assert list(body) == ["class", "args", "id", "enqueued_at"]
    prefix = f'{{"class":"app.jobs.Mail","args":["a",1,null],"id":"{job_id}","enqueued_at":'
    assert data.decode().startswith(prefix)
    assert data.decode() == prefix + json.dumps(body["enqueued_at"]) + "}"
    assert isinstance(body["enqueued_at"], float)
    assert before <= body["enqueued_at"] <= after


def test_encode_gives_every_job_a_new_24_hex_digit_id() -> None:
    ids = {encode("X", [], LIMIT)[0] for _ in range(50)}

    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{24}", job_id) for job_id in ids)
    assert re.fullmatch(r"[0-9a-f]{24}", new_job_id())


def test_encode_refuses_arguments_json_cannot_carry() -> None:
    with pytest.raises(JobArgumentError, match=r"\(args\[1\]\['when'\]\)"):
        encode("app.jobs.Mail", ["ok", {"when": datetime(2026, 1, 1)}], LIMIT)


def test_encode_refuses_a_payload_over_the_limit_and_names_the_limit() -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        encode("app.jobs.Mail", ["x" * 2000], 1000)

    message = str(raised.value)
    assert "app.jobs.Mail job is" in message
    assert "over the 1000-byte limit" in message
    assert "JOBS_MAX_PAYLOAD_BYTES" in message
    assert isinstance(raised.value, ValueError)


def test_encode_accepts_a_payload_under_the_limit() -> None:
    _, data = encode("app.jobs.Mail", ["x" * 100], 1000)

    assert 100 < len(data) <= 1000


def test_encode_many_gives_each_job_its_own_id_and_one_time_for_all() -> None:
    before = time.time()
    jobs = encode_many("app.jobs.Mail", [[1], ("a",), []], LIMIT)
    after = time.time()

    bodies = [json.loads(data) for _, data in jobs]
    assert [body["args"] for body in bodies] == [[1], ["a"], []]
    assert [body["id"] for body in bodies] == [job_id for job_id, _ in jobs]
    assert all(re.fullmatch(r"[0-9a-f]{24}", job_id) for job_id, _ in jobs)
    assert len({job_id for job_id, _ in jobs}) == 3
    assert len({body["enqueued_at"] for body in bodies}) == 1
    assert before <= bodies[0]["enqueued_at"] <= after


def test_encode_many_refuses_every_job_for_one_bad_argument_list_and_names_it() -> None:
    with pytest.raises(JobArgumentError, match=r"argument 1 of app.jobs.Mail \(args\[0\]\)"):
        encode_many("app.jobs.Mail", [[1], [{1, 2}]], LIMIT)
    with pytest.raises(PayloadTooLarge, match="over the 1000-byte limit"):
        encode_many("app.jobs.Mail", [[1], ["x" * 2000]], 1000)


def test_decode_reads_class_args_id_and_keeps_the_whole_body() -> None:
    data = b'{"class":"app.jobs.Mail","args":[1,"a"],"id":"abc","enqueued_at":1.5,"extra":true}'

    payload = Payload.decode(data)

    assert payload.class_name == "app.jobs.Mail"
    assert payload.args == [1, "a"]
    assert payload.job_id == "abc"
    assert payload.body == json.loads(data)


def test_decode_reads_a_resque_payload_without_id() -> None:
    payload = Payload.decode(b'{"class":"Archive","args":[]}')

    assert (payload.class_name, payload.args, payload.job_id) == ("Archive", [], None)


def test_decode_treats_missing_args_as_none_and_a_non_text_id_as_no_id() -> None:
    payload = Payload.decode(b'{"class":"Archive","id":42}')

    assert payload.args == []
    assert payload.job_id is None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32-be"])
def test_decode_reads_the_bytes_of_any_unicode_encoding_as_json_loads_does(encoding: str) -> None:
    text = '{"class":"Archive","args":["caf\u00e9"]}'

    payload = Payload.decode(text.encode(encoding))

    assert (payload.class_name, payload.args) == ("Archive", ["café"])


UNREADABLE = [
    pytest.param(b"not json", "the payload is not JSON", id="not-json"),
    pytest.param(b"", "the payload is not JSON", id="empty"),
    pytest.param(b"\xff\xfe", "the payload is not JSON", id="not-utf8"),
    pytest.param(b"[1,2]", "the payload is not a JSON object", id="list"),
    pytest.param(b'"text"', "the payload is not a JSON object", id="string"),
    pytest.param(b'{"args":[]}', 'the payload has no "class" naming the job', id="no-class"),
    pytest.param(
        b'{"class":"","args":[]}', 'the payload has no "class" naming the job', id="empty-class"
    ),
    pytest.param(
        b'{"class":7,"args":[]}', 'the payload has no "class" naming the job', id="class-not-text"
    ),
    pytest.param(b'{"class":"X","args":"a"}', 'the payload\'s "args" is not a list', id="args-str"),
    pytest.param(
        b'{"class":"X","args":{"a":1}}', 'the payload\'s "args" is not a list', id="args-dict"
    ),
]


@pytest.mark.parametrize(("data", "why"), UNREADABLE)
def test_decode_refuses_an_unreadable_payload_saying_why_and_showing_it(
    data: bytes, why: str
) -> None:
    with pytest.raises(PayloadError) as raised:
        Payload.decode(data)

    message = str(raised.value)
    assert message.startswith(why)
    assert message.endswith(data.decode("utf-8", "replace"))


def test_decode_refuses_a_payload_nested_deeper_than_the_parser_goes() -> None:
    deep = b'{"class":"app.Job","args":' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    with pytest.raises(PayloadError, match="nests too deep"):
        Payload.decode(deep)


def test_decode_error_shows_only_the_start_of_a_long_payload() -> None:
    data = b"[" + b"1," * 1000 + b"1]"

    with pytest.raises(PayloadError) as raised:
        Payload.decode(data)

    assert str(raised.value).endswith(data[:200].decode() + "...")
    assert len(str(raised.value)) < 300


def test_payload_matches_class_and_args_whatever_its_id() -> None:
    payload = Payload.decode(b'{"class":"X","args":[1,{"a":"b"}],"id":"one"}')

    assert payload.matches("X", [1, {"a": "b"}])
    assert not payload.matches("Y", [1, {"a": "b"}])
    assert not payload.matches("X", [1])
    assert not payload.matches("X", [1, {"a": "c"}])


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_decode_refuses_the_non_json_constants_pythons_parser_would_let_through(
    constant: str,
) -> None:
    with pytest.raises(PayloadError, match=f"{constant} is not JSON"):
        Payload.decode(f'{{"class":"a.B","args":[{constant}]}}'.encode())


def nested_arguments(depth: int) -> bytes:
    """A payload whose one argument is a list ``depth`` lists deep."""
    return b'{"class":"a.B","args":[' + b"[" * depth + b"1" + b"]" * depth + b"]}"


def test_decode_reads_arguments_nested_as_deep_as_enqueue_allows() -> None:
    payload = Payload.decode(nested_arguments(MAX_NESTING))

    assert payload.class_name == "a.B"


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 900])
def test_decode_refuses_arguments_nested_deeper_than_enqueue_allows(depth: int) -> None:
    # Python's parser reads these; a worker could still not re-encode or show them safely.
    with pytest.raises(PayloadError, match=f"nest more than {MAX_NESTING} deep"):
        Payload.decode(nested_arguments(depth))


def test_decode_refuses_a_payload_over_the_byte_limit_before_reading_it() -> None:
    data = b'{"class":"a.B","args":["' + b"x" * 2000 + b'"]}'

    with pytest.raises(PayloadTooLarge) as refused:
        Payload.decode(data, max_bytes=1000)

    message = str(refused.value)
    assert f"is {len(data)} bytes, over the 1000-byte limit (JOBS_MAX_PAYLOAD_BYTES)" in message
    assert "it was not run" in message and len(message) < 400
    assert isinstance(refused.value, PayloadError)  # a worker fails it like any unreadable job
    assert Payload.decode(data, max_bytes=len(data)).args == ["x" * 2000]


def test_nests_deeper_than_counts_lists_and_dicts_alike_at_any_depth() -> None:
    assert not nests_deeper_than([[{"a": [1]}]], 4)
    assert nests_deeper_than([[{"a": [[1]]}]], 4)
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    assert nests_deeper_than(deep, MAX_NESTING)


# -- the retry fields a job waiting for an automatic retry carries ---------------------------------
@pytest.mark.parametrize(
    ("body", "count"),
    [({}, 0), ({"retry_count": 3}, 3), ({"retry_count": "3"}, 0), ({"retry_count": True}, 0)],
)
def test_retried_so_far_reads_only_real_counts(body: dict[str, object], count: int) -> None:
    assert retried_so_far(body) == count


def test_a_retry_payload_is_the_same_job_with_its_count_error_and_time() -> None:
    body = {"class": "app.Mail", "args": [1], "id": "aaa", "enqueued_at": 1.5}
    before = time.time()

    retry = json.loads(with_retry(body, 2, "TimeoutError: " + "x" * 2000))

    assert {name: retry[name] for name in body} == body
    assert retry["retry_count"] == 2 and retried_so_far(retry) == 2
    assert retry["error"] == ("TimeoutError: " + "x" * 2000)[:ERROR_KEPT]
    assert before <= retry["failed_at"] <= time.time()
    assert set(retry) == set(body) | set(RETRY_FIELDS)


def test_without_retry_gives_back_the_job_as_first_enqueued() -> None:
    body = {"class": "app.Mail", "args": [1], "id": "aaa", "enqueued_at": 1.5}

    assert without_retry(json.loads(with_retry(body, 1, "ValueError: no"))) == body
