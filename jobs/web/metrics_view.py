"""What the Metrics tab and a job class's page show: the last hour of run-time metrics
(:mod:`jobs.metrics`), each queue's latency, and the charts drawn as plain SVG on the server.

The charts need no script: each bar's place and height is worked out here, and the template
writes them as ``<rect>`` elements (no inline styles, which the monitor's CSP forbids).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from jobs.metrics import HOUR_MINUTES, ClassSummary, by_time_spent, series, summary, summed
from jobs.store import BUCKET_BOUNDS_US, ClassRuns, Store
from jobs.web.display import duration_text, plural
from jobs.web.names import QueueName

CHART_WIDTH, CHART_HEIGHT = 600, 150
QUEUES_SHOWN = 20  # queues, by name, whose latency the Metrics tab shows


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # its tooltip: what it counts
    kind: str = "processed"  # its CSS class: processed, failed, time


@dataclass(frozen=True)
class QueueLatency:
    name: QueueName
    size: int
    latency: str  # how long the oldest waiting job has waited; '' when none is waiting


@dataclass(frozen=True)
class MetricsTab:
    classes: list[ClassSummary]
    queues: list[QueueLatency]
    queue_total: int


@dataclass(frozen=True)
class ClassPage:
    summary: ClassSummary
    histogram: list[Bar]
    bucket_labels: list[str]
    runs_chart: list[Bar]
    time_chart: list[Bar]
    peaks: tuple[str, str]  # what the tallest bar of each per-minute chart stands for
    minutes: list[tuple[str, ClassSummary]]  # the minutes with runs, newest first


def ms_text(ms: float | None) -> str:
    """``0.42 ms``, ``31 ms``, ``2.5 s``: a run time, at a glance."""
    if ms is None:
        return ""
    if ms < 10:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.3g} s" if ms < 100_000 else duration_text(ms / 1000)


def latency_text(waited: float | None) -> str:
    if waited is None:
        return ""
    return ms_text(max(0.0, waited) * 1000)


def queue_latencies(store: Store, names: list[bytes], now: float) -> list[QueueLatency]:
    """Each queue's size and the age of its oldest waiting job (by ``now``, Unix seconds)."""
    sizes = store.monitor.queue_sizes(names)
    oldest = store.metrics.oldest_enqueued(names)
    return [
        QueueLatency(QueueName(name), size, latency_text(None if when is None else now - when))
        for name, size, when in zip(names, sizes, oldest, strict=True)
    ]


def last_hour(store: Store) -> list[tuple[int, dict[str, ClassRuns]]]:
    return store.metrics.minutes(int(redis_now(store) // 60), HOUR_MINUTES)


def redis_now(store: Store) -> float:
    """Now by Redis's clock, in Unix seconds: the clock the metrics are filed by."""
    return store.workers.now_ms() / 1000


def metrics_tab(store: Store) -> MetricsTab:
    names = store.monitor.queue_names(0, QUEUES_SHOWN)
    return MetricsTab(
        by_time_spent(summed(last_hour(store))),
        queue_latencies(store, names, redis_now(store)),
        store.monitor.queue_count(),
    )


def class_page(store: Store, class_name: str) -> ClassPage:
    minutes = last_hour(store)
    runs = summed(minutes).get(class_name, ClassRuns())
    per_minute = series(minutes, class_name)
    return ClassPage(
        summary(class_name, runs),
        histogram_bars(runs.buckets),
        bucket_labels(),
        minute_bars(per_minute, lambda s: (s.processed, s.failed), lambda n: f"{n:g} runs"),
        minute_bars(per_minute, lambda s: (s.mean_ms or 0.0, 0.0), lambda ms: ms_text(ms)),
        (
            plural(max((s.processed for _, s in per_minute), default=0), "run"),
            ms_text(max((s.mean_ms or 0.0 for _, s in per_minute), default=0.0)),
        ),
        [(minute_text(minute), s) for minute, s in reversed(per_minute) if s.processed],
    )


def bucket_labels() -> list[str]:
    """``≤ 1 ms``, ``≤ 2.5 ms`` ... ``≤ 60 s``, then ``> 60 s``: the histogram's buckets."""
    bounds = [
        f"{us / 1000:g} ms" if us < 1_000_000 else f"{us / 1_000_000:g} s"
        for us in BUCKET_BOUNDS_US
    ]
    return [f"≤ {bound}" for bound in bounds] + [f"> {bounds[-1]}"]


def histogram_bars(buckets: list[int]) -> list[Bar]:
    slot = CHART_WIDTH / len(buckets)
    scale = CHART_HEIGHT / max(1, *buckets)
    labels = bucket_labels()
    return [
        Bar(i * slot, CHART_HEIGHT - count * scale, slot - 2, count * scale, f"{count} {label}")
        for i, (count, label) in enumerate(zip(buckets, labels, strict=True))
    ]


def minute_bars(
    per_minute: list[tuple[int, ClassSummary]],
    values: Callable[[ClassSummary], tuple[float, float]],
    describe: Callable[[float], str],
) -> list[Bar]:
    """A bar a minute for the first value, and a red one beside it for the second (the
    failed runs) when there is one; scaled to the highest."""
    pairs = [values(s) for _, s in per_minute]
    scale = CHART_HEIGHT / max(1.0, *(max(pair) for pair in pairs))
    slot = CHART_WIDTH / max(1, len(pairs))
    bars = []
    for i, ((minute, _), (first, second)) in enumerate(zip(per_minute, pairs, strict=True)):
        label = f"{minute_text(minute)}: {describe(first)}"
        bars.append(_bar(i * slot, slot / 2, first * scale, label, "processed"))
        if second:
            label = f"{minute_text(minute)}: {second:g} failed"
            bars.append(_bar(i * slot + slot / 2, slot / 2, second * scale, label, "failed"))
    return bars


def _bar(x: float, width: float, height: float, label: str, kind: str) -> Bar:
    return Bar(x, CHART_HEIGHT - height, max(1.0, width - 1), height, label, kind)


def minute_text(minute: int) -> str:
    return time.strftime("%H:%M UTC", time.gmtime(minute * 60))
