"""The settings from the environment, and the blog's flask commands: init-db, seed, reset-db,
and the queue's own commands registered as ``flask jobs``."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import open_session
from blog_app.models import Article, Author, Comment, Image
from blog_app.workshop import demo
from blog_app.workshop.seed import DEMO_EMAIL, DEMO_PASSWORD


def test_settings_come_from_the_environment_and_go_back_to_it() -> None:
    env = {"DATABASE_URL": "sqlite:///x.db", "PUBLISH_DELAY": "2.5", "SMTP_PORT": "2525"}
    config = BlogConfig.from_env(env)
    assert (config.database_url, config.publish_delay, config.smtp_port) == (
        "sqlite:///x.db", 2.5, 2525,
    )  # fmt: skip
    assert BlogConfig.from_env(config.environment()) == config
    assert BlogConfig.from_env({}).publish_delay == 2.0  # the fake delay of chapter 1
    assert BlogConfig.from_env({}).database_url.endswith("blog/blog.sqlite3")


def test_seed_fills_the_site_with_progress_and_prints_the_demo_account(
    app: Flask, db: DbSession
) -> None:
    result = app.test_cli_runner().invoke(args=["seed", "--articles", "3", "--comments", "7"])
    assert result.exit_code == 0, result.output
    assert "Seeding" in result.output and f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in result.output
    assert Article.count(db, published_only=True) == 3
    assert sum(Comment.count_by_status(db).values()) == 7
    assert db.query(Image).count() == 3 and Article.total_word_count(db) > 3 * 20
    assert Author.authenticate(db, DEMO_EMAIL, DEMO_PASSWORD) is not None


def test_seed_without_images_and_twice_keeps_one_demo_author(app: Flask, db: DbSession) -> None:
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed", "--articles", "2", "--comments", "0", "--no-images"])
        assert result.exit_code == 0, result.output
    assert Author.count(db) == 1 and Article.count(db) == 4 and db.query(Image).count() == 0


def test_reset_db_empties_the_site_and_its_uploads(
    app: Flask, db: DbSession, config: BlogConfig
) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed", "--articles", "1", "--comments", "1"])
    assert any(Path(config.upload_dir).rglob("*.jpg"))
    result = runner.invoke(args=["reset-db", "--yes"])
    assert result.exit_code == 0, result.output
    assert Article.count(db) == 0 and Author.count(db) == 0
    assert not Path(config.upload_dir).exists()


def test_init_db_creates_the_tables(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "Tables created" in result.output


def test_the_queue_commands_are_registered_as_flask_jobs(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "work", "--help"])
    assert result.exit_code == 0 and "--queue" in result.output and "--import" in result.output


def test_demo_reset_empties_the_dev_blog_and_only_the_queues_keys(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        "BLOG_UPLOAD_DIR": str(tmp_path / "uploads"),
        "BLOG_OUTBOX_DIR": str(tmp_path / "outbox"),
        "REDIS_URL": redis_url,
        "JOBS_VAR_DIR": str(tmp_path / "var"),  # never the repository's own var/
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app()  # from the environment, as `make reset` builds it
    app.test_cli_runner().invoke(args=["seed", "--articles", "1", "--comments", "1"])
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    raw.rpush("resque:queue:thumbnails", "{}")
    raw.set("someone-else:key", "keep me")
    demo.reset()
    with open_session(app) as db:
        assert Article.count(db) == 0 and Author.count(db) == 0
    assert not (tmp_path / "uploads").exists()
    assert raw.keys("resque:*") == [] and raw.get("someone-else:key") == "keep me"
