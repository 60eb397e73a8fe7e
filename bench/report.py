"""The tables ``make bench`` prints: results side by side with the targets of issue 4, then
what each drain cost per job (Redis commands, CPU, memory), then our commands by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bench.measure import Measurement

SYSTEMS = ("ours", "Huey", "RQ")


@dataclass(frozen=True)
class Row:
    """One line of the main table: a scenario, which peer the ratio is against, the target."""

    title: str
    scenario: str
    kind: str  # "rate", "latency" or "rss"
    peer: str | None  # the system our ratio is taken against
    target: str
    met: Callable[[float, float | None], bool] | None = None  # (ours, peer) -> met?
    peer_scenario: str | None = None  # when the peer's number comes from another scenario


def _at_least(times: float) -> Callable[[float, float | None], bool]:
    return lambda ours, peer: peer is not None and ours >= times * peer


def _at_most_peer(ours: float, peer: float | None) -> bool:
    return peer is not None and ours <= peer


ROWS = [
    Row("enqueue, one by one", "enqueue-one", "rate", "Huey", ">= 1x Huey", _at_least(1)),
    Row("enqueue, bulk", "enqueue-bulk", "rate", "Huey", ">= 100,000/s", lambda o, _: o >= 1e5),
    Row(
        "drain, 1 process x 10 threads",
        "drain-thread-1",
        "rate",
        "Huey",
        ">= 3x Huey",
        _at_least(3),
    ),
    Row(
        "drain, 2 processes x 10 threads",
        "drain-thread-2",
        "rate",
        "Huey",
        ">= 1.7x Huey",
        _at_least(1.7),
    ),
    Row(
        "drain, 1 process on one CPU",
        "drain-thread-1-cpu",
        "rate",
        "Huey",
        "(both on one CPU)",
    ),
    Row("drain, fork per job", "drain-fork", "rate", "RQ", ">= 5x RQ", _at_least(5)),
    Row("drain, 1 at a time, no fork", "drain-simple", "rate", "RQ", "(RQ SimpleWorker)"),
    Row("pickup p50/p99, thread mode", "pickup-thread", "latency", "Huey", "<= 1 / 2 ms"),
    Row("pickup p50/p99, fork per job", "pickup-fork", "latency", "RQ", "(RQ Worker)"),
    Row(
        "peak RSS, thread-mode worker",
        "drain-thread-1",
        "rss",
        "RQ",
        "<= RQ SimpleWorker",
        _at_most_peer,
        peer_scenario="drain-simple",
    ),
    Row(
        "peak RSS, fork-per-job worker",
        "drain-fork",
        "rss",
        "RQ",
        "<= RQ SimpleWorker",
        _at_most_peer,
        peer_scenario="drain-simple",
    ),
]


NOTES = """\
N: jobs per run (pickup: jobs measured). Drains time from the first job done to the last.
Pickup, fork per job: jobs arrive at 100/s; a worker that drains slower than that (see the fork
drain) falls behind, and what is measured is mostly the wait behind the backlog.
Peak RSS: each worker process's high-water mark (VmHWM), the RQ column is its SimpleWorker."""


def _latency_met(ours: Measurement) -> bool:
    return (ours.p50_ms or 0) <= 1.0 and (ours.p99_ms or 0) <= 2.0


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


def main_table(found: dict[tuple[str, str], Measurement]) -> str:
    """Every scenario, our number next to the peers', the ratio and whether the target is met."""
    lines = []
    for row in ROWS:
        ours = found.get((row.scenario, "ours"))
        cells = [row.title, str(ours.jobs) if ours else "-"]
        for system in SYSTEMS:
            scenario = (
                row.peer_scenario if system == row.peer and row.peer_scenario else row.scenario
            )
            cells.append(_show(found.get((scenario, system)), row.kind))
        peer = found.get((row.peer_scenario or row.scenario, row.peer or ""))
        cells += [_ratio(row, ours, peer), row.target, _met(row, ours, peer)]
        lines.append(cells)
    header = ["scenario", "N", *SYSTEMS, "ours/peer", "target", "met"]
    return _table(header, lines)


def _ratio(row: Row, ours: Measurement | None, peer: Measurement | None) -> str:
    mine, theirs = _value(ours, row.kind), _value(peer, row.kind)
    if mine is None or not theirs:
        return "-"
    return f"{mine / theirs:.2f}x {row.peer}"


def _met(row: Row, ours: Measurement | None, peer: Measurement | None) -> str:
    mine = _value(ours, row.kind)
    if ours is None or mine is None:
        return "-"
    if row.kind == "latency" and row.scenario == "pickup-thread":
        return "yes" if _latency_met(ours) else "NO"
    if row.met is None:
        return ""
    return "yes" if row.met(mine, _value(peer, row.kind)) else "NO"


def cost_table(measurements: Iterable[Measurement]) -> str:
    """Per job, over each drain: Redis commands, CPU of the workers and of Redis, memory."""
    lines = []
    for m in measurements:
        if not m.scenario.startswith("drain") or m.rate is None:
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
                " + ".join(f"{mib:.0f}" for mib in m.peak_rss_mib),
            ]
        )
    header = ["drain", "system", "workers", "jobs/s", "cmds/job", "evalsha/job"]
    header += ["worker CPU ms/job", "Redis CPU ms/job", "peak RSS MiB"]
    return _table(header, lines)


def commands_table(measurements: Iterable[Measurement], least: float = 0.01) -> str:
    """Redis commands per job by name (Lua's inner calls included), one column per run."""
    runs = [m for m in measurements if m.commands and m.scenario.startswith("drain")]
    names = sorted(
        {name for m in runs for name, calls in m.commands.items() if calls >= least},
        key=lambda name: -max(m.commands.get(name, 0) for m in runs),
    )
    header = ["command", *(f"{m.system} {m.scenario.removeprefix('drain-')}" for m in runs)]
    lines = [[name, *(f"{m.commands.get(name, 0):.2f}" for m in runs)] for name in names]
    lines.append(["total", *(f"{m.commands_per_job or 0:.2f}" for m in runs)])
    return _table(header, lines)
