"""Measure the slow actions' response times, the numbers the chapters set out to improve.

    python -m blog_app.measure [--articles 10000] [--comments 50000] [--delay 2]
                               [--expired-sessions 10000]

Each action runs through the Flask test client against a fresh SQLite database, with the API
stand-in (default latency) and the SMTP sink as real servers on loopback. The times are the
request's own, from the moment the app sees it to its response.
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import create_schema, open_session, session_factory
from blog_app.models import Article, Session
from blog_app.models._time import utcnow
from blog_app.outside.api_standin import ApiStandin
from blog_app.outside.smtp_sink import SmtpSink
from blog_app.seed import DEMO_EMAIL, DEMO_PASSWORD, SeedPlan, demo_author, drawn_image, seed


@dataclass(frozen=True)
class Plan:
    articles: int
    comments: int
    delay: float
    expired_sessions: int


def _timed(action: Callable[[], int]) -> float:
    started = time.perf_counter()
    status = action()
    elapsed = time.perf_counter() - started
    if status >= 400:
        raise RuntimeError(f"the measured request failed with HTTP {status}")
    return elapsed


def _login(client: FlaskClient) -> int:
    data = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    return client.post("/login", data=data).status_code


def _build(workdir: Path, api: ApiStandin, sink: SmtpSink, plan: Plan) -> Flask:
    config = BlogConfig(
        database_url=f"sqlite:///{workdir / 'blog.sqlite3'}", upload_dir=workdir / "up",
        outbox_dir=workdir / "outbox", spam_api_url=api.url, smtp_port=sink.port,
        publish_delay=plan.delay, testing=True,
    )  # fmt: skip
    app = create_app(config)
    app.config["WTF_CSRF_ENABLED"] = False  # measuring the work, not filling in forms
    create_schema(app)
    with session_factory(app)() as db:
        seed(db, config, SeedPlan(plan.articles, plan.comments, images=False), lambda _n: None)
    with open_session(app) as db:
        author = demo_author(db, config)
        for _ in range(plan.expired_sessions):
            session, _token = Session.start(db, author)
            session.last_seen_at = utcnow() - timedelta(days=365)
        db.add(Article(author=author, title="Draft", body="To be published."))
    return app


def measure(workdir: Path, plan: Plan) -> dict[str, float]:
    with ApiStandin() as api, SmtpSink(workdir / "outbox") as sink:
        app = _build(workdir, api, sink, plan)
        client = app.test_client()
        with open_session(app) as db:
            draft_id = db.scalars(select(Article.id).where(Article.published_at.is_(None))).one()
        comment = {"author_name": "Ada", "body": "Nice post."}
        return {
            f"log in ({plan.expired_sessions:,} expired sessions)": _timed(lambda: _login(client)),
            f"publish with a {plan.delay:g} s fake delay": _timed(
                lambda: client.post(f"/articles/{draft_id}/publish").status_code
            ),
            "upload a 4000x3000 JPEG": _timed(lambda: _upload(client)),
            "post a comment (spam API + email)": _timed(
                lambda: client.post("/articles/1/comments", data=comment).status_code
            ),
            f"dashboard ({plan.articles:,} articles, {plan.comments:,} comments)": _timed(
                lambda: client.get("/dashboard").status_code
            ),
        }


def _upload(client: FlaskClient) -> int:
    photo = drawn_image(random.Random(1), 4000, 3000)
    data = {"title": "Big photo", "body": "A large image.", "image": (io.BytesIO(photo), "p.jpg")}
    response = client.post("/articles/new", data=data, content_type="multipart/form-data")
    return int(response.status_code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--expired-sessions", type=int, default=10_000)
    options = parser.parse_args()
    plan = Plan(options.articles, options.comments, options.delay, options.expired_sessions)
    with tempfile.TemporaryDirectory() as workdir:
        results = measure(Path(workdir), plan)
    for action, seconds in results.items():
        click.echo(f"{action:<48} {seconds * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
