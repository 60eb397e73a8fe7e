"""``python -m chapters prove``: every checkpoint is honest, checked in a throwaway copy.

For each written chapter N, in a copy of the repository (never the working tree):

1. at chapter N's start, no managed file may hold the finished code of chapter N or a later
   one, not even commented out (:func:`chapters.regions.leaked`);
2. at chapter N's start, checkpoint N must fail: it checks something the learner has not done;
3. with chapter N's solution, checkpoints 1 to N must pass;
4. each typical wrong solution listed for chapter N (:mod:`chapters.wrong_solutions`), made in
   the solution's files, must fail checkpoint N with a message that names the mistake;

and finally, back at the finished code, the copy must be byte for byte what it was: the copy
is a fresh git repository, so ``git status`` must show nothing.

The copy holds the files git knows about, committed or not (``git ls-files --cached
--others --exclude-standard``), with the finished code of every managed file (from git, if
the working tree is at a chapter's start), runs with this Python (so the same virtualenv), keeps its
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

from chapters import sources, wrong_solutions
from chapters.regions import leaked
from chapters.tool import CHAPTERS, ROOT, finished_files
from jobs.dev.local_redis import PrivateRedis

SNAPSHOT = ["-c", "user.name=prove", "-c", "user.email=prove@localhost"]


@dataclass(frozen=True)
class Step:
    what: str
    expected: str  # "fails", "passes", "clean" or "none"
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
    for name in sources.managed_files(source):
        finished = sources.finished_text(source, name, prefer_working_tree=True)
        if finished is not None:
            (target / name).write_text(finished)
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

    def tool(self, *args: str) -> str:
        """Run ``python -m chapters ARGS`` in the copy; returns what it printed."""
        done = self._run([sys.executable, "-m", "chapters", *args])
        if done.returncode != 0:
            raise RuntimeError(f"`python -m chapters {' '.join(args)}` failed:\n{done.stdout}")
        return done.stdout

    def checkpoints(self, numbers: list[int], *options: str) -> tuple[str, float, str]:
        """Run the checkpoints: "passes" or "fails", the seconds taken, and what they said."""
        folders = [str(self.root / "chapters" / CHAPTERS[n - 1].folder) for n in numbers]
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", *folders, "-q", "--tb=short", *options]
        done = self._run([*command, "-p", "no:cacheprovider"])
        verdict = "passes" if done.returncode == 0 else "fails"
        return verdict, time.monotonic() - started, done.stdout

    def status(self) -> str:
        return self._run(["git", "status", "--porcelain"]).stdout

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=self.root, env=self.env, capture_output=True, text=True, check=False
        )


def prove_chapter(copy: Copy, number: int, finished: dict[str, str]) -> list[Step]:
    copy.tool("start", str(number))
    steps = [_no_answers_at_start(copy, number, finished)]
    at_start, took, _said = copy.checkpoints([number])
    steps.append(Step(f"chapter {number} start: checkpoint {number}", "fails", at_start, took))
    copy.tool("solution", str(number))
    # Only written chapters have a checkpoint: chapter 5 may be written before chapter 4.
    earlier = [c.number for c in CHAPTERS if c.written and c.number <= number]
    solved, took, _said = copy.checkpoints(earlier)
    what = f"chapter {number} solution: checkpoints {', '.join(map(str, earlier))}"
    steps.append(Step(what, "passes", solved, took))
    for wrong in wrong_solutions.load(copy.root / "chapters" / CHAPTERS[number - 1].folder):
        steps.append(_wrong_solution_fails(copy, number, wrong))
    return steps


def _no_answers_at_start(copy: Copy, number: int, finished: dict[str, str]) -> Step:
    found = [
        f"{name}: {line.strip()}"
        for name, text in finished.items()
        for line in leaked((copy.root / name).read_text(), text, Path(name), number)
    ]
    what = f"chapter {number} start: finished code in the files"
    return Step(what, "none", "\n".join(found) or "none", 0.0)


def _wrong_solution_fails(copy: Copy, number: int, wrong: wrong_solutions.WrongSolution) -> Step:
    what = f"  wrong: {wrong.what}"
    try:
        before = wrong_solutions.apply(copy.root, wrong)
    except wrong_solutions.EditDoesNotApply as error:
        return Step(what, "fails", str(error), 0.0)
    try:
        verdict, took, said = copy.checkpoints([number], "-x")
    finally:
        for path, text in before.items():
            path.write_text(text)
    if verdict == "fails" and wrong.says not in said:
        verdict = f"fails without saying {wrong.says!r}:\n{said[-1500:]}"
    return Step(what, "fails", verdict, took)


def prove(source: Path = ROOT) -> int:
    """Run the proof; print the table; 0 if every expectation holds."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chapters-prove-") as temp:
        root = Path(temp) / "repo"
        copy_repository(source, root)
        with PrivateRedis(Path(temp) / "redis") as server:
            copy = Copy(root, server.url)
            finished = finished_files(root)
            steps = []
            for chapter in (c for c in CHAPTERS if c.written):
                steps += prove_chapter(copy, chapter.number, finished)
            copy.tool("finished")
            leftover = copy.status()
    steps.append(Step("finished again: git status", "clean", leftover or "clean", 0.0))
    _print_table(steps, leftover, time.monotonic() - started)
    return 0 if all(step.ok for step in steps) else 1


def _print_table(steps: list[Step], leftover: str, seconds: float) -> None:
    print(f"{'step':<76} {'expected':<8} {'got':<8} {'time':>6}")
    for step in steps:
        mark = "" if step.ok else "   <-- WRONG"
        got = step.actual if step.actual in ("passes", "fails", "clean", "none") else "other"
        print(f"{step.what:<76} {step.expected:<8} {got:<8} {step.seconds:5.1f}s{mark}")
        if not step.ok:
            for line in step.actual.splitlines():
                print(f"      {line}")
    if leftover:
        print(f"\nFiles not back to the finished code:\n{leftover}")
    print(f"\n{sum(s.ok for s in steps)} of {len(steps)} as expected, in {seconds:.0f} s.")
