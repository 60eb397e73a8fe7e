"""``python -m bench --quick`` runs every scenario for every system, prints a row for each with
numbers, and leaves no process behind. No timings are asserted: speed is measured by the
benchmark itself, not by tests.

The peers run in virtualenvs of their own (made on first use: the first run needs the package
index), and Sidekiq from Debian's ``ruby-sidekiq``, which the run installs where it can; where it
cannot, the run says so and the Sidekiq checks are skipped with that message.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench import venvs
from bench.report import ROWS

REPO = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"\d")
# The rows where Sidekiq has a number: it has no fork-per-job or one-at-a-time worker.
SIDEKIQ_ROWS = [row for row in ROWS if "fork" not in row.scenario and "simple" not in row.scenario]

INSTALL = "the benchmark's extra: make .venv/.bench-installed (make bench installs it)"
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
        timeout=900,  # the first run makes the peers' virtualenvs and may install Sidekiq
    )
    return result, marker


def main_table(output: str) -> dict[str, dict[str, str]]:
    """The main table as {row title: {column: cell}}, columns cut where the dashes say."""
    lines = output.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("scenario"))
    spans = [match.span() for match in re.finditer(r"-+", lines[at + 1])]
    header = [lines[at][start:end].strip() for start, end in spans]
    table = {}
    for line in lines[at + 2 :]:
        if not line.strip() or line.startswith("N:"):
            break
        cells = [line[start:end].strip() for start, end in spans]
        table[cells[0]] = dict(zip(header, cells, strict=True))
    return table


def skip_if_a_peer_was_left_out(output: str) -> None:
    """Where the package index cannot be reached, the peers' virtualenvs cannot be made: the
    run goes on without them and says so; the checks that need them are skipped with that."""
    left_out = re.search(r"^left out: .*$", output, re.MULTILINE)
    if left_out:
        pytest.skip(left_out[0])


def test_quick_run_succeeds(quick_run: tuple[subprocess.CompletedProcess[str], str]) -> None:
    result, _ = quick_run
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_scenario_has_a_row_with_our_number(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    table = main_table(quick_run[0].stdout)
    for row in ROWS:
        assert row.title in table, f"no row for {row.title!r}"
        assert NUMBER.search(table[row.title]["ours"]), table[row.title]


def test_ours_is_measured_again_on_the_peers_redis_py(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    output = quick_run[0].stdout
    skip_if_a_peer_was_left_out(output)
    peers_client = re.search(r"Huey [\d.]+ \(redis-py ([\d.]+)\)", output)
    assert peers_client, output[:500]
    column = f"ours, redis-py {peers_client[1]}"
    table = main_table(output)
    for row in ROWS:
        assert NUMBER.search(table[row.title][column]), table[row.title]


def test_sidekiq_has_a_column_and_our_ratios_against_it(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    output = quick_run[0].stdout
    left_out = re.search(r"^Sidekiq left out: .*$", output, re.MULTILINE)
    if left_out:
        pytest.skip(left_out[0])
    assert re.search(r"Sidekiq [\d.]+ \(redis-rb", output), output[:500]
    table = main_table(output)
    for row in SIDEKIQ_ROWS:
        assert NUMBER.search(table[row.title]["Sidekiq"]), table[row.title]
        if any(against.peer == "Sidekiq" for against in row.against):
            assert re.search(r"\dx Sidekiq", table[row.title]["ours/peer"]), table[row.title]


def test_count_2_is_compared_with_two_separate_processes(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    row = main_table(quick_run[0].stdout)["drain, COUNT=2 THREADS=10"]
    assert re.search(r"\dx 2 separate", row["ours/peer"]), row


def test_peers_run_in_their_own_virtualenvs_made_once(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    output = quick_run[0].stdout
    skip_if_a_peer_was_left_out(output)
    table = main_table(output)
    assert NUMBER.search(table["drain, 1 process x 10 threads"]["Huey"])
    assert NUMBER.search(table["drain, fork per job"]["RQ"])
    for peer, package in (("huey", "huey"), ("rq", "rq")):
        stamp = venvs.VENVS / peer / venvs.STAMP
        made = stamp.stat().st_mtime_ns
        python = venvs.peer_python(peer)  # already there: used as it is
        assert stamp.stat().st_mtime_ns == made
        assert Path(python).parent.parent == venvs.VENVS / peer
        assert venvs.version_in(python, package)
        with pytest.raises(venvs.VenvError):
            venvs.version_in(python, "flask")  # none of the project's packages


def test_our_hot_paths_are_measured_on_each_redis_py(
    quick_run: tuple[subprocess.CompletedProcess[str], str],
) -> None:
    output = quick_run[0].stdout
    skip_if_a_peer_was_left_out(output)  # ours on the peers' redis-py needs the package index
    table = output[output.index("Our hot paths per job") :]
    header = next(line for line in table.splitlines() if line.startswith("per job"))
    assert "ours, redis-py" in header, header
    for path in ("enqueue", "enqueue_many", "fetch", "job INCR"):
        line = next(line for line in table.splitlines() if line.startswith(f"{path} "))
        assert len(re.findall(r"µs CPU, \d+ calls", line)) >= 2, line


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
