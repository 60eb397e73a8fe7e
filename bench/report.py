"""The tables ``make bench`` prints: results side by side with the targets of issue 19, then
what each drain cost per job (Redis commands, CPU, memory), then our commands by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bench.measure import Measurement

OURS = "ours"  # our queue on the project's own virtualenv: the column every ratio is taken from


@dataclass(frozen=True)
class Against:
    """A ratio to print: our number over ``peer``'s (from ``scenario`` if given), and the
    target, if any: ours >= ``times`` x theirs for rates, ours <= ``times`` x theirs otherwise."""

    peer: str
    times: float | None = None
    scenario: str | None = None
    label: str | None = None  # how the ratio is named, if not by the peer


@dataclass(frozen=True)
class Row:
    """One line of the main table: a scenario, the ratios it shows, the target in words."""

    title: str
    scenario: str
    kind: str  # "rate", "latency" or "rss"
    against: tuple[Against, ...]
    target: str = ""
    absolute: Callable[[Measurement], bool] | None = None  # a target on our number alone


def _p99_within(limit_ms: float) -> Callable[[Measurement], bool]:
    return lambda ours: ours.p99_ms is not None and ours.p99_ms <= limit_ms


SEPARATE = Against(OURS, scenario="drain-thread-2", label="2 separate")
ROWS = [
    Row(
        "enqueue, one by one",
        "enqueue-one",
        "rate",
        (Against("Sidekiq", 1.5), Against("Huey", 1.1)),
        ">= 1.5x Sidekiq, 1.1x Huey",
    ),
    Row("enqueue, bulk", "enqueue-bulk", "rate", (Against("Sidekiq", 2),), ">= 2x push_bulk"),
    Row(
        "drain, 1 process x 10 threads",
        "drain-thread-1",
        "rate",
        (Against("Sidekiq", 1.5), Against("Huey")),
        ">= 1.5x Sidekiq -c 10",
    ),
    Row(
        "drain, COUNT=2 THREADS=10",
        "drain-count-2",
        "rate",
        (Against("Sidekiq", 1.5, "drain-thread-2"), SEPARATE),
        ">= 1.5x 2 Sidekiqs",
    ),
    Row(
        "drain, 2 separate processes",
        "drain-thread-2",
        "rate",
        (Against("Sidekiq", 1.5), Against("Huey")),
        ">= 1.5x 2 Sidekiqs",
    ),
    Row("drain, 1 process on one CPU", "drain-thread-1-cpu", "rate", (Against("Huey"),)),
    Row("drain, fork per job", "drain-fork", "rate", (Against("RQ", 3.5),), ">= 3.5x RQ"),
    Row("drain, 1 at a time, no fork", "drain-simple", "rate", (Against("RQ"),)),
    Row(
        "pickup p50/p99, thread mode",
        "pickup-thread",
        "latency",
        (Against("Sidekiq", 1), Against("Huey")),
        "p50 <= Sidekiq, p99 <= 2.5 ms",
        _p99_within(2.5),
    ),
    Row("pickup p50/p99, fork per job", "pickup-fork", "latency", (Against("RQ"),)),
    Row(
        "peak RSS, thread-mode worker",
        "drain-thread-1",
        "rss",
        (Against("Huey", 1), Against("Sidekiq")),
        "<= Huey",
    ),
    Row(
        "peak RSS, fork-per-job worker",
        "drain-fork",
        "rss",
        (Against("RQ", 1, "drain-simple"),),
        "<= RQ SimpleWorker",
    ),
]


NOTES = """\
N: jobs per run (pickup: jobs measured). Drains time from the first job done to the last.
COUNT=2 THREADS=10: one `jobs work --count 2` supervising two workers; its Sidekiq figure is two
`sidekiq -c 10` processes, and "2 separate" is ours from two `jobs work` started side by side.
Pickup, fork per job: jobs arrive at 100/s; a worker that drains slower than that (see the fork
drain) falls behind, and what is measured is mostly the wait behind the backlog.
Peak RSS: each worker process's high-water mark (VmHWM); in the fork row, RQ's is its
SimpleWorker. Every peer runs in its own virtualenv, with what a plain install gives it."""


def _value(measurement: Measurement | None, kind: str) -> float | None:
    if measurement is None:
        return None
    if kind == "rate":
        return measurement.rate
    if kind == "latency":
        return measurement.p50_ms
    return max(measurement.peak_rss_mib) if measurement.peak_rss_mib else None


def _show(measurement: Measurement | None, kind: str) -> str:
    value = _value(measurement, kind)
    if measurement is None or value is None:
        return "-"
    if kind == "rate":
        return f"{value:,.0f}/s"
    if kind == "latency":
        return f"{measurement.p50_ms:.2f} / {measurement.p99_ms:.2f} ms"
    return f"{value:.1f} MiB"


def _table(header: list[str], lines: Iterable[list[str]]) -> str:
    rows = [header, *lines]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in text)


def main_table(found: dict[tuple[str, str], Measurement], systems: list[str]) -> str:
    """Every scenario, our number next to the peers', the ratios and whether the target is met."""
    lines = []
    for row in ROWS:
        ours = found.get((row.scenario, OURS))
        cells = [row.title, str(ours.jobs) if ours else "-"]
        cells += [_show(found.get((_scenario(row, name), name)), row.kind) for name in systems]
        ratios = [(against, _ratio(row, ours, found, against)) for against in row.against]
        cells.append(", ".join(f"{r:.2f}x {a.label or a.peer}" for a, r in ratios if r))
        cells += [row.target, _met(row, ours, ratios)]
        lines.append(cells)
    header = ["scenario", "N", *systems, "ours/peer", "target", "met"]
    return _table(header, lines)


