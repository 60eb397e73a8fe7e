"""Opening a Redis connection, and naming it in messages without leaking its password.

Two kinds of URL:

* anything redis-py reads itself: ``redis://``, ``rediss://``, ``unix://``;
* ``redis+sentinel://[[user]:password@]host:port,host:port/SERVICE[/DB][?options]``: ask these
  Sentinels which server is the primary of ``SERVICE`` (the name in ``sentinel monitor``), and
  ask again whenever a connection fails, so that a failover is followed without a restart
  (redis-py's own ``redis.sentinel``). The password in the address is the data servers'; the
  Sentinels' own, if they have one, goes in ``?sentinel_password=`` (and
  ``?sentinel_username=``). Other options: ``socket_timeout``, ``socket_connect_timeout``
  (seconds, for the data servers). A process logs once each time the primary changes.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import redis
from redis.sentinel import Sentinel, SentinelConnectionPool

log = logging.getLogger("jobs.store")
SENTINEL_SCHEME = "redis+sentinel"
# A Sentinel that does not answer within this long is skipped for the next one.
SENTINEL_TIMEOUT = 1.0


class RedisUnavailable(ConnectionError):
    """Redis could not be reached. The message names the URL, never its password."""


class NotReplicated(ConnectionError):
    """With ``JOBS_ENQUEUE_REPLICAS``: a job reached the primary, but not enough replicas."""


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
    if urlsplit(url).scheme == SENTINEL_SCHEME:
        return _connect_through_sentinels(parse_sentinel_url(url))
    return redis.Redis.from_url(url, decode_responses=False, **_CONNECTION_OPTIONS)


# How to switch CLIENT SETINFO off differs between redis-py versions.
_NO_CLIENT_SETINFO: dict[str, None] = (
    {"driver_info": None}
    if "driver_info" in inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    else {"lib_name": None, "lib_version": None}
)
# redis-py reads into a 64 KiB buffer per connection, allocated whole; a worker holds a
# connection per thread, and its replies are small. A longer reply just takes more reads.
READ_BUFFER_BYTES = 16384
_CONNECTION_OPTIONS: dict[str, Any] = {**_NO_CLIENT_SETINFO, "socket_read_size": READ_BUFFER_BYTES}


def redact(url: str) -> str:
    """``url`` with any password (in the address, ``?password=`` or ``?sentinel_password=``)
    shown as ``***``, fit for logs and error pages."""
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at and ":" in userinfo:  # the text is cut by hand: a Sentinel URL lists several hosts
        netloc = f"{userinfo.partition(':')[0]}:***@{hosts}"
    query = urlencode(
        [
            (name, "***" if name.endswith("password") else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


# -- Sentinel ---------------------------------------------------------------------------------
SENTINEL_OPTIONS = {"sentinel_username", "sentinel_password"}
SERVER_OPTIONS = {"username", "password", "socket_timeout", "socket_connect_timeout"}
SENTINEL_FORM = "redis+sentinel://[[user]:password@]host:port,host:port/SERVICE[/DB]"


class SentinelUrlError(RedisUnavailable):
    """A ``redis+sentinel://`` URL that cannot be used; the message says what is wrong. (A
    kind of RedisUnavailable: nothing can reach Redis through it, and commands that report an
    unreachable Redis in one line report this the same way.)"""


@dataclass(frozen=True)
class SentinelAddress:
    """What a ``redis+sentinel://`` URL says: where the Sentinels are, which service, and
    how to log in to the Sentinels and to the data servers."""

    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    sentinel_options: dict[str, str] = field(default_factory=dict)
    server_options: dict[str, Any] = field(default_factory=dict)


def parse_sentinel_url(url: str) -> SentinelAddress:
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    sentinels = [_host_port(host, url) for host in hosts.split(",")]
    service, _, db = parts.path.strip("/").partition("/")
    if not service:
        raise SentinelUrlError(f"{redact(url)} names no service: expected {SENTINEL_FORM}")
    if db and not db.isdigit():
        raise SentinelUrlError(f"{redact(url)}: the database must be a number, not {db!r}")
    server: dict[str, Any] = {}
    if at:
        user, _, password = userinfo.partition(":")
        server.update({"username": unquote(user) or None, "password": unquote(password) or None})
    options = dict(parse_qsl(parts.query))
    unknown = set(options) - SENTINEL_OPTIONS - SERVER_OPTIONS
    if unknown:
        known = ", ".join(sorted(SENTINEL_OPTIONS | SERVER_OPTIONS))
        raise SentinelUrlError(f"{redact(url)}: unknown option {sorted(unknown)}; known: {known}")
    for name in SERVER_OPTIONS & set(options):
        server[name] = (
            _seconds(options[name], name, url) if name.startswith("socket") else options[name]
        )
    on_sentinels = {
        name.removeprefix("sentinel_"): options[name] for name in SENTINEL_OPTIONS & set(options)
    }
    return SentinelAddress(sentinels, service, int(db or 0), on_sentinels, server)


def _seconds(text: str, name: str, url: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SentinelUrlError(f"{redact(url)}: {name} must be seconds, not {text!r}") from None


def _host_port(text: str, url: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise SentinelUrlError(f"{redact(url)}: expected host:port for each Sentinel, not {text!r}")
    return host.strip("[]"), int(port)


class _PrimaryWatch:
    """Logs, once per change, that the primary moved: what a failover looks like from here."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.seen: tuple[str, int] | None = None

    def saw(self, address: tuple[str, int]) -> tuple[str, int]:
        if self.seen is not None and self.seen != address:
            log.warning(
                "Redis Sentinel: the primary of %s is now %s:%s (was %s:%s)",
                self.service, *address, *self.seen,
            )  # fmt: skip
        self.seen = address
        return address


class _FollowingPool(SentinelConnectionPool):
    """redis-py's Sentinel pool, watched: each new connection asks a Sentinel for the primary's
    address (which is how it follows a failover), and the answer passes by the watch."""

    def __init__(self, service_name: str, sentinel_manager: Sentinel, **options: Any) -> None:
        super().__init__(service_name, sentinel_manager, **options)  # type: ignore[no-untyped-call]
        self._watch = _PrimaryWatch(service_name)
        # Newer redis-py has connections ask a proxy object, older ones the pool itself (below):
        # wrap the proxy's question where there is one.
        proxy = getattr(self, "proxy", None)
        if proxy is not None:
            ask = proxy.get_master_address
            proxy.get_master_address = lambda: self._watch.saw(ask())

    def get_master_address(self) -> tuple[str, int]:
        address: tuple[str, int] = super().get_master_address()  # type: ignore[no-untyped-call]
        return self._watch.saw(address)


def _connect_through_sentinels(address: SentinelAddress) -> redis.Redis:
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        address.sentinels,
        sentinel_kwargs={"socket_timeout": SENTINEL_TIMEOUT, **address.sentinel_options},
    )
    client: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        address.service,
        connection_pool_class=_FollowingPool,
        db=address.db,
        decode_responses=False,
        **address.server_options,
        **_CONNECTION_OPTIONS,
    )
    return client
