"""Where the chapter tool finds the finished code: in git, never in a copy of its own.

At a chapter's start, the files the tool manages hold none of that chapter's finished code
(:mod:`chapters.regions`), so the working tree cannot give it back. Git can. For each file:

1. the version committed at ``HEAD``, if it has its regions (a fresh clone, or main);
2. else the newest committed version that has them (you committed your own work on top);
3. else, without git, the file in the working tree if it still has its regions.

A file is managed if any of these holds regions, under the folders the tool switches.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from chapters.regions import has_regions

# Where regions may live: the app, its templates and static files.
SWITCHED = ("blog_app",)
SUFFIXES = (".py", ".html", ".js")
HISTORY_LIMIT = 50  # commits of one file searched for a version with regions


def _git(root: Path, *args: str) -> str | None:
    """git's output, or None without git, outside a repository, or on an error."""
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    except OSError:
        return None
    return done.stdout.decode() if done.returncode == 0 else None


def _is_managed_name(name: str) -> bool:
    return name.startswith(tuple(f"{top}/" for top in SWITCHED)) and name.endswith(SUFFIXES)


def working_tree_files(root: Path) -> list[str]:
    """Files of the working tree that hold regions (all of them, when it is finished)."""
    found = []
    for top in SWITCHED:
        for path in sorted((root / top).rglob("*")):
            name = str(path.relative_to(root))
            if _is_managed_name(name) and path.is_file() and has_regions(path.read_text(), path):
                found.append(name)
    return found


def committed_files(root: Path) -> list[str]:
    """Files that hold regions as committed at HEAD."""
    listing = _git(root, "grep", "-l", "-E", "chapter [0-9]+ end", "HEAD", "--", *SWITCHED)
    names = [line.removeprefix("HEAD:") for line in (listing or "").splitlines()]
    return [name for name in names if _is_managed_name(name)]


def managed_files(root: Path, known: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Every file the tool manages: with regions at HEAD or in the working tree, and those
    it wrote before (``known``: their regions may be in an older commit only)."""
    return sorted({*committed_files(root), *working_tree_files(root), *known})


def finished_text(root: Path, name: str, prefer_working_tree: bool = False) -> str | None:
    """The finished version of ``name`` (see the module's docstring), or None if none is found.
    ``prefer_working_tree``: a working-tree file with regions comes first (for the proof,
    which checks the regions as you are editing them)."""
    path = root / name
    working = path.read_text() if path.is_file() else None
    if prefer_working_tree and working is not None and has_regions(working, path):
        return working
    head = _git(root, "show", f"HEAD:{name}")
    if head is not None and has_regions(head, path):
        return head
    commits = _git(root, "rev-list", f"--max-count={HISTORY_LIMIT}", "HEAD", "--", name)
    for commit in (commits or "").split()[1:]:
        older = _git(root, "show", f"{commit}:{name}")
        if older is not None and has_regions(older, path):
            return older
    if working is not None and has_regions(working, path):
        return working
    return None
