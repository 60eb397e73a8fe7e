"""Run-time metrics in Redis: per job class and minute, how many runs, how many failed, their
total time and a histogram of their times with fixed buckets. And per queue, its latency: how
long its oldest waiting job has waited.

The scripts that settle a job write them (``lua/lib/metrics.lua``), in the round trip a worker
makes anyway to acknowledge or fail it: the worker passes each run's time and bucket, the
script reads the class from the payload. A minute's hash expires an hour after the minute
ends, and a hash takes at most :data:`MOST_CLASSES` classes, so memory stays bounded whatever
the traffic. A second hash keeps the same counts since the start, for Prometheus' counters.

This module holds the buckets and reads both hashes back as :class:`ClassRuns`; what they mean
(a mean, a percentile) is :mod:`jobs.metrics`'s part.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import redis

from jobs.store.keys import Keys

# Bucket N holds the runs that took at most BUCKET_BOUNDS_US[N] microseconds (and more than
# the bound before it); the last bucket, one past the bounds, holds the runs longer than a
# minute. Roughly 1-2.5-5 steps per power of ten: a percentile read from them is within a
# bucket's width of the truth.
BUCKET_BOUNDS_US: tuple[int, ...] = (
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000,
)  # fmt: skip
BUCKETS = len(BUCKET_BOUNDS_US) + 1
MOST_CLASSES = 200  # per hash; further classes are counted under OTHER_CLASS
OTHER_CLASS = "(other)"
KEEP_MINUTES = 60  # a minute's metrics are kept this long after it ends


def bucket_of(run_us: int) -> int:
    """The bucket a run of ``run_us`` microseconds is counted in."""
    return bisect.bisect_left(BUCKET_BOUNDS_US, run_us)


def keep_until(minute: int) -> int:
    """When (Unix seconds) the metrics of ``minute`` (Unix time // 60) expire."""
    return (minute + 1 + KEEP_MINUTES) * 60


@dataclass
class ClassRuns:
    """The runs of one job class over some time: counts, total time, histogram."""

    processed: int = 0  # failed runs included, as Resque counts
    failed: int = 0
    run_us: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * BUCKETS)

    def add(self, other: ClassRuns) -> None:
        self.processed += other.processed
        self.failed += other.failed
        self.run_us += other.run_us
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]


def parse_runs(fields: dict[bytes, bytes]) -> dict[str, ClassRuns]:
    """A metrics hash (field ``p:CLASS`` and so on, see the key map) as runs per class."""
    runs: dict[str, ClassRuns] = {}
    for raw_name, raw_value in fields.items():
        kind, sep, class_name = raw_name.decode("utf-8", "replace").partition(":")
        if not sep:
            continue  # 'classes', the hash's own count
        try:
            value = int(raw_value)
        except ValueError:  # someone else wrote there: not a count we can read
            continue
        _count(runs.setdefault(class_name, ClassRuns()), kind, value)
    return runs


def _count(runs: ClassRuns, kind: str, value: int) -> None:
    if kind == "p":
        runs.processed = value
    elif kind == "f":
        runs.failed = value
    elif kind == "us":
        runs.run_us = value
    elif kind.startswith("h") and kind[1:].isdigit() and int(kind[1:]) < BUCKETS:
        runs.buckets[int(kind[1:])] = value


class MetricsStore:
    """Reads the run-time metrics and the queues' latency, each in one round trip."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys

    def minutes(self, last_minute: int, count: int) -> list[tuple[int, dict[str, ClassRuns]]]:
        """(minute, runs per class) for the ``count`` minutes up to ``last_minute``, oldest
        first; minute is Unix time // 60."""
        span = range(last_minute - count + 1, last_minute + 1)
        pipe = self._client.pipeline(transaction=False)
        for minute in span:
            pipe.hgetall(self._keys.metrics(minute))
        return [
            (minute, parse_runs(fields))
            for minute, fields in zip(span, pipe.execute(), strict=True)
        ]

    def totals(self) -> dict[str, ClassRuns]:
        """Runs per class since the start (since Redis was emptied)."""
        return parse_runs(self._client.hgetall(self._keys.metrics_totals))  # type: ignore[arg-type]

    def oldest_enqueued(self, queues: Sequence[bytes]) -> list[float | None]:
        """When (Unix seconds) the oldest job waiting on each queue was enqueued: None for an
        empty queue, or a job that does not say (Resque's own payloads do not)."""
        pipe = self._client.pipeline(transaction=False)
        for name in queues:
            pipe.lindex(self._keys.queue_prefix.encode() + name, 0)
        return [_enqueued_at(payload) for payload in pipe.execute()]


def _enqueued_at(payload: bytes | None) -> float | None:
    if payload is None:
        return None
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    when = body.get("enqueued_at") if isinstance(body, dict) else None
    return float(when) if isinstance(when, int | float) and not isinstance(when, bool) else None


def metrics_args(minute: int, run_us: Iterable[int] | None) -> tuple[list[int], list[int | str]]:
    """For a settling script: each run's bucket, and when the minute's metrics expire and how
    many classes a hash takes ('' instead of the time when metrics are off: ``run_us`` None)."""
    if run_us is None:
        return [], ["", MOST_CLASSES]
    return [bucket_of(us) for us in run_us], [keep_until(minute), MOST_CLASSES]
