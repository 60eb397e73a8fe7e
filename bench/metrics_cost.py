"""What the run-time metrics cost: our drain with and without them, in the same run.

The machine this runs on is shared, so two runs minutes apart differ more than the metrics
cost. Here the two take turns (on, off, off, on, ...) on the same private Redis, several
rounds each, and the medians are compared: whatever else loads the machine loads both sides
about equally. Besides jobs per second, which other programs sway most, each line gives CPU
per job (the workers' and Redis's, which sway less) and Redis commands per job (exact: the
commands the metrics add inside the settling scripts).
"""

from __future__ import annotations

import statistics

from bench import scenarios
from bench.harness import Bench
from bench.measure import Measurement
from bench.ours import Ours
from bench.scenarios import Drain, Sizes
from bench.system import WorkerMode

# Rounds per side: thread-mode drains take seconds, fork-per-job ones tens of seconds.
ROUNDS: dict[WorkerMode, int] = {"thread": 7, "fork": 3}
MODES: dict[WorkerMode, str] = {"thread": "1 process, 10 threads", "fork": "fork per job"}


def measure_metrics_cost(bench: Bench, sizes: Sizes, quick: bool = False) -> list[str]:
    """One line per mode: medians with metrics on and off, and their ratios (``quick``: one
    round each, a smoke run)."""
    on, off = Ours(), Ours(metrics=False)
    lines = []
    for mode, described in MODES.items():
        count = sizes.drain if mode == "thread" else sizes.fork
        runs: dict[bool, list[Measurement]] = {True: [], False: []}
        rounds = 1 if quick else ROUNDS[mode]
        for round_ in range(rounds):
            for system in (on, off) if round_ % 2 == 0 else (off, on):
                command = system.worker_command(mode)
                assert command is not None
                run = Drain("metrics-cost", command, described, 1, count)
                measured = scenarios.drain(bench, system, run)
                runs[system.metrics].append(measured)
        lines.append(f"{described}, {count} jobs, {rounds} rounds each:" + _compare(runs))
    return lines


def _compare(runs: dict[bool, list[Measurement]]) -> str:
    parts = []
    for what, read in (
        ("jobs/s", lambda m: m.rate or 0.0),
        ("worker CPU ms/job", lambda m: m.worker_cpu_ms or 0.0),
        ("Redis CPU ms/job", lambda m: m.redis_cpu_ms or 0.0),
        ("Redis commands/job", lambda m: m.commands_per_job or 0.0),
    ):
        with_ = statistics.median(read(m) for m in runs[True])
        without = statistics.median(read(m) for m in runs[False])
        rounds = ", ".join(f"{read(m):.3g}" for m in runs[True])
        rounds_off = ", ".join(f"{read(m):.3g}" for m in runs[False])
        parts.append(
            f"{what} on {with_:.4g} / off {without:.4g} = {with_ / without:.3f}"
            f" (rounds on: {rounds}; off: {rounds_off})"
        )
    return "\n    ".join(["", *parts])
