"""What a switch does to the dev blog and the queue: a chapter's start resets both and says
so; a solution resets nothing (a failure you were reading stays), and says so too."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chapters.prove import Copy, copy_repository
from chapters.tool import ROOT


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
    said = tool.tool("start", "2")
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
