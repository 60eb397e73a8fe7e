"""The notebooks are stored clean, and each says what it takes and what it makes.

These read the notebooks' JSON with the standard library only: they run in `make test`,
without the notebooks extra.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from notebooks import clean

NOTEBOOKS = clean.notebooks()


def _cells(path: Path) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(path.read_text())["cells"]
    return cells


def test_the_notebooks_are_there() -> None:
    assert [path.stem for path in NOTEBOOKS] == [
        "01_response_times",
        "02_inside_a_job",
        "03_fork_versus_threads",
        "04_retries_and_backoff",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_stored_without_outputs_or_execution_counts(path: Path) -> None:
    assert clean.problems(path) == []


def test_a_notebook_with_outputs_or_counts_is_named(tmp_path: Path) -> None:
    dirty = {
        "cells": [
            {"cell_type": "markdown", "source": "# Title", "metadata": {}},
            {"cell_type": "code", "source": "1", "outputs": [], "execution_count": 3},
            {"cell_type": "code", "source": "2", "execution_count": None,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "2"}]},
        ]
    }  # fmt: skip
    (tmp_path / "dirty.ipynb").write_text(json.dumps(dirty))
    assert clean.problems(tmp_path / "dirty.ipynb") == [
        "dirty.ipynb: cell 2 has an execution count",
        "dirty.ipynb: cell 3 has outputs",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_each_has_a_parameter_cell_and_lists_its_figures(path: Path) -> None:
    """A parameter cell near the top (tagged "parameters", as papermill and JupyterLab know
    it) whose sizes follow the small run, and the figures the runner checks for."""
    cells = _cells(path)
    tagged = [i for i, cell in enumerate(cells) if "parameters" in cell["metadata"].get("tags", [])]
    assert tagged and tagged[0] <= 2, "the parameter cell comes first after the title"
    assert "small_run()" in "".join(cells[tagged[0]]["source"])
    figures = json.loads(path.read_text())["metadata"]["workshop"]["figures"]
    assert figures and all(isinstance(name, str) for name in figures)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_each_teaches_and_closes_what_it_started(path: Path) -> None:
    cells = _cells(path)
    prose = [cell for cell in cells if cell["cell_type"] == "markdown"]
    assert len(prose) >= 4, "prose between the steps: what we measure, what to notice"
    assert "experiment.close()" in "".join(cells[-1]["source"])
