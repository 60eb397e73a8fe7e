"""The chapter tool: put the app at the start of a chapter, or back to its solution.

    python -m chapters                   # where you are: the first checkpoint that fails
    python -m chapters start 2           # chapter 1 done, chapters 2 and later not yet
    python -m chapters solution 2        # chapter 2's finished code back
    python -m chapters check 2           # chapter 2's checkpoint
    python -m chapters finished          # every chapter done: the code as committed
    python -m chapters prove             # CI: each checkpoint is honest (chapters.prove)

The code in the repository is the finished code of every chapter; the regions marked in it
(:mod:`chapters.regions`) say what each chapter changes. Putting the app at chapter N's start
shows the start side of every region of chapter N and later, under a TODO line, and the
finished side of every earlier one. The finished code always comes from git
(:mod:`chapters.sources`): at a chapter's start the files do not hold it.

``start`` also gives you a fresh dev blog and an empty queue, so that what you see belongs to
that chapter; ``solution`` leaves your data alone. Each says what it reset.

It never overwrites your work without asking: ``var/chapters/state.json`` remembers a hash of
each file it wrote. A managed file (code, template or static file, all alike) whose content is
neither what the tool wrote nor a version the tool can produce has been changed by you, and
the tool stops and names it; ``--force`` overwrites it, after saving a copy under
``var/chapters/saved/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from chapters import sources
from chapters.regions import RegionError, find_regions, render, syntax_for

ROOT = Path(__file__).resolve().parent.parent
FINISHED = 99  # a position after every chapter
# What a chapter's start leaves in the dev blog: the demo account and a few articles, no images
# (seeding makes their thumbnails inline, which would make every switch slow).
SEED_ARTICLES, SEED_COMMENTS = 5, 12


@dataclass(frozen=True)
class Chapter:
    number: int
    folder: str
    title: str

    @property
    def path(self) -> Path:
        return ROOT / "chapters" / self.folder

    @property
    def written(self) -> bool:
        return (self.path / "README.md").is_file()


CHAPTERS = [
    Chapter(1, "01_fake_delay", "Feel the problem: a fake delay"),
    Chapter(2, "02_sleeper_job", "Your first job: the Sleeper"),
    Chapter(3, "03_thumbnails", "Thumbnails in the background"),
    Chapter(4, "04_third_party_api", "Calling a slow third-party API"),
    Chapter(5, "05_session_expiry", "Expiring old sessions"),
    Chapter(6, "06_email", "Sending email"),
    Chapter(7, "07_word_counts", "Cached word counts"),
]


class ChapterError(Exception):
    """Something the learner should read and act on; printed without a traceback."""


def chapter(number: int) -> Chapter:
    """Chapter ``number``, if it is written; otherwise a ChapterError that says which are."""
    written = [c.number for c in CHAPTERS if c.written]
    for candidate in CHAPTERS:
        if candidate.number == number:
            if not candidate.written:
                raise ChapterError(
                    f"Chapter {number} ({candidate.title}) is not written yet."
                    f" Written so far: chapters {_span(written)}."
                )
            return candidate
    raise ChapterError(f"There is no chapter {number}; the chapters are 1 to {len(CHAPTERS)}.")


def _span(numbers: list[int]) -> str:
    if not numbers:
        return "none"
    return f"{numbers[0]} to {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


# -- what the tool wrote last ----------------------------------------------------------------


@dataclass
class State:
    """``var/chapters/state.json``: the position (the first chapter not done) and, per file
    the tool wrote, the sha256 of what it wrote."""

    path: Path
    position: int = FINISHED
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, var_dir: Path) -> State:
        path = var_dir / "chapters" / "state.json"
        if not path.is_file():
            return cls(path)
        data = json.loads(path.read_text())
        return cls(path, int(data.get("position", FINISHED)), dict(data.get("files", {})))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"position": self.position, "files": self.files}
        self.path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- switching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    name: str  # relative to the repository's root
    path: Path
    old: str | None  # None: the file is missing
    new: str
    versions: frozenset[str]  # every version of the file the tool can produce


def finished_files(root: Path = ROOT, state: State | None = None) -> dict[str, str]:
    """The finished text of every managed file, by name (see :mod:`chapters.sources`)."""
    known = tuple(state.files) if state else ()
    found: dict[str, str] = {}
    for name in sources.managed_files(root, known):
        text = sources.finished_text(root, name)
        if text is None:
            raise ChapterError(
                f"{name}: the tool cannot find this file's finished code. It reads it from git"
                " (the committed file); in a copy without git history, clone the repository"
                " with git instead."
            )
        found[name] = text
    return found


def last_chapter(finished: dict[str, str]) -> int:
    """The last chapter that changes any file (0 if none does)."""
    chapters = [
        region.chapter
        for name, text in finished.items()
        for region in find_regions(text, syntax_for(Path(name)))
    ]
    return max(chapters, default=0)


def rendered(finished: str, name: str, position: int) -> str:
    """The file ``name`` at ``position`` (FINISHED: as committed)."""
    if position >= FINISHED:
        return finished
    try:
        return render(finished, Path(name), position)
    except RegionError as error:
        raise ChapterError(f"{name}: {error}") from error


def plan(position: int, root: Path = ROOT, state: State | None = None) -> list[Change]:
    """The files that must change for ``position``. Past the last chapter that changes any
    file, the files are as committed (so the last chapter's solution is the finished code)."""
    finished = finished_files(root, state)
    last = last_chapter(finished)
    position = FINISHED if position > last else position
    changes = []
    for name, text in finished.items():
        path = root / name
        old = path.read_text() if path.is_file() else None
        new = rendered(text, name, position)
        if new != old:
            versions = {text, *(rendered(text, name, p) for p in range(1, last + 1))}
            changes.append(Change(name, path, old, new, frozenset(versions)))
    return changes


def changed_by_you(change: Change, state: State) -> bool:
    """True if the file holds something that neither the tool wrote nor git committed."""
    if change.old is None or state.files.get(change.name) == sha256(change.old):
        return False
    return change.old not in change.versions


def switch(position: int, var_dir: Path, force: bool = False, root: Path = ROOT) -> list[Path]:
    """Rewrite the app for ``position``; returns the files written. Refuses to overwrite a
    file you changed unless ``force``, in which case your version is saved first."""
    state = State.load(var_dir)
    changes = plan(position, root, state)
    yours = [c for c in changes if changed_by_you(c, state)]
    if yours and not force:
        raise ChapterError(_refusal(yours))
    if yours:
        _save_copies(yours, var_dir)
    for change in changes:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        change.path.write_text(change.new)
        state.files[change.name] = sha256(change.new)
    state.position = position
    state.save()
    return [change.path for change in changes]


def _refusal(yours: list[Change]) -> str:
    names = "\n".join(f"  {c.name}" for c in yours)
    return (
        "These files have changes of yours that the tool did not write:\n"
        f"{names}\n"
        "Nothing was changed. To keep working on your own code, just carry on: each chapter"
        " builds on the one before, `make chapters` tells you where you are, and `make reset`"
        " gives you a fresh dev blog and queue. To replace"
        " these files with the workshop's version, run the same command again with FORCE=1"
        " (make ... FORCE=1, or --force); a copy of yours is saved under var/chapters/saved/"
        " first."
    )


def _save_copies(yours: list[Change], var_dir: Path) -> None:
    folder = var_dir / "chapters" / "saved" / time.strftime("%Y%m%d-%H%M%S")
    for change in yours:
        target = folder / change.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(change.old or "")
    print(f"Saved your versions under {folder}: {', '.join(c.name for c in yours)}.")


# -- the dev data ----------------------------------------------------------------------------


def reset_dev_data() -> list[str]:
    """For a chapter's start: empty the dev blog and the queue's keys in Redis (as ``make
    reset`` does, but never starting a Redis), then seed a few articles and the demo account.
    Returns what was done, in words."""
    # Imported here, after the files are rewritten: the reset runs the code as switched.
    from blog_app import create_app
    from blog_app.cli import reset_site
    from blog_app.config import BlogConfig
    from blog_app.db import session_factory
    from blog_app.workshop.seed import DEMO_EMAIL, DEMO_PASSWORD, SeedPlan, seed

    app = create_app(BlogConfig.from_env())
    reset_site(app)
    with session_factory(app)() as db:
        plan = SeedPlan(SEED_ARTICLES, SEED_COMMENTS, images=False)
        seed(db, app.config["BLOG"], plan, lambda _rows: None)
    return [
        f"the dev blog was emptied and holds {SEED_ARTICLES} new articles;"
        f" log in as {DEMO_EMAIL} / {DEMO_PASSWORD}",
        _empty_queue(),
    ]


def _empty_queue() -> str:
    from blog_app.workshop.demo import delete_keys
    from jobs.dev.project_redis import ProjectRedis, default_var_dir
    from jobs.settings import Settings

    settings = Settings.from_env()
    url = settings.redis_url or ProjectRedis(default_var_dir()).running_url()
    if url is None:
        return "Redis is not running, so the queue was left alone (`make redis` starts it)"
    removed = delete_keys(url, f"{settings.namespace}:*")
    keys = "1 key" if removed == 1 else f"{removed} keys"
    return (
        f"the queue was emptied: {keys} under '{settings.namespace}:' removed from Redis"
        " (waiting jobs, failures, workers, stats)"
    )


def kept_dev_data() -> list[str]:
    """For a solution: what was left alone (unless the blog's tables changed since the dev
    database was made: then it is rebuilt, and says so), and what to restart."""
    from blog_app import create_app
    from blog_app.config import BlogConfig
    from blog_app.db import engine, rebuild_if_schema_changed

    app = create_app(BlogConfig.from_env())
    rebuilt = rebuild_if_schema_changed(app)
    engine(app).dispose()
    kept = (
        "the queue was left as it was; the dev blog was rebuilt because its tables changed"
        " (`make reset` seeds it again)"
        if rebuilt
        else "your dev blog and the queue were left as they were (nothing was reset)"
    )
    return [
        kept,
        "`make blog` reloads the new code by itself; stop running workers with Ctrl-C and"
        " start them again, as they still run the code they started with",
    ]


# -- checkpoints -----------------------------------------------------------------------------

REPORT_VARIABLE = "CHAPTERS_REPORT"  # where chapters/conftest.py writes each check's outcome


def check(number: int, quiet: bool = False, verbose: bool = False) -> bool:
    """Run chapter ``number``'s checkpoint; True if it passes."""
    folder = chapter(number).path
    command = [sys.executable, "-m", "pytest", str(folder), "-p", "no:cacheprovider"]
    command += ["-v", "--tb=short"] if verbose else ["-q", "--tb=no", "--no-header", "-rN"]
    result = subprocess.run(command, cwd=ROOT, capture_output=quiet, check=False)
    return result.returncode == 0


@dataclass
class Progress:
    """Where the learner is, judged by the checkpoints: they run in order and stop at the
    first check that fails."""

    passed: list[int] = field(default_factory=list)  # chapters whose checkpoint passes
    current: int | None = None  # the first chapter whose checkpoint fails; None: all pass
    problem: str = ""  # its first failing check and what is missing, in the learner's words
    error: str = ""  # the checkpoints could not run at all: pytest's last words


def progress(root: Path = ROOT) -> Progress:
    """Run the written chapters' checkpoints in order, stopping at the first failing check."""
    written = [c for c in CHAPTERS if c.written]
    with tempfile.TemporaryDirectory(prefix="chapters-") as temp:
        report = Path(temp) / "report.json"
        command = [sys.executable, "-m", "pytest", *(str(c.path) for c in written)]
        command += ["-x", "-q", "--tb=no", "-p", "no:cacheprovider"]
        env = {**os.environ, REPORT_VARIABLE: str(report)}
        done = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False
        )
        results = json.loads(report.read_text()) if report.is_file() else []
    found = Progress()
    for candidate in written:
        mine = [r for r in results if f"/{candidate.folder}/" in f"/{r['nodeid']}"]
        failing = [r for r in mine if r["problem"] is not None]
        if failing:
            found.current = candidate.number
            found.problem = f"{failing[0]['check']}\n{failing[0]['problem']}"
            return found
        if not mine:
            break
        found.passed.append(candidate.number)
    if len(found.passed) < len(written):
        found.error = (done.stdout + done.stderr).strip()[-1500:] or "pytest did not run"
    return found


def describe(position: int | None) -> str:
    if position is None or position >= FINISHED:
        return "every chapter's finished code"
    if position > len(CHAPTERS) or not chapter_written(position):
        return f"the solution of chapter {position - 1}"
    return f"the start of chapter {position}"


def chapter_written(number: int) -> bool:
    return any(c.number == number and c.written for c in CHAPTERS)
