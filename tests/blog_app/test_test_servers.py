"""The test suite's own PostgreSQL finder: where it looks, and that it says what to install."""

from __future__ import annotations

import os
from pathlib import Path

from tests.blog_app.postgres import INSTALL_HINT, find_postgres_bin


def _fake_program(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    program = directory / name
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)


def test_programs_on_path_are_found_first(tmp_path: Path) -> None:
    for name in ("initdb", "postgres"):
        _fake_program(tmp_path / "bin", name)
    found = find_postgres_bin(path=str(tmp_path / "bin"), versioned=str(tmp_path / "none/*"))
    assert found == (tmp_path / "bin").resolve()


def test_debians_versioned_directories_are_searched_newest_first(tmp_path: Path) -> None:
    for version in ("13", "16"):
        for name in ("initdb", "postgres"):
            _fake_program(tmp_path / "lib" / version / "bin", name)
    found = find_postgres_bin(path=os.devnull, versioned=str(tmp_path / "lib/*/bin"))
    assert found == tmp_path / "lib" / "16" / "bin"


def test_nothing_found_means_none_and_the_hint_says_what_to_install(tmp_path: Path) -> None:
    assert find_postgres_bin(path=os.devnull, versioned=str(tmp_path / "*")) is None
    assert "apt-get install postgresql" in INSTALL_HINT
