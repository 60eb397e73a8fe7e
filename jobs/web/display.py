"""Turning what Redis holds into short text for a page: arguments, times, durations.

Nothing here escapes markup: the templates do that (Jinja autoescaping), for every value,
always. These functions only decide *what* text to show.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

ARGS_CUT_AT = 500


def args_text(args: Any, limit: int = ARGS_CUT_AT) -> str:
    """Job arguments as compact JSON, cut to ``limit`` characters."""
    text = json.dumps(args, separators=(", ", ": "), ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def unix_time_text(seconds: Any) -> str:
    """A Unix time (as ``enqueued_at`` holds) as UTC text; '' if it is not a number."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return ""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return ""


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
