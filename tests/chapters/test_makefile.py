"""`make help` lists the chapter targets and the variables a learner sets, with their values."""

from __future__ import annotations

import subprocess

from chapters.tool import ROOT


def _help(*variables: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "help", *variables],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return done.stdout


def test_help_lists_the_chapter_targets() -> None:
    listed = [line.split()[1] for line in _help().splitlines() if line.startswith("  make ")]
    for target in ("chapters", "chapter-N", "chapter-N-start", "chapter-N-solution"):
        assert target in listed


def test_help_shows_the_variables_with_their_values_and_nothing_unexpanded() -> None:
    text = _help("PORT=5101", "MONITOR_PORT=5701")
    assert "PORT=5101" in text and "MONITOR_PORT=5701" in text
    assert "http://127.0.0.1:5701" in text
    assert "$(" not in text
