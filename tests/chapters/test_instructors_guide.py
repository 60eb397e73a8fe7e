"""docs/instructors.md lists every typical wrong solution the checkpoints are proven against, with
the words the checkpoint says, so that an instructor can read a learner's failing checkpoint."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "instructors.md"
ROW = re.compile(r"^\| (\d) \| (.+?) \| (.+?) \|$", re.MULTILINE)


def wrong_solutions() -> set[tuple[int, str, str]]:
    found = set()
    for path in sorted(ROOT.glob("chapters/0*_*/wrong_solutions.toml")):
        chapter = int(path.parent.name[:2])
        for wrong in tomllib.loads(path.read_text(encoding="utf-8"))["wrong"]:
            found.add((chapter, wrong["what"], wrong["says"]))
    return found


def guide_rows() -> set[tuple[int, str, str]]:
    rows = ROW.findall(GUIDE.read_text(encoding="utf-8"))
    return {(int(chapter), what, says) for chapter, what, says in rows}


def test_the_guide_lists_every_wrong_solution_with_what_the_checkpoint_says() -> None:
    listed = {(chapter, what) for chapter, what, _ in guide_rows()}
    missing = {(c, what) for c, what, _ in wrong_solutions() if (c, what) not in listed}
    assert not missing, f"docs/instructors.md has no row for: {sorted(missing)}"
    says = {(chapter, what): quote for chapter, what, quote in guide_rows()}
    for chapter, what, quoted in wrong_solutions():
        assert quoted in says[chapter, what], (chapter, what, says[chapter, what])
