"""Landing: how an idle worker thread on a single queue takes its next job in one round trip.

A busy thread takes its jobs with the fetch script (see :mod:`jobs.fetch`). An idle one, with
nothing to fetch, waits inside Redis instead: a blocking move (``BLMOVE``) from its queue into
its landing list (``jobs:landing:ID``), which Redis completes the moment a job is pushed. The
thread then "lands" the job, moving it into its in-flight list as fetch would have done
(``lua/land.lua``), but it does not wait for that answer: it starts the job at once and reads
the answer before it next asks Redis anything about the job. Waiting on a published wake-up
and then fetching costs an extra process wake-up and round trip; this is where pickup time goes.

Crash safety is the same as fetch's: the job is always in one list, queue, landing list or
in-flight list. What a dead worker left in a landing list goes back to the front of the queue
(``lua/return_landing.lua``), like what it left in flight.

Each waiting thread has a connection of its own (a blocked connection can do nothing else), and
its Redis client id, so that the worker can end the wait at once (``CLIENT UNBLOCK``) when it
pauses or stops. Only a worker with one queue waits this way: a blocking move watches one list
(the blocking commands that watch several pop the job instead of moving it, and a popped job is
lost with its worker), and ``*`` is not a list at all.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from typing import Any

import redis
from redis.exceptions import NoScriptError

from jobs.store.keys import Keys
from jobs.store.scripts import Scripts

# How long one blocking move waits before the thread looks at its worker's state again. The
# worker ends a wait at once with CLIENT UNBLOCK; this bounds it where that command is refused.
WAIT_SECONDS = 5.0
READ_BUFFER_BYTES = 4096
# Bytes that Redis's Lua JSON encoder (cjson) escapes, and how: see in_flight_entry.
_CJSON_ESCAPES = {byte: b"\\u%04x" % byte for byte in [*range(0x20), 0x7F]} | {
    0x08: b"\\b",
    0x09: b"\\t",
    0x0A: b"\\n",
    0x0C: b"\\f",
    0x0D: b"\\r",
    ord('"'): b'\\"',
    ord("/"): b"\\/",
    ord("\\"): b"\\\\",
}
_CJSON_ESCAPED = re.compile(rb'[\x00-\x1f"/\\\x7f]')


def in_flight_entry(queue: str, payload: bytes) -> bytes:
    """The in-flight entry ``lua/land.lua`` makes of a payload from ``queue``, byte for byte
    as its ``cjson.encode({queue, payload})`` makes it (so the thread knows its entry without
    waiting for the script's answer). cjson escapes control characters, ``"``, ``/``, ``\\``
    and DEL, and passes every other byte through as it is."""

    def quoted(text: bytes) -> bytes:
        return b'"' + _CJSON_ESCAPED.sub(lambda m: _CJSON_ESCAPES[m[0][0]], text) + b'"'

    return b"[" + quoted(queue.encode()) + b"," + quoted(payload) + b"]"


class Landing:
    """One worker thread's connection for waiting on its queue and landing what it takes.

    Used by that thread only, except :meth:`unblock`, which the worker's loop calls."""

    def __init__(
        self, client: redis.Redis, keys: Keys, scripts: Scripts, worker_id: str, queue: str
    ) -> None:
        self._client, self._keys, self._scripts = client, keys, scripts
        self.worker_id, self.queue = worker_id, queue
        self._connection: Any = None  # a redis-py connection: see _own_connection
        self._client_id: int | None = None  # while blocked: whom CLIENT UNBLOCK must name
        self._client_id_lock = threading.Lock()
        self._to_land: list[object] | None = None  # the landing of a job taken, not sent yet
        self._landing: list[object] | None = None  # the command of a landing not confirmed yet
        # Whether a job may have been left in the landing list: at first (a worker that had
        # this id before may have died), and after an error on this connection.
        self._unsure = True

    def take(self, run_at: str, wanted: Callable[[], bool] = lambda: True) -> bytes | None:
        """Wait up to WAIT_SECONDS for a job on the queue; return its in-flight entry, or None
        if none came (or the wait was ended by :meth:`unblock`, or ``wanted()`` turned False
        as it began). The job is then in the landing list: :meth:`land` sends the command
        that lands it, once the thread has noted the entry as its own (the worker's
        housekeeping takes an in-flight entry no thread knows for an orphan), and
        :meth:`confirm` reads its answer."""
        self.confirm()
        assert self._to_land is None, "land() the job taken before taking another"
        if self._unsure:
            self.return_leftovers()
            self._unsure = False
        try:
            payload = self._blocking_move(wanted)
        except BaseException:  # the move's answer may be unread: this connection is done
            self._lost()
            raise
        if payload is None:
            return None
        script = self._scripts.land_script()
        keys, args = self._scripts.land_keys_and_args(
            worker_id=self.worker_id, queue=self.queue, payload=payload, run_at=run_at
        )
        self._to_land = ["EVALSHA", script.sha, len(keys), *keys, *args]
        return in_flight_entry(self.queue, payload)

    def land(self) -> None:
        """Send the command that lands the job :meth:`take` returned, without waiting for
        its answer (:meth:`confirm` reads it)."""
        command, self._to_land = self._to_land, None
        assert command is not None, "take() a job before landing it"
        self._send(*command)
        self._landing = command

    def _blocking_move(self, wanted: Callable[[], bool]) -> bytes | None:
        source, landing = self._keys.queue(self.queue), self._keys.landing(self.worker_id)
        self._send("CLIENT", "ID")
        self._send("BLMOVE", source, landing, "LEFT", "RIGHT", self._wait_seconds())
        with self._client_id_lock:
            self._client_id = client_id = int(self._read())  # type: ignore[call-overload]
        # The worker may have decided to pause or stop before it could see this id: check
        # after publishing it, so that either the worker or this thread ends the wait.
        if not wanted():
            self._unblock(client_id)
        try:
            reply = self._read()
        finally:
            with self._client_id_lock:
                self._client_id = None
        return reply if isinstance(reply, bytes) else None

    def _wait_seconds(self) -> float:
        """WAIT_SECONDS, or less if the connection's socket timeout would cut the wait short."""
        timeout = self._client.connection_pool.connection_kwargs.get("socket_timeout")
        return WAIT_SECONDS if timeout is None else max(0.1, min(WAIT_SECONDS, timeout / 2))

    def confirm(self) -> bool | None:
        """Read the answer to the last landing, if not read yet: True, it landed; False, the
        job was no longer in the landing list (put back by a worker that thought this one
        dead; it will run again); None, nothing to confirm."""
        if self._landing is None:
            return None
        command, self._landing = self._landing, None
        try:
            entry = self._read()
        except NoScriptError:  # a Redis just started or flushed: load the script, land again
            self._client.script_load(self._scripts.land_script().source)
            self._send(*command)
            entry = self._read()
        return entry is not None

    def unblock(self) -> None:
        """End the thread's wait now, if it is waiting (called from the worker's loop)."""
        with self._client_id_lock:
            client_id = self._client_id
        if client_id is not None:
            self._unblock(client_id)

    def _unblock(self, client_id: int) -> None:
        # Refused by an ACL without CLIENT UNBLOCK: the wait then runs out by itself.
        with contextlib.suppress(redis.ResponseError):
            self._client.client_unblock(client_id)

    def return_leftovers(self) -> int:
        """Put back what is left in the landing list (a worker stopping, on any thread)."""
        return self._scripts.return_landing(worker_id=self.worker_id, queue=self.queue)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
            self._connection = None

    def _send(self, *command: object) -> None:
        try:
            self._own_connection().send_command(*command)
        except BaseException:
            self._lost()
            raise

    def _read(self) -> object:
        try:
            return self._own_connection().read_response()
        except redis.ResponseError as error:
            if isinstance(error, NoScriptError):
                raise
            self._lost()
            raise
        except BaseException:
            self._lost()
            raise

    def _own_connection(self) -> Any:
        """This thread's connection, made by the client's pool (so a ``redis+sentinel://``
        store reaches the primary) but never returned to it: a command is sent on it while
        the answer to the one before may still be unread. (Typed Any: redis-py's connection
        classes are not typed.)"""
        if self._connection is None:
            pool = self._client.connection_pool
            # Made as the pool makes its own, but with a small read buffer: this connection
            # only ever reads one job at a time, and redis-py's 64 KiB per connection, over
            # every thread of a worker, shows in its memory.
            options = {**pool.connection_kwargs, "socket_read_size": READ_BUFFER_BYTES}
            connection: Any = pool.connection_class(**options)
            # Connect now, as the pool would: a Sentinel pool's connection asks the Sentinels
            # for the primary in connect(), while sending on an unconnected one would connect
            # to its default address instead.
            connection.connect()
            self._connection = connection
        return self._connection

    def _lost(self) -> None:
        """After an error on this connection, replies may be out of step: start afresh, and
        make sure nothing is left in the landing list before the next wait."""
        self._to_land = self._landing = None
        self._unsure = True
        self.close()
