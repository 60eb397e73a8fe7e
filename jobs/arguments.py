"""Job arguments must survive a trip through JSON unchanged. This module checks that.

A worker, maybe in another language, gets the arguments back from JSON. Anything JSON cannot
carry faithfully is refused *before* the job is written: objects (pass their id instead),
bytes, sets, datetimes (pass an ISO string), NaN and infinity, dict keys that are not strings,
tuples, which would come back as lists, and lists or dicts nested more than ``MAX_NESTING``
deep: no real job needs that, and a reader that follows nesting by recursion (Python's own
``json`` among them) gives up somewhere under a thousand levels, so a worker could not read it.
"""

from __future__ import annotations

import math
from typing import Any

# How deep lists and dicts may nest inside one argument (``[[1]]`` nests 2 deep). The payload
# decoder refuses deeper ones too (see jobs.payload), so a worker never meets one.
MAX_NESTING = 100
JSON_HINT = (
    "Job arguments must be JSON: str, int, float, bool, None, and lists and dicts (with str keys)"
    " of those. Pass ids, not objects."
)


class JobArgumentError(TypeError):
    """An argument cannot be sent to a job as JSON. The message names the argument."""


def check_arguments(job_name: str, args: tuple[Any, ...] | list[Any]) -> None:
    """Raise :class:`JobArgumentError` naming the first argument JSON cannot carry."""
    for position, value in enumerate(args):
        problem = _problem(value, f"args[{position}]", MAX_NESTING)
        if problem is not None:
            where, what = problem
            raise JobArgumentError(
                f"argument {position + 1} of {job_name} ({where}) is {what}. {JSON_HINT}"
            )


def _problem(value: Any, where: str, depth_left: int) -> tuple[str, str] | None:
    """Where in ``value`` JSON fails, and why; None if it is fine. Depth-first, first found.
    ``depth_left``: how many more lists or dicts may nest here."""
    kind = type(value)
    if value is None or kind in (str, int, bool):
        return None
    if kind is float:
        return None if math.isfinite(value) else (where, f"{value!r}, which JSON has no value for")
    if kind in (list, dict) and depth_left == 0:
        return where, f"nested more than {MAX_NESTING} lists or dicts deep (the limit)"
    if kind is list:
        for index, item in enumerate(value):
            if (found := _problem(item, f"{where}[{index}]", depth_left - 1)) is not None:
                return found
        return None
    if kind is dict:
        return _dict_problem(value, where, depth_left - 1)
    if kind is tuple:
        return where, "a tuple, which would come back as a list; pass a list"
    return where, f"a {kind.__module__}.{kind.__qualname__}".replace("builtins.", "")


def _dict_problem(value: dict[Any, Any], where: str, depth_left: int) -> tuple[str, str] | None:
    for key, item in value.items():
        if type(key) is not str:
            return where, f"a dict with a {type(key).__name__} key {key!r}; JSON keys are strings"
        if (found := _problem(item, f"{where}[{key!r}]", depth_left)) is not None:
            return found
    return None
