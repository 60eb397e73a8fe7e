"""``python -m chapters prove``: every checkpoint is honest, checked in a throwaway copy.

For each written chapter N, in a copy of the repository (never the working tree):

1. at chapter N's start, checkpoint N must fail: it checks something the learner has not done;
2. with chapter N's solution, checkpoints 1 to N must pass;

and finally, back at the finished code, the copy must be byte for byte what it was: the copy
is a fresh git repository, so ``git status`` must show nothing.

The copy holds the files git knows about, committed or not (``git ls-files --cached
--others --exclude-standard``), runs with this Python (so the same virtualenv), keeps its
runtime files in its own ``var/``, and has its own Redis. It prints a table and exits 1 if
any expectation fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from chapters.tool import CHAPTERS, ROOT
from jobs.local_redis import PrivateRedis

SNAPSHOT = ["-c", "user.name=prove", "-c", "user.email=prove@localhost"]


@dataclass(frozen=True)
class Step:
    what: str
    expected: str  # "fails" or "passes"
    actual: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def copy_repository(source: Path, target: Path) -> None:
    """Copy the files git knows about (tracked or not ignored) and commit them in ``target``."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listing.split("\0")):
        path = source / name
        if path.is_file():  # a tracked file deleted in the working tree is skipped
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *SNAPSHOT, *command], cwd=target, check=True)


class Copy:
    """A copy of the repository, and the chapter tool run inside it."""

    def __init__(self, root: Path, redis_url: str) -> None:
        self.root = root
        self.env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "JOBS_VAR_DIR": str(root / "var"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        for name in ("DATABASE_URL", "PUBLISH_DELAY", "JOBS_NAMESPACE"):
            self.env.pop(name, None)

    def tool(self, *args: str) -> None:
        done = self._run([sys.executable, "-m", "chapters", *args])
        if done.returncode != 0:
            raise RuntimeError(f"`python -m chapters {' '.join(args)}` failed:\n{done.stdout}")

    def checkpoints(self, numbers: list[int]) -> tuple[str, float]:
        folders = [str(self.root / "chapters" / CHAPTERS[n - 1].folder) for n in numbers]
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", *folders, "-q", "--tb=short"]
        done = self._run([*command, "-p", "no:cacheprovider"])
        return ("passes" if done.returncode == 0 else "fails"), time.monotonic() - started

    def status(self) -> str:
        return self._run(["git", "status", "--porcelain"]).stdout

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=self.root, env=self.env, capture_output=True, text=True, check=False
        )


def prove_chapter(copy: Copy, number: int) -> list[Step]:
    copy.tool("start", str(number))
    at_start, took = copy.checkpoints([number])
    steps = [Step(f"chapter {number} start: checkpoint {number}", "fails", at_start, took)]
    copy.tool("solution", str(number))
    earlier = list(range(1, number + 1))
    solved, took = copy.checkpoints(earlier)
    what = f"chapter {number} solution: checkpoints {', '.join(map(str, earlier))}"
    steps.append(Step(what, "passes", solved, took))
    return steps


def prove(source: Path = ROOT) -> int:
    """Run the proof; print the table; 0 if every expectation holds."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chapters-prove-") as temp:
        root = Path(temp) / "repo"
        copy_repository(source, root)
        with PrivateRedis(Path(temp) / "redis") as server:
            copy = Copy(root, server.url)
            steps = []
            for chapter in (c for c in CHAPTERS if c.written):
                steps += prove_chapter(copy, chapter.number)
            copy.tool("finished")
            leftover = copy.status()
    steps.append(Step("finished again: git status", "clean", leftover or "clean", 0.0))
    _print_table(steps, leftover, time.monotonic() - started)
    return 0 if all(step.ok for step in steps) else 1


def _print_table(steps: list[Step], leftover: str, seconds: float) -> None:
    print(f"{'step':<52} {'expected':<9} {'got':<9} {'time':>6}")
    for step in steps:
        mark = "" if step.ok else "   <-- WRONG"
        got = step.actual if step.actual in ("passes", "fails", "clean") else "changed"
        print(f"{step.what:<52} {step.expected:<9} {got:<9} {step.seconds:5.1f}s{mark}")
    if leftover:
        print(f"\nFiles not back to the finished code:\n{leftover}")
    print(f"\n{sum(s.ok for s in steps)} of {len(steps)} as expected, in {seconds:.0f} s.")
