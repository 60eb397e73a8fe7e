"""What every checkpoint shares: a private Redis (the ``jobs.testing`` plugin), a blog on a
throwaway SQLite database that enqueues to it, a logged-in browser, a real worker process,
and a report in plain words: one line per check, and for each failing one, what is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import create_schema, engine, open_session
from blog_app.models import Article, Author
from jobs.client import Client
from tests.blog_app.helpers import Browser

pytest_plugins = ["jobs.testing"]

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "checkpoint password"
WORKER_TIMEOUT = 60.0  # seconds; a worker that empties a queue of one job takes about one,
# and several on a busy machine: the limit only stops a worker that hangs


@pytest.fixture
def blog_config(tmp_path: Path, jobs_redis_url: str) -> BlogConfig:
    """The blog's settings for one check: its own database and uploads, the private Redis."""
    return BlogConfig(
        database_url=f"sqlite:///{tmp_path / 'blog.sqlite3'}",
        upload_dir=tmp_path / "uploads",
        outbox_dir=tmp_path / "outbox",
        redis_url=jobs_redis_url,
        password_hash_method="pbkdf2:sha256:1000",
        testing=True,
    )


@pytest.fixture
def blog(blog_config: BlogConfig, jobs_client: Client) -> Iterator[Flask]:
    """The blog, enqueueing to the private Redis (``jobs_client`` is the default client)."""
    app = create_app(blog_config)
    create_schema(app)
    yield app
    engine(app).dispose()


@pytest.fixture
def browser(blog: Flask) -> Browser:
    """A browser logged in as the author of the articles the checks write."""
    from blog_app.db import open_session

    with open_session(blog) as db:
        ada = Author.sign_up(db, "Ada", "ada@example.com", PASSWORD, "pbkdf2:sha256:1000")
        ada.is_admin = True  # the checks look at the job monitor, which only admins see
    browser = Browser(blog.test_client())
    browser.log_in("ada@example.com", PASSWORD)
    return browser


@pytest.fixture
def article(blog: Flask, browser: Browser) -> int:
    """A published article's id, by the browser's author (chapters 4 and 6 comment on it)."""
    with open_session(blog) as db:
        article = Article(author=db.scalars(select(Author)).one(), title="Queues", body="Jobs.")
        article.publish()
        db.add(article)
        db.flush()
        return article.id


@pytest.fixture
def raw(jobs_redis_url: str) -> Iterator[redis.Redis]:
    """Redis as ``redis-cli`` shows it."""
    client = redis.Redis.from_url(jobs_redis_url, decode_responses=True)
    yield client
    client.close()


def run_worker(config: BlogConfig, queue: str, **environment: str) -> str:
    """Run ``python -m jobs work`` for the blog's jobs until ``queue`` is empty, as a learner
    would start it; returns what it printed."""
    env = {**os.environ, **config.environment(), **environment, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "jobs", "work", "--queue", queue]
    command += ["--import", "blog_app.jobs", "--interval", "0"]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT
    )
    return done.stdout + done.stderr


# -- the report in plain words -----------------------------------------------------------------

_checks: dict[str, str] = {}
_results: dict[str, str | None] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Name each check by the first paragraph of its docstring, in the learner's words."""
    for item in items:
        function = getattr(item, "function", None)
        doc = (function.__doc__ if function else None) or item.name
        _checks[item.nodeid] = " ".join(doc.strip().split("\n\n")[0].split())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep each check's outcome: None if it passed, else what is missing."""
    if report.failed:
        _results[report.nodeid] = _plain(report)
    elif report.when == "call":
        _results.setdefault(report.nodeid, None)


def _plain(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(report.longrepr)
    if message.startswith("AssertionError: "):
        # Our own words, without pytest's "assert x == y" explanation after them.
        return message.removeprefix("AssertionError: ").split("\nassert ")[0].strip()
    return f"The code stopped with an error: {message.splitlines()[0]}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """For ``make chapters`` (chapters.tool.progress): each check's outcome, in order, as
    JSON, in the file that ``CHAPTERS_REPORT`` names."""
    report = os.environ.get("CHAPTERS_REPORT")
    if report:
        outcomes = [
            {"nodeid": nodeid, "check": check, "problem": _results[nodeid]}
            for nodeid, check in _checks.items()
            if nodeid in _results
        ]
        Path(report).write_text(json.dumps(outcomes))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per check, and under each failing one, what is still missing."""
    if not _checks:
        return
    write = terminalreporter.write_line
    write("")
    for nodeid, check in _checks.items():
        if nodeid not in _results:
            continue
        problem = _results[nodeid]
        write(f"  {'ok  ' if problem is None else 'TODO'}  {check}")
        if problem is not None:
            for line in problem.splitlines():
                write(f"        {line}")
    failing = sum(problem is not None for problem in _results.values())
    write("")
    write("All checks pass." if not failing else f"{failing} of {len(_results)} checks to go.")
