"""``python -m chapters.fork_or_threads``: the same spam checks, run by one worker that forks a
child per job, then by one worker with threads (chapter 4).

    python -m chapters.fork_or_threads [--checks 200] [--latency 0.2] [--threads 10]

It makes a throwaway blog (SQLite in a temporary folder) with ``--checks`` pending comments,
starts the spam API stand-in answering in ``--latency`` seconds and a private Redis, enqueues
one CheckSpam job per comment, and times ``python -m jobs work --queue spam`` until the queue is
empty: first with one forking worker (Resque's model), then with ``--threads`` (Sidekiq's).
Your dev blog and the project's Redis are not touched.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import create_schema, engine, open_session
from blog_app.jobs import CheckSpam
from blog_app.models import Article, Author, Comment, CommentStatus
from blog_app.outside.api_standin import ApiStandin
from jobs.client import Client
from jobs.dev.local_redis import PrivateRedis, free_port
from jobs.settings import Settings
from jobs.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _pending_comments(app: Flask, count: int) -> list[int]:
    with open_session(app) as db:
        author = db.scalars(select(Author)).first() or Author.sign_up(
            db, "Ada", "ada@example.com", "a long password", "pbkdf2:sha256:1000"
        )
        article = Article(author=author, title="Queues", body="Workers take jobs.")
        db.add(article)
        comments = [
            Comment(article=article, author_name="Grace", body=f"Thoughtful comment {n}.")
            for n in range(count)
        ]
        db.add_all(comments)
        db.flush()
        return [comment.id for comment in comments]


def _time_worker(config: BlogConfig, options: list[str]) -> float:
    """Run a worker on the spam queue until it is empty; returns the seconds it took."""
    env = {**os.environ, **config.environment(), "JOBS_SCHEDULER": "0"}
    command = [sys.executable, "-m", "jobs", "work", "--queue", "spam", "--interval", "0"]
    started = time.monotonic()
    subprocess.run(
        [*command, "--import", "blog_app.jobs", *options], cwd=ROOT, env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.monotonic() - started


def _still_pending(app: Flask) -> int:
    with open_session(app) as db:
        query = select(func.count()).where(Comment.status == CommentStatus.PENDING)
        return db.scalars(query).one()


def race(workdir: Path, checks: int, latency: float, threads: int) -> None:
    with ApiStandin(latency=latency) as api, PrivateRedis(workdir / "redis") as server:
        config = BlogConfig(
            database_url=f"sqlite:///{workdir / 'blog.sqlite3'}", upload_dir=workdir / "up",
            outbox_dir=workdir / "outbox", spam_api_url=api.url, smtp_port=free_port(),
            redis_url=server.url, testing=True,
        )  # fmt: skip
        app = create_app(config)
        create_schema(app)
        client = Client(Store(server.url), Settings(redis_url=server.url))
        modes = [("one worker, fork per job", ["--fork"])]
        modes.append((f"one worker, {threads} threads", ["--threads", str(threads)]))
        print(f"{checks} spam checks, the API answering in {latency:g} s:")
        for name, options in modes:
            for comment_id in _pending_comments(app, checks):
                client.enqueue(CheckSpam, comment_id)
            took = _time_worker(config, options)
            left = _still_pending(app)
            print(f"  {name:<28} {took:6.1f} s  {checks / took:6.1f} checks a second"
                  + (f"  ({left} not checked!)" if left else ""))  # fmt: skip
        engine(app).dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fork-or-threads-") as temp:
        race(Path(temp), options.checks, options.latency, options.threads)


if __name__ == "__main__":
    main()
