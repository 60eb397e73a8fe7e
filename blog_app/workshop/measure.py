"""Measure the slow actions' response times, the numbers the chapters set out to improve.

    python -m blog_app.workshop.measure [--articles 10000] [--comments 50000] [--delay 2]
                               [--expired-sessions 10000] [--smtp-delay 0.2]
                               [--only publish,upload]

Each action runs through the Flask test client against a fresh SQLite database, with the API
stand-in (default latency), the SMTP sink and a private Redis as real servers on loopback.
Two times per action: the request's own, from the moment the app sees it to its response;
and then the work its jobs do, if it enqueued any (run here, as a worker would run them).
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
from blog_app.workshop.seed import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    SeedPlan,
    demo_author,
    drawn_image,
    seed,
)
from jobs.client import Client, default_client, set_default_client
from jobs.dev.local_redis import PrivateRedis
from jobs.settings import Settings
from jobs.store import Store
from jobs.testing import drain

# The actions, by the name --only takes.
ACTIONS = ("login", "publish", "upload", "comment", "mail", "dashboard")


@dataclass(frozen=True)
class Plan:
    articles: int
    comments: int
    delay: float
    expired_sessions: int
    only: tuple[str, ...] = ACTIONS
    smtp_delay: float = 0.2  # "mail": the SMTP sink answers as slowly as a real server


@dataclass(frozen=True)
class Timing:
    request: float  # seconds until the response
    jobs: float | None  # seconds the jobs it enqueued took, None if it enqueued none


def _timed(app: Flask, action: Callable[[], int]) -> Timing:
    started = time.perf_counter()
    status = action()
    elapsed = time.perf_counter() - started
    if status >= 400:
        raise RuntimeError(f"the measured request failed with HTTP {status}")
    return Timing(elapsed, _run_jobs(app))


def _run_jobs(app: Flask) -> float | None:
    """Run the jobs the request enqueued, as a worker would; None if there were none."""
    started = time.perf_counter()
    with app.app_context():  # the jobs work on this app's database
        ran = drain(default_client().queues(), ["blog_app.jobs"])
    return time.perf_counter() - started if ran else None


def _login(client: FlaskClient) -> int:
    data = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    return client.post("/login", data=data).status_code


def _build(workdir: Path, api: ApiStandin, sink: SmtpSink, redis_url: str, plan: Plan) -> Flask:
    config = BlogConfig(
        database_url=f"sqlite:///{workdir / 'blog.sqlite3'}", upload_dir=workdir / "up",
        outbox_dir=workdir / "outbox", spam_api_url=api.url, smtp_port=sink.port,
        publish_delay=plan.delay, redis_url=redis_url, testing=True,
    )  # fmt: skip
    app = create_app(config)
    app.config["WTF_CSRF_ENABLED"] = False  # measuring the work, not filling in forms
    create_schema(app)
    with session_factory(app)() as db:
        seed(db, config, _seed_plan(plan), lambda _n: None)
    with open_session(app) as db:
        author = demo_author(db, config)
        for _ in range(plan.expired_sessions if "login" in plan.only else 0):
            session, _token = Session.start(db, author)
            session.last_seen_at = utcnow() - timedelta(days=365)
        db.add(Article(author=author, title="Draft", body="To be published."))
    return app


def _seed_plan(plan: Plan) -> SeedPlan:
    """Only the dashboard needs the many articles and comments; the other actions need one
    article to comment on. Seeding the rest would only make the measurement wait."""
    if "dashboard" in plan.only:
        return SeedPlan(plan.articles, plan.comments, images=False)
    return SeedPlan(1, 0, images=False)


def measure(workdir: Path, plan: Plan) -> dict[str, Timing]:
    with (
        ApiStandin() as api,
        SmtpSink(workdir / "outbox") as sink,
        PrivateRedis(workdir / "redis") as redis_server,
    ):
        settings = Settings(redis_url=redis_server.url)
        set_default_client(Client(Store(redis_server.url, settings.namespace), settings))
        try:
            app = _build(workdir, api, sink, redis_server.url, plan)
            _run_jobs(app)  # what seeding queued (chapter 7's recount), so that none is timed
            return _measure_actions(app, plan, sink)
        finally:
            set_default_client(None)


def _measure_actions(app: Flask, plan: Plan, sink: SmtpSink) -> dict[str, Timing]:
    client = app.test_client()
    with open_session(app) as db:
        draft_id = db.scalars(select(Article.id).where(Article.published_at.is_(None))).one()
    comment = {"author_name": "Ada", "body": "Nice post."}
    actions: dict[str, tuple[str, Callable[[], int]]] = {
        "login": (f"log in ({plan.expired_sessions:,} expired sessions)", lambda: _login(client)),
        "publish": (
            f"publish with a {plan.delay:g} s fake delay",
            lambda: client.post(f"/articles/{draft_id}/publish").status_code,
        ),
        "upload": ("upload a 4000x3000 JPEG", lambda: _upload(client)),
        "comment": (
            "post a comment (spam API + email)",
            lambda: client.post("/articles/1/comments", data=comment).status_code,
        ),
        "mail": (
            f"post a comment, the email part (SMTP in {plan.smtp_delay:g} s)",
            lambda: client.post("/articles/1/comments", data=comment).status_code,
        ),
        "dashboard": (
            f"dashboard ({plan.articles:,} articles, {plan.comments:,} comments)",
            lambda: client.get("/dashboard").status_code,
        ),
    }
    if "login" not in plan.only:  # the other actions need the session it starts
        _login(client)
    results = {}
    for name, (label, action) in actions.items():
        if name in plan.only:
            with _smtp_answering_in(sink, plan.smtp_delay if name == "mail" else 0.0):
                results[label] = _timed(app, action)
    return results


@contextmanager
def _smtp_answering_in(sink: SmtpSink, seconds: float) -> Iterator[None]:
    sink.configure(delay=seconds)
    try:
        yield
    finally:
        sink.configure(delay=0.0)


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
    parser.add_argument("--smtp-delay", type=float, default=0.2, help="for 'mail': seconds")
    parser.add_argument("--only", default=",".join(ACTIONS), help=f"some of {ACTIONS}")
    options = parser.parse_args()
    only = tuple(name.strip() for name in options.only.split(",") if name.strip())
    if unknown := set(only) - set(ACTIONS):
        parser.error(f"unknown actions {sorted(unknown)}; choose from {', '.join(ACTIONS)}")
    plan = Plan(options.articles, options.comments, options.delay, options.expired_sessions, only)
    plan = replace(plan, smtp_delay=options.smtp_delay)
    with tempfile.TemporaryDirectory() as workdir:
        results = measure(Path(workdir), plan)
    click.echo(f"{'action':<48} {'request':>9} {'its jobs':>10}")
    for action, timing in results.items():
        jobs = "-" if timing.jobs is None else f"{timing.jobs * 1000:.0f} ms"
        click.echo(f"{action:<48} {timing.request * 1000:6.0f} ms {jobs:>10}")


if __name__ == "__main__":
    main()
