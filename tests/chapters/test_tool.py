"""The chapter tool: it switches files from the finished code in git, remembers what it wrote,
and never overwrites your changes unless told to (then it keeps a copy)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from chapters import tool
from chapters.__main__ import main

FINISHED = """\
def publish(article):
    # chapter 2 ---------------------------------------
    jobs.enqueue(Sleeper, article.id)
    # chapter 2 start: step 3: enqueue a job here
    # article.publish(delay)
    # chapter 2 end -----------------------------------
"""
AT_START = """\
def publish(article):
    # TODO chapter 2, step 3: enqueue a job here
    article.publish(delay)
"""
TEMPLATE = """\
<p>{{ article.title }}</p>
{# chapter 2 ----- #}
<p class="placeholder">soon</p>
{# chapter 2 start: step 4: show a placeholder #}
{# chapter 2 end ----- #}
"""


def _git(repo: Path, *command: str) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True)


def _commit(repo: Path, message: str = "finished") -> None:
    if not (repo / ".git").exists():
        _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "blog_app" / "templates").mkdir(parents=True)
    (root / "blog_app" / "views.py").write_text(FINISHED)
    (root / "blog_app" / "templates" / "show.html").write_text(TEMPLATE)
    (root / "blog_app" / "plain.py").write_text("x = 1\n")  # no regions: never touched
    _commit(root)
    return root


@pytest.fixture
def var(tmp_path: Path) -> Path:
    return tmp_path / "var"


def _views(repo: Path) -> Path:
    return repo / "blog_app" / "views.py"


def _template(repo: Path) -> Path:
    return repo / "blog_app" / "templates" / "show.html"


def test_switching_rewrites_only_files_with_regions_and_remembers_them(
    repo: Path, var: Path
) -> None:
    assert tool.switch(2, var, root=repo) == [_template(repo), _views(repo)]
    assert _views(repo).read_text() == AT_START
    state = tool.State.load(var)
    assert state.position == 2
    assert state.files["blog_app/views.py"] == tool.sha256(AT_START)
    # Past the last chapter with regions: the files as committed, markers and all.
    assert tool.switch(3, var, root=repo) == [_template(repo), _views(repo)]
    assert _views(repo).read_text() == FINISHED
    assert tool.switch(3, var, root=repo) == []  # already there


def test_the_finished_code_comes_back_from_git_after_you_commit_your_own_work(
    repo: Path, var: Path
) -> None:
    tool.switch(2, var, root=repo)
    _commit(repo, "my start")  # HEAD's files have no regions any more
    assert tool.switch(3, var, root=repo) == [_template(repo), _views(repo)]
    assert _views(repo).read_text() == FINISHED


def test_without_git_the_tool_says_it_cannot_find_the_finished_code(repo: Path, var: Path) -> None:
    tool.switch(2, var, root=repo)
    shutil.rmtree(repo / ".git")
    with pytest.raises(tool.ChapterError, match=r"show\.html: the tool cannot find .* git"):
        tool.switch(3, var, root=repo)


def test_a_file_you_changed_stops_the_tool_and_is_named(repo: Path, var: Path) -> None:
    tool.switch(2, var, root=repo)
    yours = AT_START.replace("article.publish(delay)", "article.publish(delay)  # mine")
    _views(repo).write_text(yours)
    with pytest.raises(tool.ChapterError, match=r"(?s)blog_app/views\.py.*FORCE=1"):
        tool.switch(3, var, root=repo)
    assert _views(repo).read_text() == yours
    assert tool.State.load(var).position == 2


def test_force_puts_the_workshop_version_back_after_saving_yours(repo: Path, var: Path) -> None:
    tool.switch(2, var, root=repo)
    yours = AT_START.replace("article.publish(delay)", "article.publish(delay)  # mine")
    _views(repo).write_text(yours)
    tool.switch(3, var, force=True, root=repo)
    assert _views(repo).read_text() == FINISHED
    (saved,) = (var / "chapters" / "saved").rglob("views.py")
    assert saved.read_text() == yours


@pytest.mark.parametrize("edited", ["views.py", "templates/show.html"])
def test_one_guard_for_code_and_templates_even_outside_a_region(
    repo: Path, var: Path, edited: str
) -> None:
    """A change outside any region is yours all the same: a switch that would leave the file
    alone still names it, and --force saves it and puts the workshop's version back."""
    tool.switch(2, var, root=repo)
    path = repo / "blog_app" / edited
    at_start = path.read_text()
    path.write_text(at_start + "<!-- mine -->\n")
    with pytest.raises(tool.ChapterError, match=rf"blog_app/{edited}"):
        tool.switch(2, var, root=repo)  # the same position: nothing to switch but your edit
    tool.switch(2, var, force=True, root=repo)
    assert path.read_text() == at_start
    (saved,) = (var / "chapters" / "saved").rglob(Path(edited).name)
    assert saved.read_text().endswith("<!-- mine -->\n")


def test_without_a_record_any_version_the_tool_makes_is_not_yours(repo: Path, var: Path) -> None:
    tool.switch(2, var, root=repo)
    (var / "chapters" / "state.json").unlink()  # e.g. var/ was deleted
    tool.switch(3, var, root=repo)  # the start of chapter 2 is a version the tool makes
    _views(repo).write_text(FINISHED + "# my note\n")
    with pytest.raises(tool.ChapterError, match=r"views\.py"):
        tool.switch(2, var, root=repo)


def test_chapters_not_written_or_not_existing_say_so() -> None:
    # Whichever chapter is not written yet (none, once all seven are).
    for unwritten in [c for c in tool.CHAPTERS if not c.written][:1]:
        with pytest.raises(
            tool.ChapterError, match=rf"Chapter {unwritten.number} \(.*\) is not written yet"
        ):
            tool.chapter(unwritten.number)
    with pytest.raises(tool.ChapterError, match="There is no chapter 9; the chapters are 1 to 7"):
        tool.chapter(9)


def test_the_command_line_prints_the_reason_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", "9"]) == 1
    assert "There is no chapter 9" in capsys.readouterr().err


def test_a_solution_keeps_the_dev_data_but_rebuilds_a_database_whose_tables_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "blog.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("BLOG_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("SECRET_KEY", "a key of this test")
    assert tool.kept_dev_data()[0].endswith("(nothing was reset)")  # no database yet

    with sqlite3.connect(database) as old:  # made by an older blog: authors had no is_admin
        old.execute("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)")

    said = tool.kept_dev_data()

    assert "rebuilt because its tables changed" in said[0]
    assert "rebuilt the dev database" in capsys.readouterr().out
    with sqlite3.connect(database) as rebuilt:
        columns = [row[1] for row in rebuilt.execute("PRAGMA table_info(authors)")]
    assert "is_admin" in columns
