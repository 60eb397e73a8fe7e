"""The chapter tool: put the app at the start of a chapter, or back to its solution.

    python -m chapters                   # the chapters, and which checkpoints pass now
    python -m chapters start 2           # chapter 1 done, chapters 2 and later not yet
    python -m chapters solution 2        # chapter 2's finished code back
    python -m chapters check 2           # chapter 2's checkpoint
    python -m chapters finished          # every chapter done: the code as committed
    python -m chapters prove             # CI: each checkpoint fails at its start, passes after

The code in the repository is the finished code of every chapter; the regions marked in it
(:mod:`chapters.regions`) say what each chapter changes. Putting the app at chapter N's start
shows the start side of every region of chapter N and later, and the finished side of every
earlier one. Then it empties the dev database and the queue, so that what you see belongs to
that chapter.

It never overwrites your work without asking: ``var/chapters/state.json`` remembers a hash of
each file it wrote. A file whose content is neither that nor the committed version has been
changed by you, and the tool stops and names it; ``--force`` overwrites it, after saving a copy
under ``var/chapters/saved/``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from chapters.regions import RegionError, find_regions, render, syntax_for

ROOT = Path(__file__).resolve().parent.parent
# Where regions may live: the app. (The chapters and tests are not switched.)
SWITCHED = ("blog_app",)
SUFFIXES = (".py", ".html")
FINISHED = 99  # a position after every chapter
# What a switch leaves in the dev blog: the demo account and a few articles, no images (seeding
# makes their thumbnails inline, which would make every switch slow).
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


def switched_files(root: Path = ROOT) -> list[Path]:
    """Every file of the app that holds at least one chapter region."""
    found = []
    for top in SWITCHED:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in SUFFIXES or "chapter " not in (text := path.read_text()):
                continue
            if find_regions(text, syntax_for(path)):
                found.append(path)
    return found


@dataclass(frozen=True)
class Change:
    path: Path
    old: str
    new: str


def plan(position: int, root: Path = ROOT) -> list[Change]:
    """The files that must change for ``position`` (regions of chapters >= it at their start)."""
    changes = []
    for path in switched_files(root):
        old = path.read_text()
        new = _rendered(old, path, position, root)
        if new != old:
            changes.append(Change(path, old, new))
    return changes


def _rendered(text: str, path: Path, position: int, root: Path) -> str:
    try:
        return render(text, path, lambda number: number >= position)
    except RegionError as error:
        raise ChapterError(f"{path.relative_to(root)}: {error}") from error


def _workshop_version(change: Change, position: int, root: Path) -> Change:
    """For --force: the committed file switched to ``position``, so that your changes are
    replaced, not carried along (without git, the file as it is, switched)."""
    committed = _committed(root, str(change.path.relative_to(root)))
    if committed is None or not find_regions(committed, syntax_for(change.path)):
        return change  # nothing committed to go back to (or a commit from before the regions)
    return Change(change.path, change.old, _rendered(committed, change.path, position, root))


def changed_by_you(change: Change, state: State, root: Path) -> bool:
    """True if the file holds something the tool did not write and git did not commit."""
    name = str(change.path.relative_to(root))
    if state.files.get(name) == sha256(change.old):
        return False
    committed = _committed(root, name)
    if committed is None:  # not committed, or no git: only the record can tell
        return name in state.files
    return committed != change.old


def _committed(root: Path, name: str) -> str | None:
    """The file as committed (git HEAD), or None without git or outside a repository."""
    try:
        result = subprocess.run(
            ["git", "show", f"HEAD:{name}"], cwd=root, capture_output=True, check=False
        )
    except OSError:
        return None
    return result.stdout.decode() if result.returncode == 0 else None


def switch(position: int, var_dir: Path, force: bool = False, root: Path = ROOT) -> list[Path]:
    """Rewrite the app for ``position``; returns the files written. Refuses to overwrite a
    file you changed unless ``force``, in which case your version is saved first."""
    state = State.load(var_dir)
    changes = plan(position, root)
    yours = [c for c in changes if changed_by_you(c, state, root)]
    if yours and not force:
        raise ChapterError(_refusal(yours, root))
    if yours:
        _save_copies(yours, var_dir, root)
        changes = [_workshop_version(c, position, root) if c in yours else c for c in changes]
    for change in changes:
        change.path.write_text(change.new)
        state.files[str(change.path.relative_to(root))] = sha256(change.new)
    state.position = position
    state.save()
    return [change.path for change in changes]


def _refusal(yours: list[Change], root: Path) -> str:
    names = "\n".join(f"  {c.path.relative_to(root)}" for c in yours)
    return (
        "These files have changes of yours that the tool did not write:\n"
        f"{names}\n"
        "Nothing was changed. To keep working on your own code, just carry on: each chapter"
        " builds on the one before. To replace these files with the workshop's version, run"
        " the same command again with --force (make ... FORCE=1); a copy of yours is saved"
        " under var/chapters/saved/ first."
    )


def _save_copies(yours: list[Change], var_dir: Path, root: Path) -> None:
    folder = var_dir / "chapters" / "saved" / time.strftime("%Y%m%d-%H%M%S")
    for change in yours:
        target = folder / change.path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(change.old)
    print(f"Saved your versions under {folder.relative_to(var_dir.parent)}.")


# -- the dev data ----------------------------------------------------------------------------


def reset_dev_data() -> list[str]:
    """Empty the dev blog and the queue's keys in Redis (as ``make reset`` does, but never
    starting a Redis), then seed a few articles and the demo account. Returns what was done,
    in words."""
    # Imported here, after the files are rewritten: the reset runs the code as switched.
    from blog_app import create_app
    from blog_app.cli import reset_site
    from blog_app.config import BlogConfig
    from blog_app.db import session_factory
    from blog_app.seed import DEMO_EMAIL, DEMO_PASSWORD, SeedPlan, seed

    app = create_app(BlogConfig.from_env())
    reset_site(app)
    with session_factory(app)() as db:
        plan = SeedPlan(SEED_ARTICLES, SEED_COMMENTS, images=False)
        seed(db, app.config["BLOG"], plan, lambda _rows: None)
    done = [
        f"the dev blog holds {SEED_ARTICLES} articles again;"
        f" log in as {DEMO_EMAIL} / {DEMO_PASSWORD}",
        _empty_queue(),
    ]
    return done


def _empty_queue() -> str:
    from blog_app.demo import delete_keys
    from jobs.project_redis import ProjectRedis, default_var_dir
    from jobs.settings import Settings

    settings = Settings.from_env()
    url = settings.redis_url or ProjectRedis(default_var_dir()).running_url()
    if url is None:
        return "Redis is not running, so the queue was left alone (`make redis` starts it)"
    removed = delete_keys(url, f"{settings.namespace}:*")
    return f"removed {removed} Redis keys under '{settings.namespace}:'"


# -- checkpoints -----------------------------------------------------------------------------


def check(number: int, quiet: bool = False, verbose: bool = False) -> bool:
    """Run chapter ``number``'s checkpoint; True if it passes."""
    folder = chapter(number).path
    command = [sys.executable, "-m", "pytest", str(folder), "-p", "no:cacheprovider"]
    command += ["-v", "--tb=short"] if verbose else ["-q", "--tb=no", "--no-header", "-rN"]
    result = subprocess.run(command, cwd=ROOT, capture_output=quiet, check=False)
    return result.returncode == 0


def describe(position: int | None) -> str:
    if position is None or position >= FINISHED:
        return "every chapter's finished code"
    if position > len(CHAPTERS) or not chapter_written(position):
        return f"the solution of chapter {position - 1}"
    return f"the start of chapter {position}"


def chapter_written(number: int) -> bool:
    return any(c.number == number and c.written for c in CHAPTERS)
