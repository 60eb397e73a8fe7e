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

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import redis
from redis.exceptions import NoScriptError

from jobs.store.keys import Keys

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
            return self._client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            self._client.script_load(self.source)
            return self._client.evalsha(self.sha, len(keys), *keys, *args)


def _text(reply: object) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


class Scripts:
    """One typed method per Lua script. Callers pass key names; values go in as given.

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

    def enqueue(
        self, queues: str, queue_list: str, queue: str, channel: str, payloads: list[bytes]
    ) -> int:
        return int(self._enqueue(keys=[queues, queue_list], args=[queue, channel, *payloads]))

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
    ) -> tuple[list[bool], list[bytes]]:
        """Acknowledge the ``finished`` entries, then take up to ``wanted`` jobs; returns
        whether each was acknowledged, and the in-flight entries taken."""
        flags, taken = self._fetch(
            keys=[*worker_keys, *queue_lists],
            args=[
                history_seconds,
                run_at,
                wanted,
                len(finished),
                *finished,
                *queues,
                self._keys.unique_prefix,
                *self._status,
            ],
        )
        return [bool(flag) for flag in flags], [
            entry for entry in taken if isinstance(entry, bytes)
        ]

    def give_back(
        self,
        keys: list[str],
        running: bytes,
        run_at: str,
        entries: list[bytes],
        channels: list[str],
    ) -> int:
        return int(
            self._give_back(
                keys=keys,
                args=[running, run_at, len(entries), *entries, *channels, *self._status],
            )
        )

    def fail(
        self, keys: list[str], entry: bytes, record: bytes, keep: int, history_seconds: int
    ) -> bool:
        args = [entry, record, keep, history_seconds, *self._status]
        return bool(self._fail(keys=keys, args=args))

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

    def register(self, keys: list[str], worker_id: str, started: str, beat: str) -> int:
        return int(self._register(keys=keys, args=[worker_id, started, beat]))

    def heartbeat(self, keys: list[str], beat: str, worker_ids: list[str]) -> int:
        return int(self._heartbeat(keys=keys, args=[beat, *worker_ids]))

    def unregister(self, keys: list[str], worker_id: str, expected_beat: str) -> UnregisterOutcome:
        outcome = _text(self._unregister(keys=keys, args=[worker_id, expected_beat]))
        assert outcome in ("unregistered", "busy", "alive"), outcome
        return outcome  # type: ignore[return-value]

    def remove_queue(self, queues: str, queue_list: str, queue: str) -> int:
        return int(self._remove_queue(keys=[queues, queue_list], args=[queue]))

    def trim_failed(self, failed: str, cutoff: str, most: int) -> int:
        return int(self._trim_failed(keys=[failed], args=[cutoff, most]))

    def retry_failure(self, keys: list[str], args: list[bytes | str]) -> bool:
        return bool(self._retry_failure(keys=keys, args=[*args, *self._status]))

    # -- the scheduler's ----------------------------------------------------------------------
    def schedule(self, keys: list[str], args: list[bytes | str | int]) -> ScheduleOutcome:
        outcome = _text(self._schedule(keys=keys, args=args))
        assert outcome in ("enqueued", "scheduled"), outcome
        return outcome  # type: ignore[return-value]

    def move_due(self, keys: list[str], args: list[bytes | str | int]) -> tuple[int, int, int]:
        moved, now_ms, next_due_ms = self._move_due(keys=keys, args=args)
        return int(moved), int(now_ms), int(next_due_ms)

    def retry(self, keys: list[str], args: list[bytes | str | int]) -> bool:
        return bool(self._retry(keys=keys, args=[*args, *self._status]))

    def enqueue_scheduled(self, keys: list[str], member: bytes, queue: str, channel: str) -> bool:
        return bool(self._enqueue_scheduled(keys=keys, args=[member, queue, channel]))

    def claim_tick(self, keys: list[str], args: list[bytes | str | int]) -> TickOutcome:
        outcome = _text(self._claim_tick(keys=keys, args=args))
        assert outcome in ("enqueued", "taken", "started"), outcome
        return outcome  # type: ignore[return-value]

    def forget_recurring(self, keys: list[str], name: str) -> bool:
        return bool(self._forget_recurring(keys=keys, args=[name]))
