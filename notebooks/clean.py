"""Notebooks are stored clean: no outputs, no execution counts.

An executed notebook carries its outputs (pictures as base64, tracebacks, timings) and the
order its cells ran in, all of which change on every run: diffs of such a file are noise. So
the repository keeps only the cells; ``make notebooks`` writes the executed copies under
``var/notebooks/``. This check reads the JSON with the standard library only, so ``make lint``
needs no Jupyter.

    python -m notebooks.clean            # exit 1 and name each cell that is not clean

To clean a notebook you ran in place: in JupyterLab, Edit > Clear Outputs of All Cells, then
save (or ``jupyter nbconvert --clear-output --inplace notebooks/NAME.ipynb``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def notebooks(folder: Path = FOLDER) -> list[Path]:
    return sorted(folder.glob("*.ipynb"))


def problems(path: Path) -> list[str]:
    """What is not clean in the notebook at ``path``, one line each (empty: clean)."""
    cells = json.loads(path.read_text()).get("cells", [])
    found = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("outputs"):
            found.append(f"{path.name}: cell {number} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"{path.name}: cell {number} has an execution count")
    return found


def main() -> int:
    found = [line for path in notebooks() for line in problems(path)]
    for line in found:
        print(line)
    if found:
        print("Clear their outputs before committing (see notebooks/clean.py).")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
