"""``python -m chapters.mail_twice``: post one comment, kill the worker that mails its author
right after the job's work and before it is acknowledged, and count the mail (chapter 6).

It makes a throwaway blog (SQLite in a temporary folder) with one article, an SMTP sink and a
private Redis, posts a comment through the blog's own request, and starts two workers on the
``mail`` queue with ``BLOG_CRASH_AFTER_JOB=NotifyAuthor`` (see :mod:`blog_app.workshop.lab`).
The first run of the job is killed once its ``perform`` has returned; another worker runs it
again, as at-least-once delivery promises. Then it prints how many mails the author received
for that one comment. Your dev blog and the project's Redis are not touched.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from flask import Flask

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import create_schema, engine, open_session
from blog_app.models import Article, Author
from blog_app.outside.smtp_sink import SmtpSink
from blog_app.workshop.lab import lab_dir
from jobs.client import Client, current_default_client, set_default_client
from jobs.dev.local_redis import PrivateRedis
from jobs.settings import Settings
from jobs.store import Store

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DEADLINE = 90.0  # seconds for the job to be run again and acknowledged, on a busy machine


def post_a_comment(app: Flask) -> int:
    """Post a comment on a new published article, as a visitor; returns the article's id."""
    with open_session(app) as db:
        author = Author.sign_up(db, "Ada", "ada@example.com", "long password", "pbkdf2:sha256:1")
        article = Article(author=author, title="Queues", body="Workers take jobs.")
        article.publish()
        db.add(article)
        db.flush()
        article_id = article.id
    client = app.test_client()
    page = client.get(f"/articles/{article_id}").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, "the article page has no comment form"
    form = {"author_name": "Grace", "body": "Mail me once.", "csrf_token": token.group(1)}
    answer = client.post(f"/articles/{article_id}/comments", data=form)
    assert answer.status_code == 302, f"posting the comment answered {answer.status}"
    return article_id


def crash_once_and_rerun(config: BlogConfig, raw: redis.Redis) -> str:
    """Two workers on ``mail``, the first run of NotifyAuthor killed before its ack; returns
    once the job was acknowledged (or failed), with what the workers printed."""
    env = {**os.environ, **config.environment(), "BLOG_CRASH_AFTER_JOB": "NotifyAuthor"}
    env.update(JOBS_HEARTBEAT_INTERVAL="0.2", JOBS_SCHEDULER="0", PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "jobs", "work", "--queue", "mail", "--count", "2"]
    worker = subprocess.Popen(
        [*command, "--import", "blog_app.jobs"], cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + DEADLINE
        while not _settled(raw) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)  # polling a condition, with a deadline
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    return output.decode(errors="replace")


def _settled(raw: redis.Redis) -> bool:
    done = int(raw.get("resque:stat:processed") or 0) + int(raw.get("resque:stat:failed") or 0)
    return done > 0


def count_mail(workdir: Path) -> tuple[int, bool]:
    """(mails received, whether a worker was killed) for one comment, in ``workdir``."""
    with SmtpSink(workdir / "outbox") as sink, PrivateRedis(workdir / "redis") as server:
        config = BlogConfig(
            database_url=f"sqlite:///{workdir / 'blog.sqlite3'}", upload_dir=workdir / "up",
            outbox_dir=workdir / "outbox", smtp_port=sink.port, redis_url=server.url,
            spam_api_url="http://127.0.0.1:9", testing=True,
        )  # fmt: skip
        previous = current_default_client()
        set_default_client(Client(Store(server.url), Settings(redis_url=server.url)))
        try:
            app = create_app(config)
            create_schema(app)
            post_a_comment(app)
            raw = redis.Redis.from_url(server.url)
            output = crash_once_and_rerun(config, raw) if raw.llen("resque:queue:mail") else ""
            engine(app).dispose()
        finally:
            set_default_client(previous)
        # The supervisor's own words: a worker died by SIGKILL, not merely the switch's marker.
        killed = any(lab_dir(config).glob("crashed-*")) and "killed by SIGKILL" in output
        return len(sink.outbox.names()), killed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mail-twice-") as temp:
        mails, killed = count_mail(Path(temp))
    if not killed:
        print("No NotifyAuthor job ran (the request sent the mail itself), so no worker died.")
    else:
        print("A worker was killed after NotifyAuthor's work, before the job was acknowledged.")
    verdict = {0: "no mail at all", 1: "one mail, as it should be"}.get(mails, "a duplicate!")
    print(f"The author received {mails} mail(s) for one comment: {verdict}")


if __name__ == "__main__":
    main()
