"""The chapter commands, run in a throwaway copy of the repository: what a switch does to the
dev blog and the queue, and where `make chapters` says you are."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chapters.prove import Copy, copy_repository
from chapters.tool import ROOT, finished_files, rendered


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("chapters") / "repo"
    copy_repository(ROOT, root)
    yield root


def _articles(root: Path) -> int:
    with sqlite3.connect(root / "var" / "blog" / "blog.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_a_start_resets_the_data_and_a_solution_keeps_it(
    copy: Path, redis_url: str, raw: redis.Redis
) -> None:
    tool = Copy(copy, redis_url)
    said = tool.tool("start", "2", "--force")
    assert "The dev blog was emptied" in said
    assert "The queue was emptied" in said
    seeded = _articles(copy)
    raw.rpush("resque:failed", '{"error": "the failure I was reading"}')
    with sqlite3.connect(copy / "var" / "blog" / "blog.sqlite3") as db:
        db.execute("DELETE FROM articles WHERE id = (SELECT min(id) FROM articles)")
    said = tool.tool("solution", "2")
    assert "nothing was reset" in said
    assert raw.lrange("resque:failed", 0, -1) == ['{"error": "the failure I was reading"}']
    assert _articles(copy) == seeded - 1


def test_make_chapters_judges_from_the_checkpoints_not_from_the_last_switch(
    copy: Path, redis_url: str
) -> None:
    """Chapter 1 done by hand after `start 1`: the tool's record still says chapter 1's start,
    the checkpoints say chapter 2."""
    tool = Copy(copy, redis_url)
    tool.tool("start", "1", "--force")
    for name, finished in finished_files(copy).items():
        (copy / name).write_text(rendered(finished, name, 2))  # typed in by the learner
    said = tool.tool("list")
    assert "You are on chapter 2" in said
    assert "Publishing answers at once" in said  # the first check still to do
    assert " 1. Feel the problem: a fake delay           passes" in said
