"""The Lua scripts in ``lua/``, each loaded once and called through a typed wrapper.

Every change that touches more than one key is one of these scripts, so Redis applies it
all-or-nothing: there is no moment at which a job is in two places, or in none. Each script
receives every key it touches in ``KEYS[]`` (what Redis Cluster and replication expect) and
documents its arguments at the top of its file.

Redis scripts cannot call one another. A function two scripts share lives in ``lua/lib/``,
and a script that needs it says ``-- include: NAME`` on a line of its own, which the loader
replaces with ``lua/lib/NAME.lua``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import redis
from redis.exceptions import NoScriptError, ResponseError

from jobs.store.connection import NotReplicated
from jobs.store.keys import Keys
from jobs.store.metrics import metrics_args

LUA_DIR = Path(__file__).parent / "lua"

RequeueReason = Literal["interrupted", "crash", "suspect"]
RequeueOutcome = Literal["requeued", "failed", "gone", "alive"]
UnregisterOutcome = Literal["unregistered", "busy", "alive"]
ScheduleOutcome = Literal["enqueued", "scheduled"]
TickOutcome = Literal["enqueued", "taken", "started"]


INCLUDE = re.compile(r"^-- include: (\w+)$", re.MULTILINE)


def lua_source(name: str) -> str:
    """The text of ``lua/NAME.lua``, with the library files it includes pasted in."""
    text = (LUA_DIR / f"{name}.lua").read_text()
    return INCLUDE.sub(lambda line: (LUA_DIR / "lib" / f"{line[1]}.lua").read_text(), text)


# redis-py before 5.3 wants a command name when a connection is taken from its pool; later ones
# warn when given one.
TAKE_CONNECTION_ARGS: tuple[str, ...] = (
    ("EVALSHA",)
    if inspect.signature(redis.ConnectionPool.get_connection).parameters["command_name"].default
    is inspect.Parameter.empty
    else ()
)


class LuaScript:
    """One script of ``lua/``, called by its SHA1 digest (EVALSHA), so its text crosses the
    network only once: the first call that Redis answers with NOSCRIPT (a Redis just started,
    or flushed with SCRIPT FLUSH) loads it, then tries again."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        self._client = client
        self.source = lua_source(name)
        self.sha = hashlib.sha1(self.source.encode()).hexdigest()

    def __call__(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        try:
            return self._evalsha(keys, args)
        except NoScriptError:
            self._client.script_load(self.source)
            return self._evalsha(keys, args)

    def _evalsha(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """EVALSHA on a connection of the client's pool, its reply as Redis sent it.

        Every enqueue and every batch a worker fetches comes through here, so it skips
        ``Redis.execute_command``: in redis-py 7 and 8 that path costs more Python than the
        rest of an enqueue (a retry object and two closures per call, observability hooks that
        run with nothing to record, a response-callback lookup EVALSHA has no entry in).
        The pool still checks for a fork and for a connection Redis has closed, and Sentinel's
        pool still asks where the primary is. An error reply (NOSCRIPT, an error raised by the
        script) leaves the connection in step, ready for the next command. A connection that
        broke, or timed out, may hold half a reply: it is closed before it goes back to the
        pool, and the call is made again through redis-py's own path, with its reconnect and
        retry policy, as ``client.evalsha`` would have retried it."""
        pool = self._client.connection_pool
        connection: Any = pool.get_connection(*TAKE_CONNECTION_ARGS)  # its methods: untyped
        try:
            connection.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return connection.read_response()
        except ResponseError:
            raise  # an error reply, read whole: the connection is in step
        except BaseException as error:  # a broken connection, a timeout, Ctrl-C...
            connection.disconnect()
            if not isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
                raise
        finally:
            pool.release(connection)
        return self._client.evalsha(self.sha, len(keys), *keys, *args)

    def call_then_wait(
        self, keys: Sequence[Any], args: Sequence[Any], *, replicas: int, timeout_ms: int
    ) -> tuple[Any, int]:
        """Run the script, then ``WAIT`` for ``replicas`` replicas to have its writes (or
        ``timeout_ms``). One pipeline, because WAIT counts the writes of its own connection.
        Returns the script's reply and how many replicas have them."""
        reply, acked = self._pipelined(keys, args, replicas, timeout_ms)
        if isinstance(reply, NoScriptError):
            self._client.script_load(self.source)
            reply, acked = self._pipelined(keys, args, replicas, timeout_ms)
        for answer in (reply, acked):  # WAIT may be refused too (some hosted Redis do)
            if isinstance(answer, Exception):
                raise answer
        return reply, int(acked)

    def _pipelined(
        self, keys: Sequence[Any], args: Sequence[Any], replicas: int, timeout_ms: int
    ) -> list[Any]:
        pipe = self._client.pipeline(transaction=False)
        pipe.evalsha(self.sha, len(keys), *keys, *args)
        pipe.wait(replicas, timeout_ms)
        return pipe.execute(raise_on_error=False)


@functools.lru_cache(maxsize=1024)
def _enqueue_keys(keys: Keys, queue: str) -> tuple[str, str, str]:
    """enqueue.lua's keys and wake-up channel for ``queue``, built once per queue rather than
    on every enqueue."""
    return keys.queues, keys.queue(queue), keys.wakeup_channel(queue)


def _one_run(minute: int, run_us: int | None) -> list[int | str]:
    """The metrics arguments of fail.lua and retry.lua: time, bucket, expiry, classes."""
    buckets, tail = metrics_args(minute, None if run_us is None else [run_us])
    return [run_us or 0, *(buckets or [0]), *tail]


def _text(reply: object) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def _optional(value: int | None) -> str | int:
    """An optional number as a script reads it: '' for none."""
    return "" if value is None else value


class Scripts:
    """One typed method per Lua script. Callers say what they mean, by name; each wrapper
    builds its script's KEYS and ARGV in the order the script's header lists them.

    The scripts that take and settle jobs also note each job's status (see
    :mod:`jobs.store.status`): their wrappers add the status key prefix and how long a status
    is kept, the last two arguments of each of those scripts."""

    def __init__(self, client: redis.Redis, keys: Keys, status_seconds: int) -> None:
        self._client = client
        self._keys = keys
        self._status = [keys.status_prefix, status_seconds]
        self._enqueue = LuaScript(client, "enqueue")
        self._enqueue_unique = LuaScript(client, "enqueue_unique")
        self._release_unique = LuaScript(client, "release_unique")
        self._fetch = LuaScript(client, "fetch")
        self._give_back = LuaScript(client, "give_back")
        self._fail = LuaScript(client, "fail")
        self._requeue = LuaScript(client, "requeue")
        self._register = LuaScript(client, "register")
        self._heartbeat = LuaScript(client, "heartbeat")
        self._unregister = LuaScript(client, "unregister")
        self._retry_failure = LuaScript(client, "retry_failure")
        self._remove_queue = LuaScript(client, "remove_queue")
        self._trim_failed = LuaScript(client, "trim_failed")
        self._schedule = LuaScript(client, "schedule")
        self._move_due = LuaScript(client, "move_due")
        self._retry = LuaScript(client, "retry")
        self._enqueue_scheduled = LuaScript(client, "enqueue_scheduled")
        self._claim_tick = LuaScript(client, "claim_tick")
        self._forget_recurring = LuaScript(client, "forget_recurring")
        self._land = LuaScript(client, "land")
        self._return_landing = LuaScript(client, "return_landing")

    def enqueue(
        self, *, queue: str, payloads: list[bytes], replicas: int = 0, timeout_ms: int = 1000
    ) -> int:
        """``lua/enqueue.lua``: ``payloads`` onto ``queue``, which joins the set of queues, and a
        wake-up for its idle workers. Returns the queue's length."""
        queues, queue_list, channel = _enqueue_keys(self._keys, queue)
        args = [queue, channel, *payloads]
        return int(
            self._replicated(self._enqueue, [queues, queue_list], args, replicas, timeout_ms)
        )

    def _replicated(
        self, script: LuaScript, keys: list[str], args: list[Any], replicas: int, timeout_ms: int
    ) -> Any:
        """Run ``script``; with ``replicas``, wait (``WAIT``) until that many replicas have its
        writes, and raise :class:`NotReplicated` if they do not within ``timeout_ms``."""
        if not replicas:
            return script(keys, args)
        reply, acked = script.call_then_wait(keys, args, replicas=replicas, timeout_ms=timeout_ms)
        if acked < replicas:
            raise NotReplicated(
                f"the job is on the primary, but only {acked} of {replicas} replicas had it"
                f" after {timeout_ms} ms: a failover now would lose it. Enqueue it again if it"
                " must not be lost (it may then run twice)."
            )
        return reply

    def enqueue_unique(
        self,
        *,
        queues: str,
        queue_list: str,
        lock: str,
        queue: str,
        channel: str,
        payload: bytes,
        job_id: str,
        lock_ms: int,
    ) -> str:
        """Push a unique job unless a copy waits; returns the id of the copy that waits."""
        waiting = self._enqueue_unique(
            keys=[queues, queue_list, lock], args=[queue, channel, payload, job_id, lock_ms]
        )
        return _text(waiting)

    def release_unique(self, *, lock: str, job_id: str) -> bool:
        """Delete the lock if ``job_id`` holds it; True if it did."""
        return bool(self._release_unique(keys=[lock], args=[job_id]))

    def fetch(
        self,
        worker_keys: list[str],
        queue_lists: list[str],
        finished: list[bytes],
        wanted: int,
        history_seconds: int,
        run_at: str,
        queues: list[str],
        *,
        run_us: list[int] | None,
        minute: int,
    ) -> tuple[list[bool], list[bytes]]:
        """Acknowledge the ``finished`` entries, which ran ``run_us`` microseconds each (None:
        record no metrics), then take up to ``wanted`` jobs; returns whether each was
        acknowledged, and the in-flight entries taken."""
        assert run_us is None or len(run_us) == len(finished), "a run time per finished job"
        buckets, metrics = metrics_args(minute, run_us)
        times = run_us if run_us is not None else [0] * len(finished)  # unread when off
        flags, taken = self._fetch(
            keys=[*worker_keys, *queue_lists],
            args=[
                history_seconds,
                run_at,
                wanted,
                len(finished),
                *finished,
                *times,
                *(buckets or times),
                *queues,
                *metrics,
                self._keys.unique_prefix,
                *self._status,
            ],
        )
        return [bool(flag) for flag in flags], [
            entry for entry in taken if isinstance(entry, bytes)
        ]

    def give_back(
        self,
        *,
        worker_id: str,
        entries: list[bytes],
        queues: list[str],
        running: bytes,
        run_at: str,
    ) -> int:
        """``lua/give_back.lua``: ``entries`` (each from the queue at the same place in
        ``queues``) back on their queues; ``running`` shown as the worker's job."""
        keys = self._keys
        script_keys = [keys.inflight(worker_id), keys.worker(worker_id), keys.queues]
        script_keys += [keys.queue(queue) for queue in queues]
        channels = [keys.wakeup_channel(queue) for queue in queues]
        args = [running, run_at, len(entries), *entries, *channels, *self._status]
        return int(self._give_back(keys=script_keys, args=args))

    def fail(
        self,
        *,
        worker_id: str,
        entry: bytes,
        record: bytes,
        keep: int,
        minute: int,
        history_seconds: int,
        run_us: int | None,
    ) -> bool:
        """``lua/fail.lua``: out of flight, ``record`` onto the failed list (``keep`` newest);
        ``run_us``: how long the run took (None: record no metrics)."""
        keys = self._keys
        script_keys = keys.failed_run(worker_id, keys.failed, minute)
        args = [entry, record, keep, history_seconds, *self._status, *_one_run(minute, run_us)]
        return bool(self._fail(keys=script_keys, args=args))

    def requeue(
        self,
        *,
        worker_id: str,
        entry: bytes,
        reason: RequeueReason,
        queue: str,
        crash_limit: int,
        crash_record: bytes,
        keep_failed: int,
        expected_beat: str,
        minute: int,
        history_seconds: int,
    ) -> RequeueOutcome:
        """``lua/requeue.lua``, its KEYS and ARGV in the order the script's header lists them."""
        keys = self._keys
        script_keys = [
            keys.inflight(worker_id),
            keys.queue(queue),
            keys.queues,
            keys.crashes,
            keys.failed,
            keys.stat("failed"),
            keys.heartbeats,
            keys.history("failed", minute),
            keys.worker(worker_id),
        ]
        args = [
            entry,
            reason,
            queue,
            crash_limit,
            crash_record,
            expected_beat,
            worker_id,
            keep_failed,
            keys.wakeup_channel(queue),
            history_seconds,
            *self._status,
        ]
        outcome = _text(self._requeue(keys=script_keys, args=args))
        assert outcome in ("requeued", "failed", "gone", "alive"), outcome
        return outcome  # type: ignore[return-value]

    def register(self, *, worker_id: str, started: str, beat: str) -> int:
        keys = self._keys
        script_keys = [
            keys.workers,
            keys.worker_started(worker_id),
            keys.resque_heartbeats,
            keys.heartbeats,
        ]
        return int(self._register(keys=script_keys, args=[worker_id, started, beat]))

    def heartbeat(self, *, worker_ids: list[str], beat: str) -> int:
        script_keys = [self._keys.resque_heartbeats, self._keys.heartbeats]
        return int(self._heartbeat(keys=script_keys, args=[beat, *worker_ids]))

    def unregister(self, *, worker_id: str, expected_beat: str) -> UnregisterOutcome:
        keys = self._keys
        script_keys = [
            keys.workers,
            keys.worker(worker_id),
            keys.worker_started(worker_id),
            keys.resque_heartbeats,
            keys.heartbeats,
            keys.stat("processed", worker_id),
            keys.stat("failed", worker_id),
            keys.inflight(worker_id),
            keys.flags(worker_id),
            keys.landing(worker_id),
        ]
        outcome = _text(self._unregister(keys=script_keys, args=[worker_id, expected_beat]))
        assert outcome in ("unregistered", "busy", "alive"), outcome
        return outcome  # type: ignore[return-value]

    def remove_queue(self, *, queue: str) -> int:
        script_keys = [self._keys.queues, self._keys.queue(queue)]
        return int(self._remove_queue(keys=script_keys, args=[queue]))

    def trim_failed(self, *, cutoff: str, most: int) -> int:
        return int(self._trim_failed(keys=[self._keys.failed], args=[cutoff, most]))

    def retry_failure(self, *, record: bytes, payload: bytes, queue: str) -> bool:
        """``lua/retry_failure.lua``: ``record`` off the failed list, ``payload`` onto ``queue``."""
        keys = self._keys
        script_keys = [keys.failed, keys.queue(queue), keys.queues]
        args = [record, payload, queue, keys.wakeup_channel(queue), *self._status]
        return bool(self._retry_failure(keys=script_keys, args=args))

    # -- the scheduler's ----------------------------------------------------------------------
    # ``now_ms``: None reads Redis's clock; tests pass a time to move it without sleeping.
    def schedule(
        self,
        *,
        entry: bytes,
        payload: bytes,
        queue: str,
        at_ms: int | None,
        in_ms: int,
        now_ms: int | None,
        replicas: int = 0,
        timeout_ms: int = 1000,
    ) -> ScheduleOutcome:
        """``lua/schedule.lua``: ``entry`` in the scheduled set until due (at ``at_ms``, else
        ``in_ms`` from now), or ``payload`` on ``queue`` at once if it is due already; with
        ``replicas``, then waits for that many replicas (see :meth:`LuaScript.call_then_wait`)."""
        keys = self._keys
        script_keys = [keys.scheduled, keys.queues, keys.queue(queue)]
        args = [
            entry,
            payload,
            queue,
            keys.wakeup_channel(queue),
            keys.scheduler_channel,
            _optional(at_ms),
            in_ms,
            _optional(now_ms),
        ]
        outcome = _text(self._replicated(self._schedule, script_keys, args, replicas, timeout_ms))
        assert outcome in ("enqueued", "scheduled"), outcome
        return outcome  # type: ignore[return-value]

    def move_due(
        self, *, zset: str, members: list[tuple[bytes, str]], now_ms: int | None
    ) -> tuple[int, int, int]:
        """``lua/move_due.lua``: the due ones of ``members`` (each with its queue's name) from
        ``zset`` to their queues. Returns (moved, now ms, soonest due ms or -1)."""
        keys = self._keys
        script_keys = [zset, keys.queues] + [keys.queue(queue) for _, queue in members]
        args: list[bytes | str | int] = [_optional(now_ms)]
        for member, queue in members:
            args += [member, queue, keys.wakeup_channel(queue)]
        moved, now, next_due = self._move_due(keys=script_keys, args=args)
        return int(moved), int(now), int(next_due)

    def retry(
        self,
        *,
        worker_id: str,
        entry: bytes,
        retry_entry: bytes,
        in_ms: int,
        minute: int,
        history_seconds: int,
        now_ms: int | None,
        run_us: int | None,
    ) -> bool:
        """``lua/retry.lua``: out of flight, ``retry_entry`` into the retries set; ``run_us``:
        how long the run took (None: record no metrics)."""
        keys = self._keys
        script_keys = keys.failed_run(worker_id, keys.retries, minute)
        args = [
            entry,
            retry_entry,
            in_ms,
            history_seconds,
            keys.scheduler_channel,
            _optional(now_ms),
            *self._status,
            *_one_run(minute, run_us),
        ]
        return bool(self._retry(keys=script_keys, args=args))

    def enqueue_scheduled(self, *, zset: str, member: bytes, queue: str) -> bool:
        keys = self._keys
        script_keys = [zset, keys.queues, keys.queue(queue)]
        args = [member, queue, keys.wakeup_channel(queue)]
        return bool(self._enqueue_scheduled(keys=script_keys, args=args))

    def claim_tick(self, *, name: str, tick_ms: int, payload: bytes, queue: str) -> TickOutcome:
        """``lua/claim_tick.lua``: ``payload`` onto ``queue`` for this tick of schedule
        ``name``, unless a loop already did."""
        keys = self._keys
        script_keys = [keys.recurring_last, keys.queues, keys.queue(queue)]
        args = [name, tick_ms, payload, queue, keys.wakeup_channel(queue)]
        outcome = _text(self._claim_tick(keys=script_keys, args=args))
        assert outcome in ("enqueued", "taken", "started"), outcome
        return outcome  # type: ignore[return-value]

    def forget_recurring(self, *, name: str) -> bool:
        script_keys = [self._keys.recurring, self._keys.recurring_last]
        return bool(self._forget_recurring(keys=script_keys, args=[name]))

    def land_script(self) -> LuaScript:
        """``lua/land.lua``, which a worker thread sends on its own connection without waiting
        for the answer (see :mod:`jobs.store.landing`), so it builds the command itself with
        :meth:`land_keys_and_args`."""
        return self._land

    def land_keys_and_args(
        self, *, worker_id: str, queue: str, payload: bytes, run_at: str
    ) -> tuple[list[Any], list[Any]]:
        """The KEYS and ARGV of ``lua/land.lua``: ``payload``, taken from ``queue`` into the
        landing list of ``worker_id``, lands in its in-flight list."""
        keys = self._keys
        script_keys = [
            keys.landing(worker_id),
            keys.inflight(worker_id),
            keys.worker(worker_id),
            keys.workers,
            keys.queue(queue),
        ]
        args = [queue, payload, run_at, keys.unique_prefix, *self._status, worker_id]
        return script_keys, args

    def return_landing(self, *, worker_id: str, queue: str) -> int:
        """``lua/return_landing.lua``: what is left in the landing list of ``worker_id`` goes
        back to the front of ``queue``. Returns how many jobs went back."""
        keys = self._keys
        script_keys = [keys.landing(worker_id), keys.queue(queue), keys.queues]
        args = [queue, keys.wakeup_channel(queue)]
        return int(self._return_landing(keys=script_keys, args=args))
