"""Fixtures for the blog's tests: the app on SQLite *and* on PostgreSQL (every test that uses
``app`` runs on both), and the outside world as real servers on loopback: the spam API
stand-in and the SMTP sink. Nothing is mocked."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete
from sqlalchemy.orm import Session as DbSession

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import Base, create_schema, session_factory
from blog_app.models import Author
from blog_app.outside.api_standin import ApiStandin
from blog_app.outside.smtp_sink import SmtpSink
from jobs.client import Client
from tests.blog_app.helpers import Browser
from tests.blog_app.postgres import INSTALL_HINT, PrivatePostgres, find_postgres_bin

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        # CI sets BLOG_REQUIRE_POSTGRES so that a missing PostgreSQL fails instead of skipping.
        if os.environ.get("BLOG_REQUIRE_POSTGRES"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    with PrivatePostgres(bin_dir) as server:
        yield server.create_database("blog_test")


@pytest.fixture(scope="session")
def spam_api() -> Iterator[ApiStandin]:
    with ApiStandin(latency=0.0, seed=1) as api:
        yield api


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path_factory.mktemp("outbox")) as sink:
        yield sink


@pytest.fixture
def outside(spam_api: ApiStandin, smtp_sink: SmtpSink) -> Iterator[tuple[ApiStandin, SmtpSink]]:
    """Both stand-ins, well-behaved and with an empty outbox, for one test."""
    spam_api.configure(latency=0.0, failure_rate=0.0, hang=30.0, next=(), retry_after=1.0)
    smtp_sink.configure(refuse=False, delay=0.0)
    if not smtp_sink.running:  # a test that stopped it failed before starting it again
        smtp_sink.start()
    shutil.rmtree(smtp_sink.outbox.directory, ignore_errors=True)
    yield spam_api, smtp_sink


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'blog.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def config(
    database_url: str, tmp_path: Path, outside: tuple[ApiStandin, SmtpSink], redis_url: str
) -> BlogConfig:
    api, sink = outside
    return BlogConfig(
        redis_url=redis_url,  # the private test Redis (tests/conftest.py), for the monitor
        database_url=database_url,
        secret_key="test-secret",
        upload_dir=tmp_path / "uploads",
        outbox_dir=sink.outbox.directory,
        spam_api_url=api.url,
        spam_api_timeout=1.0,
        smtp_port=sink.port,
        password_hash_method="pbkdf2:sha256:1000",  # quick: tests hash many passwords
        thumbnail_sizes=(400, 160),
        publish_delay=0.0,  # the fake delay has its own tests
        testing=True,
    )


@pytest.fixture(autouse=True)
def jobs_go_to_the_test_redis(client: Client) -> Client:
    """Jobs the blog enqueues land on the private test Redis (tests/conftest.py's ``client``
    is the default client). Tests that need a job's effect run it: ``jobs.testing.inline()``
    around the request, or ``drain`` in the app's context."""
    return client


@pytest.fixture
def app(config: BlogConfig) -> Iterator[Flask]:
    app = create_app(config)
    create_schema(app)
    yield app
    with session_factory(app)() as db:
        # One PostgreSQL database serves every test: empty it, children before parents.
        for table in reversed(Base.metadata.sorted_tables):
            db.execute(delete(table))
        db.commit()
    session_factory(app).kw["bind"].dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[DbSession]:
    with session_factory(app)() as session:
        yield session


@pytest.fixture
def web(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def author(db: DbSession) -> Author:
    author = Author.sign_up(db, "Ada", "ada@example.com", PASSWORD, "pbkdf2:sha256:1000")
    db.commit()
    return author


@pytest.fixture
def other_author(db: DbSession) -> Author:
    author = Author.sign_up(db, "Bob", "bob@example.com", PASSWORD, "pbkdf2:sha256:1000")
    db.commit()
    return author


@pytest.fixture
def admin(db: DbSession) -> Author:
    """An author who may also see the job monitor and every mail (like the demo account)."""
    author = Author.sign_up(db, "Root", "root@example.com", PASSWORD, "pbkdf2:sha256:1000")
    author.is_admin = True
    db.commit()
    return author


@pytest.fixture
def logged_in(web: Browser, author: Author) -> Browser:
    web.log_in(author.email, PASSWORD)
    return web


@pytest.fixture
def logged_in_admin(web: Browser, admin: Author) -> Browser:
    web.log_in(admin.email, PASSWORD)
    return web
