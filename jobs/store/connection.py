"""Opening a Redis connection, and naming it in messages without leaking its password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis


class RedisUnavailable(ConnectionError):
    """Redis could not be reached. The message names the URL, never its password."""


def connect(url: str) -> redis.Redis:
    """A client for ``url``. Replies stay bytes: payloads are whatever someone pushed."""
    return redis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit for logs and error pages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
