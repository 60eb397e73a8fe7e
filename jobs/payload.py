"""The payload: what a job looks like on a queue, in Resque's format.

    {"class": "jobs.dev.demo.Sleeper", "args": [5], "id": "3f2a...", "enqueued_at": 1764185527.123}

``class`` and ``args`` are Resque's; ``id`` (unique per job, kept across retries) and
``enqueued_at`` (Unix time, seconds) are ours, and Resque ignores them. A job waiting for an
automatic retry also carries :data:`RETRY_FIELDS`, as Sidekiq's do::

    {..., "retry_count": 2, "error": "TimeoutError: slow API", "failed_at": 1764185600.5}

``retry_count``: retries so far (this run is number ``retry_count + 1``); ``error``: the last
one, cut to :data:`ERROR_KEPT` characters; ``failed_at``: when (Unix time, seconds). A job
retried by hand from the failed list drops them (:func:`without_retry`): it starts afresh.
A unique job's payload (:mod:`jobs.unique`) also carries ``unique``, the name of its lock; no
other does.

Anyone who can write to Redis can push a payload, so a worker reads each one as hostile: a
payload bigger than ``JOBS_MAX_PAYLOAD_BYTES``, or one that is not JSON, or nests deeper than
:data:`jobs.arguments.MAX_NESTING`, is a :class:`PayloadError` (the job fails, the worker goes
on), never an exception that could stop the worker.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from jobs.arguments import MAX_NESTING, check_arguments

# One encoder for every payload (json.dumps with options builds a new one on every call).
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
RETRY_FIELDS = ("retry_count", "error", "failed_at")
ERROR_KEPT = 1000  # characters of the last error a waiting retry carries (its payload's size)


class JobNotFound(KeyError):
    """No job with that id where it was looked for (it ran, or was removed, meanwhile).
    Raised by every call that names one job by its id: ``jobs.cancel``, and ``find``,
    ``remove``, ``retry`` or ``enqueue_now`` on the delayed, retrying and failed jobs."""


class PayloadError(ValueError):
    """A payload taken from Redis cannot be read as a job."""


class PayloadTooLarge(PayloadError):
    """The encoded job is bigger than ``JOBS_MAX_PAYLOAD_BYTES`` (refused at enqueue; failed,
    never run, if it reached a queue some other way)."""


ID_BYTES = 12  # a job id is this many random bytes, written as hex


def new_job_id() -> str:
    return os.urandom(ID_BYTES).hex()


def encode(
    class_name: str, args: tuple[Any, ...] | list[Any], max_bytes: int, unique: str | None = None
) -> tuple[str, bytes]:
    """Check the arguments and build a payload. Returns the new job's id and the payload.
    ``unique``: the lock name of a unique job (:mod:`jobs.unique`), carried in the payload so
    that the worker who takes the job releases that lock."""
    return encode_many(class_name, [args], max_bytes, unique)[0]


def encode_many(
    class_name: str,
    arg_lists: Sequence[tuple[Any, ...] | list[Any]],
    max_bytes: int,
    unique: str | None = None,
) -> list[tuple[str, bytes]]:
    """:func:`encode` for a job of ``class_name`` per argument list: ids and payloads.

    A bulk enqueue spends most of its time here, so the JSON is written by hand around the
    arguments: the parts every job shares (its class, the time) once, then per job only its
    arguments and its id. The payloads are what ``json`` would write for the body
    ``{"class", "args", "id", "enqueued_at"[, "unique"]}``, byte for byte (a test checks
    that). Jobs encoded together share one ``enqueued_at``: they are enqueued in one call (so
    does Sidekiq's ``push_bulk``)."""
    head = f'{{"class":{_ENCODER.encode(class_name)},"args":'
    tail = f',"enqueued_at":{time.time()!r}'  # repr: how json writes a float
    if unique is not None:
        tail += f',"unique":{_ENCODER.encode(unique)}'
    ids = os.urandom(ID_BYTES * len(arg_lists)).hex()  # one system call for every id
    jobs = []
    for n, args in enumerate(arg_lists):
        check_arguments(class_name, args)
        job_id = ids[2 * ID_BYTES * n : 2 * ID_BYTES * (n + 1)]
        data = f'{head}{_encode_arguments(args)},"id":"{job_id}"{tail}}}'.encode()
        if len(data) > max_bytes:
            raise PayloadTooLarge(
                f"{class_name} job is {len(data)} bytes, over the {max_bytes}-byte limit"
                " (JOBS_MAX_PAYLOAD_BYTES). Store the data somewhere and pass its id instead."
            )
        jobs.append((job_id, data))
    return jobs


def _arguments_encoder() -> Callable[[Any], str]:
    """What writes a job's (checked) arguments as JSON. ``JSONEncoder.encode`` builds json's
    C encoder anew on every call, which is most of what encoding a short list costs; this
    builds it once, as ``_ENCODER`` would (without its cycle check: checked arguments nest
    at most MAX_NESTING deep, so they hold no cycle). Where json has no C part, ``_ENCODER``."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODER.encode
    chunks = make(
        None, _ENCODER.default, json.encoder.encode_basestring_ascii, None, ":", ",",
        False, False, False,
    )  # fmt: skip
    return lambda args: "".join(chunks(args, 0))


_encode_arguments = _arguments_encoder()


@dataclass(frozen=True)
class Payload:
    """A payload read back from Redis."""

    class_name: str
    args: list[Any]
    job_id: str | None
    body: dict[str, Any]

    @classmethod
    def decode(cls, data: bytes, max_bytes: int | None = None) -> Payload:
        """Read a payload; raise :class:`PayloadError` saying what is wrong with it (with
        ``max_bytes``, :class:`PayloadTooLarge` if it is bigger, before reading any of it)."""
        if max_bytes is not None and len(data) > max_bytes:
            raise PayloadTooLarge(
                f"the job is {len(data)} bytes, over the {max_bytes}-byte limit"
                f" (JOBS_MAX_PAYLOAD_BYTES); it was not run: {preview(data)}"
            )
        try:
            # As json.loads reads bytes (any UTF, lone surrogates kept), with our one decoder.
            body = _DECODER.decode(data.decode(json.detect_encoding(data), "surrogatepass"))
        except ValueError as error:  # not JSON, or not text (UnicodeDecodeError) at all
            raise PayloadError(f"the payload is not JSON ({error}): {preview(data)}") from None
        except RecursionError:  # nested deeper than Python's parser goes: refuse, never crash
            raise PayloadError(f"the payload nests too deep to read: {preview(data)}") from None
        if not isinstance(body, dict):
            raise PayloadError(f"the payload is not a JSON object: {preview(data)}")
        class_name, args = body.get("class"), body.get("args", [])
        if not isinstance(class_name, str) or not class_name:
            raise PayloadError(f'the payload has no "class" naming the job: {preview(data)}')
        if not isinstance(args, list):
            raise PayloadError(f'the payload\'s "args" is not a list: {preview(data)}')
        if nests_deeper_than(args, MAX_NESTING + 1, data):
            raise PayloadError(
                f"the payload's arguments nest more than {MAX_NESTING} deep: {preview(data)}"
            )
        job_id = body.get("id")
        return cls(class_name, args, job_id if isinstance(job_id, str) else None, body)

    def matches(self, class_name: str, args: list[Any]) -> bool:
        """Same class and the same arguments as JSON sees them (so ``true`` is not ``1``)."""
        return self.class_name == class_name and _canonical(self.args) == _canonical(args)


def retried_so_far(body: dict[str, Any]) -> int:
    """``retry_count`` of a payload's body: 0 for a first run (or a value that is not a
    count: someone else's payload)."""
    count = body.get("retry_count", 0)
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0


def with_retry(body: dict[str, Any], count: int, error: str) -> bytes:
    """The payload of a job that failed and waits for retry number ``count``, ``error`` its
    last error."""
    retry = {**body, "retry_count": count, "error": error[:ERROR_KEPT], "failed_at": time.time()}
    return json.dumps(retry, separators=(",", ":")).encode()


def without_retry(body: dict[str, Any]) -> dict[str, Any]:
    """A payload's body without its retry fields: the job as first enqueued."""
    return {name: value for name, value in body.items() if name not in RETRY_FIELDS}


def nests_deeper_than(value: Any, limit: int, text: bytes = b"") -> bool:
    """Whether lists and dicts nest more than ``limit`` deep in ``value`` (a list holding a
    number nests 1 deep). Walks with a stack of its own, not by recursion, so any depth is
    safe; ``text``, the JSON ``value`` came from, lets it skip the walk when its brackets are
    too few to nest that deep (the usual case)."""
    if text and text.count(b"[") + text.count(b"{") <= limit:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, list | dict):
                if depth == limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every payload read: json.loads given an option builds a new one on each call,
# which costs a worker more than reading a small payload does.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def preview(data: bytes, limit: int = 200) -> str:
    text = data.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."
