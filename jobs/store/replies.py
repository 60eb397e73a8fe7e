"""Typed views of redis-py replies.

redis-py declares most commands as returning "a value, or an awaitable of it" (its sync and
async clients share the declarations). We only use the sync client; these narrow its replies
to what they are, and fail loudly if that is ever not so.
"""

from __future__ import annotations

from typing import Any


def as_int(reply: Any) -> int:
    return int(reply)


def as_bytes_list(reply: Any) -> list[bytes]:
    assert isinstance(reply, list), reply
    return reply


def as_text(name: bytes) -> str:
    """A name (of a queue, a worker) as text. Names are whatever someone wrote; one that is
    not UTF-8 shows with replacement characters rather than breaking every reader."""
    return name.decode("utf-8", "replace")


def as_bytes_set(reply: Any) -> set[bytes]:
    assert isinstance(reply, set), reply
    return reply
