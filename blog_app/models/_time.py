"""One clock for the models: timezone-aware UTC, stored without a zone by SQLite."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    # Stored naive (SQLite keeps no zone), always meaning UTC.
    return datetime.now(UTC).replace(tzinfo=None)
