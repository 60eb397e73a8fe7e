"""The lessons' commands as ``python -m chapters lessons`` reads them (it runs them in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chapters.lessons import CHANGE_MARKER, commands
from chapters.tool import CHAPTERS, Chapter

WRITTEN = [chapter for chapter in CHAPTERS if chapter.written]


def test_commands_are_the_lines_of_sh_blocks_in_order(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "Intro `make nothing`\n```sh\nmake one\n# a comment\n\nmake two\n```\n"
        f"```python\nnot_a_command()\n```\n{CHANGE_MARKER}\n```text\nkill -9 <pid>\n```\n"
        "```sh\n  make three\n```\n"
    )
    assert list(commands(readme)) == ["make one", "make two", CHANGE_MARKER, "make three"]


@pytest.mark.parametrize("chapter", WRITTEN, ids=lambda c: c.folder)
def test_each_lesson_starts_its_chapter_makes_the_change_once_and_checks_it(
    chapter: Chapter,
) -> None:
    steps = list(commands(chapter.path / "README.md"))
    assert steps[0] == f"make chapter-{chapter.number}-start"
    assert steps.count(CHANGE_MARKER) == 1
    assert f"make chapter-{chapter.number}" in steps[steps.index(CHANGE_MARKER) :]
