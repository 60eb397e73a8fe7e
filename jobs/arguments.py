"""Job arguments must survive a trip through JSON unchanged. This module checks that.

A worker, maybe in another language, gets the arguments back from JSON. Anything JSON cannot
carry faithfully is refused *before* the job is written: objects (pass their id instead),
bytes, sets, datetimes (pass an ISO string), NaN and infinity, dict keys that are not strings,
and tuples, which would come back as lists.
"""

from __future__ import annotations

import math
from typing import Any

JSON_HINT = (
    "Job arguments must be JSON: str, int, float, bool, None, and lists and dicts (with str keys)"
    " of those. Pass ids, not objects."
)


class JobArgumentError(TypeError):
    """An argument cannot be sent to a job as JSON. The message names the argument."""


def check_arguments(job_name: str, args: tuple[Any, ...] | list[Any]) -> None:
    """Raise :class:`JobArgumentError` naming the first argument JSON cannot carry."""
    for position, value in enumerate(args):
        problem = _problem(value, f"args[{position}]")
        if problem is not None:
            where, what = problem
            raise JobArgumentError(
                f"argument {position + 1} of {job_name} ({where}) is {what}. {JSON_HINT}"
            )


def _problem(value: Any, where: str) -> tuple[str, str] | None:
    """Where in ``value`` JSON fails, and why; None if it is fine. Depth-first, first found."""
    kind = type(value)
    if value is None or kind in (str, int, bool):
        return None
    if kind is float:
        return None if math.isfinite(value) else (where, f"{value!r}, which JSON has no value for")
    if kind is list:
        for index, item in enumerate(value):
            if (found := _problem(item, f"{where}[{index}]")) is not None:
                return found
        return None
    if kind is dict:
        return _dict_problem(value, where)
    if kind is tuple:
        return where, "a tuple, which would come back as a list; pass a list"
    return where, f"a {kind.__module__}.{kind.__qualname__}".replace("builtins.", "")


def _dict_problem(value: dict[Any, Any], where: str) -> tuple[str, str] | None:
    for key, item in value.items():
        if type(key) is not str:
            return where, f"a dict with a {type(key).__name__} key {key!r}; JSON keys are strings"
        if (found := _problem(item, f"{where}[{key!r}]")) is not None:
            return found
    return None
