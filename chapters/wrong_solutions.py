"""Typical wrong solutions, kept as data: each chapter's ``wrong_solutions.toml``.

Each entry is a mistake learners make, written as edits to the chapter's finished code (find
this text, put that instead), never as a file of answer code. ``python -m chapters prove``
applies each one in its throwaway copy, at the chapter's solution, and checks that the
checkpoint fails and that its message names the mistake (the entry's ``says``)::

    [[wrong]]
    what = "sleeps a fixed two seconds, ignoring delay"
    says = "ignores `delay`"

    [[wrong.edit]]
    file = "blog_app/models/article.py"
    find = "time.sleep(delay)"
    replace = "time.sleep(2)"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "wrong_solutions.toml"


class EditDoesNotApply(ValueError):
    """A wrong solution's ``find`` text is not in the file once: the finished code changed."""


@dataclass(frozen=True)
class Edit:
    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class WrongSolution:
    what: str  # the mistake, in a few words
    says: str  # what the checkpoint's message must say about it
    edits: tuple[Edit, ...]


def load(chapter_folder: Path) -> list[WrongSolution]:
    """The wrong solutions listed for the chapter in this folder (none if there is no file)."""
    path = chapter_folder / FILE_NAME
    if not path.is_file():
        return []
    entries = tomllib.loads(path.read_text()).get("wrong", [])
    return [
        WrongSolution(
            entry["what"], entry["says"], tuple(Edit(**edit) for edit in entry.get("edit", []))
        )
        for entry in entries
    ]


def apply(root: Path, wrong: WrongSolution) -> dict[Path, str]:
    """Make the mistake in the files under ``root``; returns each file's text before, to put
    back. Raises EditDoesNotApply (and changes nothing) if an edit's text is not found once."""
    before: dict[Path, str] = {}
    after: dict[Path, str] = {}
    for edit in wrong.edits:
        path = root / edit.file
        before.setdefault(path, path.read_text())
        text = after.get(path, before[path])
        if text.count(edit.find) != 1:
            raise EditDoesNotApply(
                f"{wrong.what!r}: {edit.file} holds {text.count(edit.find)} copies of"
                f" {edit.find!r}, not one. Update {FILE_NAME} to the finished code."
            )
        after[path] = text.replace(edit.find, edit.replace)
    for path, text in after.items():
        path.write_text(text)
    return before
