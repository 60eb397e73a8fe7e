"""Looking inside Redis, for the web monitor's Stats tab: every key, and any key's value.

1. :meth:`KeyBrowser.keys` lists keys a page at a time with ``SCAN``. Never ``KEYS``: that
   walks the whole keyspace in one go and stops Redis for everyone while it does.
2. :meth:`KeyBrowser.value` reads one key's value a page at a time, in the way its type
   allows: a range of a list or sorted set, a ``SSCAN``/``HSCAN`` step of a set or hash, the
   first bytes of a string. Long elements are cut, and the full length is kept to show.
3. :meth:`KeyBrowser.info` picks the few ``INFO`` fields worth a glance.

This is the only module that sends these raw commands; the queue's own keys are read through
the other store modules. It only reads: nothing here changes Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis

# A value longer than this is cut for display; the page says how long it really was.
CUT_AT = 2000
# SCAN's COUNT is a hint of how many slots to look at per call, not how many keys come back.
# With a MATCH pattern most slots hold no match, so each call looks at more of them.
SCAN_WORK_MATCHING = 1000
# At most this many SCAN calls for one page, so a sparse MATCH cannot keep a request busy.
SCAN_CALLS = 50
INFO_FIELDS = (
    ("server", "redis_version"),
    ("server", "uptime_in_seconds"),
    ("memory", "used_memory_human"),
    ("memory", "maxmemory_human"),
    ("clients", "connected_clients"),
)


@dataclass(frozen=True)
class Text:
    """Bytes to show: decoded (bad bytes replaced), perhaps cut, with the full length."""

    text: str
    length: int

    @property
    def cut(self) -> bool:
        return len(self.text) < self.length

    @classmethod
    def of(cls, data: bytes | str | float, limit: int = CUT_AT) -> Text:
        raw = data if isinstance(data, bytes) else str(data).encode()
        return cls(raw[:limit].decode("utf-8", "replace"), len(raw))


@dataclass(frozen=True)
class KeyInfo:
    name: bytes
    type: str
    size: int | None  # elements (bytes for a string); None if the key vanished meanwhile
    ttl: int  # seconds; -1 no expiry, -2 gone

    @property
    def label(self) -> Text:
        return Text.of(self.name)


@dataclass(frozen=True)
class KeyPage:
    keys: list[KeyInfo]
    next_cursor: int  # 0: the scan is complete


@dataclass(frozen=True)
class KeyValue:
    """One page of a key's value. ``rows`` are (field, value) pairs: for a list the index,
    for a sorted set the member and its score, for a hash the field; a string is one row."""

    info: KeyInfo
    rows: list[tuple[Text, Text]] = field(default_factory=list)
    next_cursor: int | None = None  # sets and hashes page by cursor (0 or None: no more)


class KeyBrowser:
    """Reads any key of one Redis database, a bounded page at a time."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def count(self) -> int:
        return int(self._client.dbsize())  # type: ignore[arg-type]

    def info(self) -> dict[str, str]:
        """The essentials of ``INFO``: version, uptime, memory, clients."""
        sections: dict[str, dict[str, Any]] = {}
        found: dict[str, str] = {}
        for section, name in INFO_FIELDS:
            if section not in sections:
                sections[section] = self._client.info(section)  # type: ignore[assignment]
            if name in sections[section]:
                found[name] = str(sections[section][name])
        return found

    def keys(self, cursor: int, count: int, match: str | None = None) -> KeyPage:
        """About ``count`` keys from ``cursor`` on (0 starts), with type, size and TTL.

        SCAN may return a few more than asked; all are kept, since the next cursor goes on
        after the last of them."""
        names: list[bytes] = []
        work = max(count, SCAN_WORK_MATCHING) if match else count
        for _ in range(SCAN_CALLS):
            cursor, found = self._client.scan(cursor, match=match or None, count=work)  # type: ignore[misc]
            names.extend(found)
            if cursor == 0 or len(names) >= count:
                break
        return KeyPage(self.describe(names), int(cursor))

    def describe(self, names: list[bytes]) -> list[KeyInfo]:
        """Type, size and TTL of each key, in two round trips."""
        pipe = self._client.pipeline(transaction=False)
        for name in names:
            pipe.type(name)
            pipe.ttl(name)
        replies = pipe.execute()
        types = [_text(reply) for reply in replies[0::2]]
        pipe = self._client.pipeline(transaction=False)
        for name, kind in zip(names, types, strict=True):
            _queue_size(pipe, name, kind)
        sizes = pipe.execute()
        return [
            KeyInfo(name, kind, _int_or_none(size), int(ttl))
            for name, kind, size, ttl in zip(names, types, sizes, replies[1::2], strict=True)
        ]

    def value(self, name: bytes, start: int, count: int) -> KeyValue:
        """One page of ``name``'s value; ``start`` is an index (or a cursor for sets/hashes)."""
        [info] = self.describe([name])
        reader = {
            "string": self._string,
            "list": self._list,
            "set": self._set,
            "zset": self._zset,
            "hash": self._hash,
            "stream": self._stream,
        }.get(info.type)
        if reader is None:
            return KeyValue(info)
        return reader(info, start, count)

    def _string(self, info: KeyInfo, start: int, count: int) -> KeyValue:
        data = self._client.getrange(info.name, 0, CUT_AT - 1)
        return KeyValue(info, [(Text.of(b""), Text(_text(data), info.size or 0))])

    def _list(self, info: KeyInfo, start: int, count: int) -> KeyValue:
        items = self._client.lrange(info.name, start, start + count - 1)
        rows = [(Text.of(str(start + i)), Text.of(item)) for i, item in enumerate(items)]  # type: ignore[arg-type]
        return KeyValue(info, rows)

    def _zset(self, info: KeyInfo, start: int, count: int) -> KeyValue:
        pairs = self._client.zrange(info.name, start, start + count - 1, withscores=True)
        rows = [(Text.of(member), Text.of(_score(score))) for member, score in pairs]  # type: ignore[union-attr]
        return KeyValue(info, rows)

    def _set(self, info: KeyInfo, cursor: int, count: int) -> KeyValue:
        cursor, members = self._client.sscan(info.name, cursor, count=count)  # type: ignore[misc]
        rows = [(Text.of(b""), Text.of(member)) for member in sorted(members)]
        return KeyValue(info, rows, int(cursor))

    def _hash(self, info: KeyInfo, cursor: int, count: int) -> KeyValue:
        cursor, fields = self._client.hscan(info.name, cursor, count=count)  # type: ignore[misc]
        rows = [(Text.of(name), Text.of(value)) for name, value in sorted(fields.items())]
        return KeyValue(info, rows, int(cursor))

    def _stream(self, info: KeyInfo, start: int, count: int) -> KeyValue:
        # Streams page by entry id; the monitor shows the first entries, which is enough to
        # see what a stream holds (the queue itself uses none).
        entries = self._client.xrange(info.name, count=count)
        rows = [(Text.of(entry_id), Text.of(repr(body))) for entry_id, body in entries]  # type: ignore[union-attr]
        return KeyValue(info, rows)


SIZE_COMMANDS = {
    "string": "STRLEN",
    "list": "LLEN",
    "set": "SCARD",
    "zset": "ZCARD",
    "hash": "HLEN",
    "stream": "XLEN",
}


def _queue_size(pipe: Any, name: bytes, kind: str) -> None:
    command = SIZE_COMMANDS.get(kind)
    if command is None:
        pipe.echo(b"")  # keeps the replies lined up with the names
    else:
        pipe.execute_command(command, name)


def _int_or_none(reply: Any) -> int | None:
    return reply if isinstance(reply, int) else None


def _text(reply: Any) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _score(score: float) -> str:
    return str(int(score)) if score.is_integer() else repr(score)
