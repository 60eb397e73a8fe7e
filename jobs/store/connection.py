"""Opening a Redis connection, and naming it in messages without leaking its password."""

from __future__ import annotations

import inspect
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis


class RedisUnavailable(ConnectionError):
    """Redis could not be reached. The message names the URL, never its password."""


# What redis-py raises when Redis cannot be reached or stops answering. Catch these, not
# ``redis`` itself: only jobs.store imports redis.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.BusyLoadingError,
)


def connect(url: str) -> redis.Redis:
    """A client for ``url``. Replies stay bytes: payloads are whatever someone pushed.

    New connections are kept cheap, because a fork-per-job worker's child makes one for every
    job: no ``CLIENT SETINFO`` (which costs two commands and, in redis-py 7, a package-metadata
    read of a few milliseconds) and no health-check PING.
    """
    return redis.Redis.from_url(url, decode_responses=False, **_NO_CLIENT_SETINFO)


# How to switch CLIENT SETINFO off differs between redis-py versions.
_NO_CLIENT_SETINFO: dict[str, None] = (
    {"driver_info": None}
    if "driver_info" in inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    else {"lib_name": None, "lib_version": None}
)


def redact(url: str) -> str:
    """``url`` with any password (in the address or in ``?password=``) shown as ``***``, fit
    for logs and error pages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        host = parts.hostname or ""
        if ":" in host:  # IPv6 addresses keep their brackets
            host = f"[{host}]"
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        netloc = f"{parts.username or ''}:***@{host}"
    query = urlencode(
        [
            (name, "***" if name == "password" else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))
