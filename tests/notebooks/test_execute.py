"""The notebooks run top to bottom and make their figures (`make notebooks`, and CI).

The runner's own checks run whenever the notebooks extra is installed (a few seconds). Every
notebook at its small size takes a minute or so each, so that runs only when asked:
``NOTEBOOKS_EXECUTE=1`` (CI's notebooks step sets it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("nbclient", reason="the notebooks extra is not installed (make notebooks)")
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from notebooks import clean
from notebooks.execute import execute

EXECUTE_ALL = os.environ.get("NOTEBOOKS_EXECUTE") == "1"
SAVES_A_FIGURE = """
import matplotlib.pyplot as plt
from notebooks import lab
figure, axes = plt.subplots()
axes.plot([1, 2, 3], [1, 4, 9])
lab.save(figure, "tiny")
plt.show()
"""


def _notebook(folder: Path, *sources: str, figures: tuple[str, ...] = ("tiny",)) -> Path:
    notebook = new_notebook(cells=[new_code_cell(source) for source in sources])
    notebook.metadata["workshop"] = {"figures": list(figures)}
    path = folder / "tiny.ipynb"
    nbformat.write(notebook, path)
    return path


def test_a_notebook_that_makes_its_figure_passes(tmp_path: Path) -> None:
    result = execute(_notebook(tmp_path, SAVES_A_FIGURE), tmp_path / "out", small=True)
    assert result.problems == []
    assert result.figures == [tmp_path / "out" / "figures" / "tiny.png"]
    assert (tmp_path / "out" / "tiny.ipynb").is_file()  # the executed copy


def test_a_cell_that_raises_fails_the_notebook(tmp_path: Path) -> None:
    path = _notebook(tmp_path, SAVES_A_FIGURE, "raise ValueError('the API is down')")
    result = execute(path, tmp_path / "out", small=True)
    assert result.problems == ["ValueError: the API is down"]


def test_a_figure_not_written_fails_the_notebook(tmp_path: Path) -> None:
    path = _notebook(tmp_path, SAVES_A_FIGURE, figures=("tiny", "another"))
    result = execute(path, tmp_path / "out", small=True)
    assert result.problems == [
        "figure another.png was not written by this run",
        "shows 1 pictures, fewer than its 2 figures",
    ]


def test_the_small_size_is_what_the_notebook_sees(tmp_path: Path) -> None:
    says = "from notebooks import lab\nassert lab.small_run()\n" + SAVES_A_FIGURE
    assert execute(_notebook(tmp_path, says), tmp_path / "out", small=True).ok
    assert not execute(_notebook(tmp_path, says), tmp_path / "out", small=False).ok


@pytest.mark.skipif(not EXECUTE_ALL, reason="a minute a notebook: NOTEBOOKS_EXECUTE=1 (CI)")
@pytest.mark.parametrize("path", clean.notebooks(), ids=lambda path: path.stem)
def test_each_notebook_runs_at_its_small_size_and_makes_its_figures(
    path: Path, tmp_path: Path
) -> None:
    result = execute(path, tmp_path, small=True)
    assert result.problems == []
    assert len(result.figures) >= 1
    print(f"{path.stem}: {result.seconds:.1f} s")  # shown with -s; CI's log keeps the times
    assert result.seconds < 120, "the small size is meant to take under a minute"
