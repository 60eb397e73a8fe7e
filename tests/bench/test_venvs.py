"""The benchmark's virtualenvs (bench/venvs.py): one that cannot be made says why and leaves
nothing half-made behind. (Making and reusing them for real is in test_bench_smoke.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import venvs


def test_a_virtualenv_that_cannot_be_made_says_why_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # as on a machine without the package index
    with pytest.raises(venvs.VenvError, match=r"could not make .*peer \(rq\): .*rq"):
        venvs.python("peer", ["rq"], root=tmp_path)
    assert not (tmp_path / "peer").exists()


def test_version_in_names_the_missing_package() -> None:
    with pytest.raises(venvs.VenvError, match="no-such-package is not installed"):
        venvs.version_in(sys.executable, "no-such-package")
