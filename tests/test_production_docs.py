"""docs/production.md: its systemd unit is one systemd accepts (``systemd-analyze verify`` where
it is installed; parsed here in any case), and it stops workers the way the README says."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "docs" / "production" / "jobs-worker@.service"


def settings(text: str) -> dict[str, dict[str, str]]:
    """The unit's sections and their settings (the last of a repeated one), as systemd reads
    them: ``[Section]`` headers, ``Key=value`` lines, ``#`` comments."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if header := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(header[1], {})
            continue
        key, equals, value = line.partition("=")
        assert current is not None and equals, f"line {number} is not Key=value: {line!r}"
        current[key.strip()] = value.strip()
    return sections


def test_the_worker_unit_stops_workers_the_way_the_readme_says() -> None:
    unit = settings(UNIT.read_text())
    assert set(unit) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert service["KillMode"] == "mixed"  # TERM to the supervisor only: it counts once
    assert service["KillSignal"] == "SIGTERM"
    shutdown = float(re.search(r"--shutdown-timeout (\d+)", service["ExecStart"])[1])  # type: ignore[index]
    assert float(service["TimeoutStopSec"]) > shutdown  # jobs get their time before KILL
    assert service["ExecStart"].split()[1:4] == ["-m", "jobs", "work"]


def test_the_production_guide_shows_the_unit_file_as_it_is() -> None:
    guide = (ROOT / "docs" / "production.md").read_text()
    shown = re.search(r"```ini\n(.*?)```", guide, re.DOTALL)
    assert shown is not None and shown[1] == UNIT.read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_worker_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists and the user is known: point them at this
    # machine's Python and root, and drop the environment file (the app's, not ours).
    text = UNIT.read_text().replace("/srv/myapp/.venv/bin/python", sys.executable)
    text = re.sub(r"(?m)^(User|Group)=myapp$", r"\1=root", text)
    text = text.replace("EnvironmentFile=/", "EnvironmentFile=-/")
    unit = tmp_path / "jobs-worker@default.service"
    unit.write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # a setting it ignores is a warning here
