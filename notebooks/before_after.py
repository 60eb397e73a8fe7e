"""Response times before and after each chapter, from the code ``make measure`` runs.

The "before" of chapter N is the app at chapter N's start; its "after" is chapter N's
solution (the start of chapter N + 1, or the finished code after the last chapter). Both are
measured in a throwaway copy of the repository (as ``python -m chapters prove`` makes one,
:func:`chapters.prove.copy_repository`), switched by the chapter tool: your own working tree
is never switched, whatever chapter you are at.

Each measurement runs :func:`blog_app.workshop.measure.measure` in a fresh Python inside the
copy, so it runs the copy's code as switched, against its own private Redis and stand-ins.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from chapters.prove import Copy, copy_repository
from chapters.tool import CHAPTERS, FINISHED, ROOT, switch
from jobs.dev.local_redis import PrivateRedis

# What each chapter speeds up, by the name `python -m blog_app.workshop.measure --only` takes.
ACTION_OF_CHAPTER = {
    1: "publish", 2: "publish", 3: "upload", 4: "comment", 5: "login", 6: "mail",
    7: "dashboard",
}  # fmt: skip

MEASURE = """
import json, sys, tempfile
from pathlib import Path
from blog_app.workshop.measure import ACTIONS, Plan, measure
only, delay = tuple(sys.argv[1].split(",")), float(sys.argv[2])
plan = Plan(articles=2000, comments=10000, delay=delay, expired_sessions=2000, only=only)
with tempfile.TemporaryDirectory() as folder:
    timings = list(measure(Path(folder), plan).values())
names = [name for name in ACTIONS if name in only]
print(json.dumps({name: [t.request, t.jobs] for name, t in zip(names, timings)}))
"""


@dataclass(frozen=True)
class Timing:
    request: float  # seconds until the response
    jobs: float | None  # seconds the jobs it enqueued took; None if it enqueued none


@dataclass(frozen=True)
class BeforeAfter:
    chapter: int
    title: str
    action: str
    before: Timing
    after: Timing


def measure_chapters(folder: Path, delay: float) -> list[BeforeAfter]:
    """Before and after every written chapter, in a copy made in ``folder``."""
    written = [chapter for chapter in CHAPTERS if chapter.written]
    root = folder / "repo"
    copy_repository(ROOT, root)
    seen: dict[tuple[int, str], Timing] = {}
    with PrivateRedis(folder / "redis") as server:
        copy = Copy(root, server.url)
        positions = [chapter.number for chapter in written] + [FINISHED]
        for earlier, position in zip([0, *positions], positions, strict=False):
            wanted = {ACTION_OF_CHAPTER[n] for n in (earlier, position) if n in ACTION_OF_CHAPTER}
            switch(position, root / "var", root=root)
            for action, timing in _measure(copy, sorted(wanted), delay).items():
                seen[position, action] = timing
    return [_before_after(chapter.number, chapter.title, positions, seen) for chapter in written]


def _before_after(
    number: int, title: str, positions: list[int], seen: dict[tuple[int, str], Timing]
) -> BeforeAfter:
    action = ACTION_OF_CHAPTER[number]
    after = positions[positions.index(number) + 1]
    return BeforeAfter(number, title, action, seen[number, action], seen[after, action])


def _measure(copy: Copy, actions: list[str], delay: float) -> dict[str, Timing]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, ",".join(actions), str(delay)],
        cwd=copy.root, env=copy.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"measuring {actions} failed:\n{done.stderr[-2000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: Timing(request, jobs) for name, (request, jobs) in found.items()}
