"""The chapter tool: it switches files, remembers what it wrote, and never overwrites your
changes unless told to (then it keeps a copy)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chapters import tool
from chapters.__main__ import main

FINISHED = """\
def publish(article):
    # chapter 2 ---------------------------------------
    jobs.enqueue(Sleeper, article.id)
    # chapter 2 start: --------------------------------
    # article.publish(delay)
    # chapter 2 end -----------------------------------
"""
AT_START = FINISHED.replace("    jobs.enqueue", "    # jobs.enqueue").replace(
    "    # article.publish", "    article.publish"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "blog_app").mkdir(parents=True)
    (root / "blog_app" / "views.py").write_text(FINISHED)
    (root / "blog_app" / "plain.py").write_text("x = 1\n")  # no regions: never touched
    return root


@pytest.fixture
def var(tmp_path: Path) -> Path:
    return tmp_path / "var"


def _views(repo: Path) -> Path:
    return repo / "blog_app" / "views.py"


def test_switching_rewrites_only_files_with_regions_and_remembers_them(
    repo: Path, var: Path
) -> None:
    assert tool.switch(2, var, root=repo) == [_views(repo)]
    assert _views(repo).read_text() == AT_START
    state = tool.State.load(var)
    assert state.position == 2
    assert state.files == {"blog_app/views.py": tool.sha256(AT_START)}
    assert tool.switch(3, var, root=repo) == [_views(repo)]
    assert _views(repo).read_text() == FINISHED
    assert tool.switch(3, var, root=repo) == []  # already there


def test_a_file_you_changed_stops_the_tool_and_is_named(repo: Path, var: Path) -> None:
    tool.switch(2, var, root=repo)
    yours = AT_START.replace("article.publish(delay)", "article.publish(delay)  # mine")
    _views(repo).write_text(yours)
    with pytest.raises(tool.ChapterError, match=r"(?s)blog_app/views\.py.*--force"):
        tool.switch(3, var, root=repo)
    assert _views(repo).read_text() == yours
    assert tool.State.load(var).position == 2


def _commit(repo: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "finished"]):
        subprocess.run([*git, *command], cwd=repo, check=True)


def test_force_puts_the_workshop_version_back_after_saving_yours(repo: Path, var: Path) -> None:
    _commit(repo)
    tool.switch(2, var, root=repo)
    yours = AT_START.replace("article.publish(delay)", "article.publish(delay)  # mine")
    _views(repo).write_text(yours)
    tool.switch(3, var, force=True, root=repo)
    assert _views(repo).read_text() == FINISHED
    (saved,) = (var / "chapters" / "saved").rglob("views.py")
    assert saved.read_text() == yours


def test_without_a_record_the_committed_version_is_the_reference(repo: Path, var: Path) -> None:
    _commit(repo)
    tool.switch(2, var, root=repo)  # as committed: fine
    tool.switch(3, var, root=repo)
    (var / "chapters" / "state.json").unlink()  # e.g. var/ was deleted
    _views(repo).write_text(FINISHED + "# my note\n")
    with pytest.raises(tool.ChapterError, match=r"views\.py"):
        tool.switch(2, var, root=repo)


def test_chapters_not_written_or_not_existing_say_so() -> None:
    with pytest.raises(tool.ChapterError, match=r"Chapter 7 \(.*\) is not written yet"):
        tool.chapter(7)
    with pytest.raises(tool.ChapterError, match="There is no chapter 9; the chapters are 1 to 7"):
        tool.chapter(9)


def test_the_command_line_prints_the_reason_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", "9"]) == 1
    assert "There is no chapter 9" in capsys.readouterr().err
