"""What the run-time metrics say: per job class, counts, mean and percentiles of run times.

:mod:`jobs.store.metrics` keeps, per class and minute, how many runs, how many failed, their
total time and a histogram with fixed buckets. This module turns those into what a person
asks: which classes ran over the last hour, which took the most time, and what a class's
p50/p95 were. A percentile read from a histogram is an estimate: the run at that rank is
placed by linear interpolation inside its bucket (as Prometheus' ``histogram_quantile``
does), so it is never further from the truth than the bucket's width.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.store import BUCKET_BOUNDS_US, ClassRuns

HOUR_MINUTES = 60


@dataclass(frozen=True)
class ClassSummary:
    """One job class over some minutes, as the Metrics tab shows it (times in ms)."""

    name: str
    processed: int
    failed: int
    total_ms: float
    mean_ms: float | None  # None: no runs
    p50_ms: float | None
    p95_ms: float | None


def percentile_us(buckets: list[int], fraction: float) -> float | None:
    """The run time (µs) below which ``fraction`` of the runs counted in ``buckets`` fall;
    None with no runs. Past the last bound the histogram knows only "longer": its bound."""
    total = sum(buckets)
    if total == 0:
        return None
    rank = fraction * total
    below = 0
    for index, count in enumerate(buckets):
        if count and below + count >= rank:
            lower = BUCKET_BOUNDS_US[index - 1] if index else 0
            if index == len(BUCKET_BOUNDS_US):
                return float(lower)
            upper = BUCKET_BOUNDS_US[index]
            return lower + (upper - lower) * (rank - below) / count
        below += count
    return float(BUCKET_BOUNDS_US[-1])  # not reached: the ranks add up to the total


def summary(name: str, runs: ClassRuns) -> ClassSummary:
    def ms(us: float | None) -> float | None:
        return None if us is None else us / 1000

    return ClassSummary(
        name=name,
        processed=runs.processed,
        failed=runs.failed,
        total_ms=runs.run_us / 1000,
        mean_ms=runs.run_us / runs.processed / 1000 if runs.processed else None,
        p50_ms=ms(percentile_us(runs.buckets, 0.5)),
        p95_ms=ms(percentile_us(runs.buckets, 0.95)),
    )


def summed(minutes: list[tuple[int, dict[str, ClassRuns]]]) -> dict[str, ClassRuns]:
    """Each class's runs over all of these minutes."""
    sums: dict[str, ClassRuns] = {}
    for _, per_class in minutes:
        for name, runs in per_class.items():
            sums.setdefault(name, ClassRuns()).add(runs)
    return sums


def by_time_spent(sums: dict[str, ClassRuns]) -> list[ClassSummary]:
    """One summary per class, the one that took the most time first."""
    rows = [summary(name, runs) for name, runs in sums.items()]
    return sorted(rows, key=lambda row: (-row.total_ms, row.name))


def series(
    minutes: list[tuple[int, dict[str, ClassRuns]]], class_name: str
) -> list[tuple[int, ClassSummary]]:
    """One class, minute by minute (a minute without runs has a summary of zeros)."""
    return [
        (minute, summary(class_name, per_class.get(class_name, ClassRuns())))
        for minute, per_class in minutes
    ]
