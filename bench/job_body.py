"""The one tiny thing every benchmark job does, whatever queue runs it.

Each job increments one counter in Redis; the harness watches that counter to see jobs finish,
so completion is observed the same way for every system. The connection is made on first use
in each process and then reused, so a forked child (Resque's and RQ's fork per job) makes its
own instead of sharing its parent's socket.

Pickup-latency jobs also push how long they waited: the time ``perform`` started minus the
time the harness stamped on the job just before enqueueing it.
"""

from __future__ import annotations

import inspect
import os
import time

import redis

DONE_KEY = "bench:done"
PICKUP_KEY = "bench:pickup"

_connection: tuple[int, redis.Redis] | None = None
# Each new connection of redis-py 7 reads redis-py's version from the installed packages'
# metadata (about 4 ms here) and sends CLIENT SETINFO. A forked child pays that for every job,
# whichever queue forked it, so it would hide the queues' own costs. The job's connection is
# made without it: this cost is redis-py's, not any queue's. (This module must not import our
# ``jobs`` package: RQ's child imports it afresh for every job, and would pay for that import.)
NO_CLIENT_SETINFO: dict[str, None] = (
    {"driver_info": None}
    if "driver_info" in inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    else {"lib_name": None, "lib_version": None}
)


def connection() -> redis.Redis:
    """This process's connection to the benchmark's Redis (``REDIS_URL``)."""
    global _connection
    pid = os.getpid()
    if _connection is None or _connection[0] != pid:
        _connection = (pid, redis.Redis.from_url(os.environ["REDIS_URL"], **NO_CLIENT_SETINFO))
    return _connection[1]


def count_done() -> None:
    """A no-op job's whole work: one INCR."""
    connection().incr(DONE_KEY)


def record_pickup(enqueued_at: float) -> None:
    """How long the job waited (seconds), then count it done: two commands, one round trip."""
    waited = time.time() - enqueued_at
    pipe = connection().pipeline(transaction=False)
    pipe.rpush(PICKUP_KEY, waited)
    pipe.incr(DONE_KEY)
    pipe.execute()
