"""Turning what Redis holds into short text for a page: arguments, raw bytes, times, counts.

Nothing here escapes markup: the templates do that (Jinja autoescaping), for every value,
always. These functions only decide *what* text to show.

1. **Anything can be in Redis.** A payload may be bytes that are not UTF-8, or JSON nested
   100,000 lists deep. Whatever cannot be read as a job is shown as raw text, cut to
   :data:`ARGS_CUT_AT` characters, never as an error page.
2. **One time format** on every page: ``2026-11-26 19:32:07 UTC``, followed where it helps by
   how long ago that was (``3 min ago``). Redis holds times in four formats (Unix seconds,
   ISO 8601, Resque's ``2026/11/26 19:32:07 UTC`` and Ruby's ``Time#to_s``); each is read
   here and shown the same way.
3. **Counts agree with their nouns**: ``1 worker``, ``2 workers``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

ARGS_CUT_AT = 500
# Formats that times come in, besides Unix seconds: ISO 8601 (run_at, heartbeats), Resque's
# failed_at, Ruby's Time#to_s (worker:ID:started).
TIME_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y/%m/%d %H:%M:%S UTC", "%Y-%m-%d %H:%M:%S %z")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 worker``, ``0 workers``, ``2 jobs``: a count with its noun made to agree."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def raw_text(data: bytes, limit: int = ARGS_CUT_AT, length: int | None = None) -> str:
    """Bytes as they are, cut to ``limit`` characters; bytes that are not UTF-8 are replaced.
    Only what can be shown is decoded (a character is at most four bytes). ``length``: the
    whole value's, when ``data`` is only its start."""
    whole = len(data) if length is None else length
    text = data[: 4 * limit].decode("utf-8", "replace")
    if len(text) <= limit and whole == len(data) <= 4 * limit:
        return text
    return text[:limit] + f"… ({whole} bytes)"


def quoted_text(quoted: bytes) -> str:
    """The text of a JSON string literal found in raw bytes (``b'"a\\"b"'`` is ``a"b``)."""
    try:
        text = json.loads(quoted.decode("utf-8", "replace"))
    except ValueError:
        return ""
    return text if isinstance(text, str) else ""


def args_text(args: Any, limit: int = ARGS_CUT_AT) -> str:
    """Job arguments as compact JSON, cut to ``limit`` characters."""
    try:
        text = json.dumps(args, separators=(", ", ": "), ensure_ascii=False, default=str)
    except RecursionError:  # read fine, but nested too deep to write back out here
        return "(arguments nested too deep to show)"
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def to_seconds(value: Any) -> float | None:
    """Unix seconds of a time in any format Redis holds one in; None if it is not a time."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    for pattern in TIME_FORMATS:
        try:
            moment = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return None


def time_text(value: Any) -> str:
    """Any time Redis holds as ``2026-11-26 19:32:07 UTC``; '' if it is not a time."""
    seconds = to_seconds(value)
    if seconds is None:
        return str(value) if isinstance(value, str) else ""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return ""


def time_ago_text(value: Any, now: float | None = None) -> str:
    """``2026-11-26 19:32:07 UTC (3 min ago)``; ``(in 5 min)`` for a time still to come."""
    text = time_text(value)
    seconds = to_seconds(value)
    if not text or seconds is None:
        return text
    return f"{text} ({relative_text(since(seconds, now))})"


def relative_text(seconds: float | None) -> str:
    """``just now``, ``42 s ago``, ``3 min ago``, ``in 2 h``, ``4 days ago``."""
    if seconds is None:
        return ""
    amount = abs(seconds)
    if amount < 1:
        return "just now"
    if amount < 60:
        span = f"{int(amount)} s"
    elif amount < 3600:
        span = f"{int(amount // 60)} min"
    elif amount < 86400:
        span = f"{int(amount // 3600)} h"
    else:
        span = plural(int(amount // 86400), "day")
    return f"{span} ago" if seconds > 0 else f"in {span}"


# Kept for the pages that show a Unix time (enqueued_at, due): the same one format.
unix_time_text = time_text


def iso_seconds(text: str) -> float | None:
    """Unix seconds of an ISO 8601 UTC time like ``2026-11-26T19:32:07Z`` (run_at)."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def duration_text(seconds: float | None) -> str:
    """``42s``, ``3m 05s``, ``2h 10m``, ``4d 3h``: how long, at a glance."""
    if seconds is None:
        return ""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600}h"


def since(seconds: float | None, now: float | None = None) -> float | None:
    """Seconds from ``seconds`` (Unix time) until ``now``."""
    if seconds is None:
        return None
    return (time.time() if now is None else now) - seconds


def ttl_text(ttl: int) -> str:
    if ttl == -1:
        return "no expiry"
    if ttl == -2:
        return "gone"
    return duration_text(ttl)
