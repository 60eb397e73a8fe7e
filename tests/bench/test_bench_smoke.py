"""``python -m bench --quick`` runs every scenario, prints a row for each with numbers, and
leaves no process behind. No timings are asserted: speed is measured by the benchmark itself,
not by tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.report import ROWS

REPO = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"\d")

INSTALL = "the benchmark's extra: make .venv/.bench-installed (make bench installs it)"
pytest.importorskip("huey", reason=INSTALL)
pytest.importorskip("rq", reason=INSTALL)
psutil = pytest.importorskip("psutil", reason=INSTALL)


def processes_marked(marker: str) -> list[Any]:
    """Every process whose environment carries ``marker``: whatever the run started."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("BENCH_SMOKE_RUN") == marker:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.fixture(scope="module")
def quick_run() -> tuple[subprocess.CompletedProcess[str], str]:
    marker = uuid.uuid4().hex
    environment = {**os.environ, "BENCH_SMOKE_RUN": marker}
    environment.pop("REDIS_URL", None)  # the benchmark starts its own Redis
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, marker


def test_quick_run_succeeds(quick_run: tuple[subprocess.CompletedProcess[str], str]) -> None:
    result, _ = quick_run
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_scenario_has_a_row_with_our_number(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    lines = quick_run[0].stdout.splitlines()
    header = next(line for line in lines if line.startswith("scenario"))
    ours = slice(header.index("ours"), header.index("Huey"))  # our column
    for row in ROWS:
        line = next((line for line in lines if line.startswith(row.title)), None)
        assert line is not None, f"no row for {row.title!r}"
        assert NUMBER.search(line[ours]), line


def test_commands_per_job_and_profile_are_printed(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    output = quick_run[0].stdout
    assert "Redis commands per job" in output
    assert re.search(r"^evalsha\s+\d", output, re.MULTILINE), output
    assert "Where a job's time goes" in output
    assert "What the run-time metrics cost" in output
    assert re.search(r"jobs/s on [\d.]+ / off [\d.]+", output), output


def test_no_process_is_left_behind(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    _, marker = quick_run
    left = processes_marked(marker)
    assert not left, [process.cmdline() for process in left]
