"""Job arguments must come back from JSON exactly as they went in; anything else is refused
before the job is written, with a message that says which argument and where inside it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from jobs.arguments import JSON_HINT, MAX_NESTING, JobArgumentError, check_arguments


class Point:
    """An application object: a job should be given its id, not the object."""


class Colour(enum.IntEnum):
    RED = 1


REFUSED = [
    # (arguments, path of the bad value, words that say what it is)
    pytest.param([Point()], "args[0]", "tests.jobs.test_arguments.Point", id="object"),
    pytest.param([b"bytes"], "args[0]", "a bytes", id="bytes"),
    pytest.param([bytearray(b"x")], "args[0]", "a bytearray", id="bytearray"),
    pytest.param([{1, 2}], "args[0]", "a set", id="set"),
    pytest.param([frozenset()], "args[0]", "a frozenset", id="frozenset"),
    pytest.param([datetime(2026, 1, 2, 3, 4)], "args[0]", "datetime.datetime", id="datetime"),
    pytest.param([date(2026, 1, 2)], "args[0]", "datetime.date", id="date"),
    pytest.param([Decimal("1.5")], "args[0]", "decimal.Decimal", id="decimal"),
    pytest.param([float("nan")], "args[0]", "nan, which JSON has no value for", id="nan"),
    pytest.param([float("inf")], "args[0]", "inf, which JSON has no value for", id="inf"),
    pytest.param([float("-inf")], "args[0]", "-inf, which JSON has no value for", id="-inf"),
    pytest.param([(1, 2)], "args[0]", "a tuple, which would come back as a list", id="tuple"),
    pytest.param([Colour.RED], "args[0]", "Colour", id="int-enum"),
    pytest.param([{1: "one"}], "args[0]", "a dict with a int key 1", id="int-key"),
    pytest.param([{None: "x"}], "args[0]", "NoneType key None", id="none-key"),
    pytest.param(
        ["fine", {"when": datetime(2026, 1, 1)}], "args[1]['when']", "datetime", id="in-dict"
    ),
    pytest.param(["fine", [1, (2, 3)]], "args[1][1]", "a tuple", id="tuple-in-list"),
    pytest.param([{"a": [{"b": (1,)}]}], "args[0]['a'][0]['b']", "a tuple", id="tuple-deep"),
    pytest.param([[[[b"x"]]]], "args[0][0][0][0]", "a bytes", id="deep-in-lists"),
    pytest.param([{"outer": {2: "x"}}], "args[0]['outer']", "int key 2", id="int-key-nested"),
    pytest.param([1, 2, {"k": [None, float("nan")]}], "args[2]['k'][1]", "nan", id="nan-deep"),
]


@pytest.mark.parametrize(("args", "path", "what"), REFUSED)
def test_check_arguments_refuses_what_json_cannot_carry_and_names_where(
    args: list[Any], path: str, what: str
) -> None:
    position = int(path[len("args[") : path.index("]")])

    with pytest.raises(JobArgumentError) as raised:
        check_arguments("app.jobs.Mail", args)

    message = str(raised.value)
    assert f"argument {position + 1} of app.jobs.Mail ({path}) is " in message
    assert what in message
    assert message.endswith(JSON_HINT)


def test_job_argument_error_is_a_type_error() -> None:
    assert issubclass(JobArgumentError, TypeError)
    with pytest.raises(TypeError):
        check_arguments("app.jobs.Mail", [b"x"])


def test_check_arguments_reports_the_first_bad_argument() -> None:
    with pytest.raises(JobArgumentError, match=r"argument 2 of X \(args\[1\]\) is a bytes"):
        check_arguments("X", ["ok", b"first", {1, 2}])


def test_check_arguments_accepts_a_tuple_of_arguments_itself() -> None:
    # The *args tuple is the argument list, not an argument: only its items are checked.
    assert check_arguments("X", ("a", 1)) is None


ACCEPTED = [
    pytest.param([], id="no-arguments"),
    pytest.param(["text", "", "émoji 🎉"], id="str"),
    pytest.param([0, -7, 2**70], id="int"),
    pytest.param([1.5, -0.0, 1e300], id="float"),
    pytest.param([True, False], id="bool"),
    pytest.param([None], id="None"),
    pytest.param([[1, "two", [3.0, [None]]]], id="nested-list"),
    pytest.param([{"a": {"b": [1, {"c": None}]}, "": True}], id="nested-dict"),
    pytest.param([[], {}], id="empty-containers"),
]


@pytest.mark.parametrize("args", ACCEPTED)
def test_check_arguments_accepts_json_values(args: list[Any]) -> None:
    assert check_arguments("X", args) is None


def nested(depth: int) -> Any:
    """A list ``depth`` lists deep, holding a number (built in a loop: no recursion)."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_check_arguments_accepts_lists_and_dicts_nested_as_deep_as_the_limit() -> None:
    assert check_arguments("X", ["a", nested(MAX_NESTING)]) is None
    assert check_arguments("X", [{"a": nested(MAX_NESTING - 1)}]) is None


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 990, 992, 100_000])
def test_check_arguments_refuses_deeper_nesting_naming_the_argument(depth: int) -> None:
    with pytest.raises(JobArgumentError) as refused:
        check_arguments("app.jobs.Deep", ["fine", nested(depth)])

    message = str(refused.value)
    assert message.startswith("argument 2 of app.jobs.Deep (args[1][0][0]")
    assert f"nested more than {MAX_NESTING} lists or dicts deep" in message


def test_check_arguments_refuses_a_list_that_contains_itself() -> None:
    loop: list[Any] = []
    loop.append(loop)

    with pytest.raises(JobArgumentError, match=r"argument 1 of X .* nested more than"):
        check_arguments("X", [loop])
