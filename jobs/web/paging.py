"""Paging, and keeping numbers from the query string within bounds.

Every list in the monitor is read a page at a time, so a queue of a million jobs costs the
same to show as one of ten. Numbers come from the URL, where anyone can type anything:
each is clamped into a range instead of trusted (``?per_page=100000000`` gets 100).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 10_000_000
REFRESH = 3
MAX_REFRESH = 60


def clamp_int(text: str | None, default: int, low: int, high: int) -> int:
    """``text`` as an int within ``low``..``high``; ``default`` if it is not a number."""
    try:
        value = int(text) if text is not None else default
    except ValueError:
        value = default
    return max(low, min(high, value))


@dataclass(frozen=True)
class Paging:
    """Which page of a list to show; pages count from 1."""

    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Paging:
        return cls(
            page=clamp_int(args.get("page"), 1, 1, MAX_PAGE),
            per_page=clamp_int(args.get("per_page"), PER_PAGE, 1, MAX_PER_PAGE),
        )

    @property
    def start(self) -> int:
        return (self.page - 1) * self.per_page

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.per_page))

    def has_next(self, total: int) -> bool:
        return self.start + self.per_page < total


def refresh_seconds(args: Mapping[str, str]) -> int:
    """How often live pages refresh (``?refresh=``), between 1 and 60 seconds."""
    return clamp_int(args.get("refresh"), REFRESH, 1, MAX_REFRESH)