def _scenario(row: Row, system: str) -> str:
    """Which scenario a system's column shows in ``row``: a peer's may come from another."""
    for against in row.against:
        if against.peer == system != OURS and against.scenario:
            return against.scenario
    return row.scenario


def _ratio(
    row: Row,
    ours: Measurement | None,
    found: dict[tuple[str, str], Measurement],
    against: Against,
) -> float | None:
    peer = found.get((against.scenario or row.scenario, against.peer))
    mine, theirs = _value(ours, row.kind), _value(peer, row.kind)
    if mine is None or not theirs:
        return None
    return mine / theirs


def _met(row: Row, ours: Measurement | None, ratios: list[tuple[Against, float | None]]) -> str:
    if ours is None or _value(ours, row.kind) is None:
        return "-"
    checks = [
        ratio >= against.times if row.kind == "rate" else ratio <= against.times
        for against, ratio in ratios
        if against.times is not None and ratio is not None
    ]
    if row.absolute is not None:
        checks.append(row.absolute(ours))
    if not checks:
        return ""
    return "yes" if all(checks) else "NO"


def cost_table(measurements: Iterable[Measurement]) -> str:
    """Per job, over each enqueue and drain: Redis commands, CPU of the client or the workers
    and of Redis, memory."""
    lines = []
    for m in measurements:
        if not m.scenario.startswith(("drain", "enqueue")) or m.rate is None:
            continue
        lines.append(
            [
                m.scenario.removeprefix("drain-"),
                m.system,
                m.what,
                f"{m.rate:,.0f}",
                f"{m.commands_per_job or 0:.1f}",
                f"{m.commands.get('evalsha', 0):.2f}",
                f"{m.worker_cpu_ms or 0:.3f}",
                f"{m.redis_cpu_ms or 0:.3f}",
                "" if m.switches is None else f"{m.switches:.2f}",
                "" if m.faults is None else f"{m.faults:.2f}",
                " + ".join(f"{mib:.0f}" for mib in m.peak_rss_mib),
            ]
        )
    header = ["run", "system", "client or workers", "jobs/s", "cmds/job", "evalsha/job"]
    header += ["its CPU ms/job", "Redis CPU ms/job", "switches/job", "faults/job", "peak RSS MiB"]
    return _table(header, lines)


COMMANDS_OF = ("drain-thread-1", "drain-fork", "drain-simple")


def commands_table(measurements: Iterable[Measurement], least: float = 0.01) -> str:
    """Redis commands per job by name (Lua's inner calls included), one column per drain of
    :data:`COMMANDS_OF`; ours on another redis-py sends the same commands, so it is left out."""
    runs = [
        m
        for m in measurements
        if m.commands and m.scenario in COMMANDS_OF and (m.system == OURS or m.system[:4] != OURS)
    ]
    names = sorted(
        {name for m in runs for name, calls in m.commands.items() if calls >= least},
        key=lambda name: -max(m.commands.get(name, 0) for m in runs),
    )
    header = ["command", *(f"{m.system} {m.scenario.removeprefix('drain-')}" for m in runs)]
    lines = [[name, *(f"{m.commands.get(name, 0):.2f}" for m in runs)] for name in names]
    lines.append(["total", *(f"{m.commands_per_job or 0:.2f}" for m in runs)])
    return _table(header, lines)


def hot_calls_table(found: dict[str, dict[str, dict[str, float]]]) -> str:
    """Per job, ours on each interpreter: CPU µs and Python function calls of each hot path
    (:mod:`bench.hot_calls`)."""
    systems = list(found)
    paths = list(next(iter(found.values()), {}))
    lines = [
        [path, *(_cpu_and_calls(found[system].get(path)) for system in systems)] for path in paths
    ]
    return _table(["per job", *systems], lines)


def _cpu_and_calls(figures: dict[str, float] | None) -> str:
    if not figures:
        return "-"
    return f"{figures['cpu_us']:.1f} µs CPU, {figures['calls']:.0f} calls"
