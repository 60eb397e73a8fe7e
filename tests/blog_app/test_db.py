"""The dev database follows the models: one made before a column was added (the admin flag, say)
is rebuilt, saying so, by ``init-db`` and by the demo, which then seeds it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import SCHEMA_REBUILT, create_schema, engine, missing_columns, open_session
from blog_app.models import Author
from blog_app.workshop import demo
from blog_app.workshop.seed import DEMO_EMAIL, SeedPlan


@pytest.fixture
def old_dev_blog(tmp_path: Path) -> Flask:
    """A dev blog on SQLite whose authors table predates ``is_admin``, with an upload."""
    config = BlogConfig(
        database_url=f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        upload_dir=tmp_path / "uploads",
        password_hash_method="pbkdf2:sha256:1000",
        testing=True,
    )
    app = create_app(config)
    create_schema(app)
    with open_session(app) as db:
        Author.sign_up(db, "Ada", "ada@example.com", "long enough", "pbkdf2:sha256:1000")
    (config.upload_dir / "images" / "1").mkdir(parents=True)
    with engine(app).begin() as connection:
        connection.execute(text("ALTER TABLE authors DROP COLUMN is_admin"))
    return app


def test_a_database_that_lacks_a_column_is_noticed(old_dev_blog: Flask) -> None:
    assert missing_columns(engine(old_dev_blog)) == ["authors.is_admin"]


def test_init_db_rebuilds_it_and_says_so(old_dev_blog: Flask) -> None:
    runner = old_dev_blog.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert SCHEMA_REBUILT in result.output
    assert missing_columns(engine(old_dev_blog)) == []
    with open_session(old_dev_blog) as db:
        assert Author.count(db) == 0
    assert not old_dev_blog.config["BLOG"].upload_dir.exists()  # ids start again
    assert SCHEMA_REBUILT not in runner.invoke(args=["init-db"]).output  # only once


def test_the_demo_rebuilds_it_and_seeds_an_admin_demo_account(
    old_dev_blog: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    demo._seed_on_first_run(old_dev_blog, SeedPlan(1, 0, images=False))
    assert SCHEMA_REBUILT in capsys.readouterr().out
    with open_session(old_dev_blog) as db:
        account = Author.find_by_email(db, DEMO_EMAIL)
        assert account is not None and account.is_admin
