"""Chapter 5's checkpoint: logging in no longer sweeps; an ExpireSessions job on the
maintenance queue does, on a schedule that two scheduler loops enqueue once per tick; a real
worker deletes only expired sessions, a batch per transaction; and old upload leftovers go."""

from __future__ import annotations

import importlib
import json
import os
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path

import redis
from flask import Flask
from sqlalchemy import func, insert, select

import jobs
from blog_app.config import BlogConfig
from blog_app.db import engine, open_session
from blog_app.models import Author, Image, Session
from blog_app.models._time import utcnow
from chapters.conftest import PASSWORD, run_worker
from jobs.client import Client
from jobs.schedule import Recurring, default_schedule
from jobs.scheduler import Scheduler
from jobs.testing import drain
from tests.blog_app.helpers import Browser, deleted_per_transaction

QUEUE = "resque:queue:maintenance"
EXPIRED = 10_000  # the pile of expired sessions the login must not care about
LOGIN_LIMIT = 2.0  # seconds; a login that sweeps 10,000 rows one by one takes about one


def _job_class(name: str, step: int) -> type:
    """The job class ``name`` in blog_app/jobs.py, as a worker loads it."""
    module = importlib.import_module("blog_app.jobs")
    job = getattr(module, name, None)
    assert isinstance(job, type), f"blog_app/jobs.py has no {name} job yet (step {step})."
    return job


def _schedule_of(name: str, step: int) -> Recurring:
    """The recurring schedule that enqueues ``blog_app.jobs.NAME``."""
    _job_class(name, step)
    found = [e for e in default_schedule.entries.values() if e.class_name.endswith(f".{name}")]
    assert found, (
        f"Nothing puts {name} on a schedule, so no worker will ever run it: declare"
        f" jobs.schedule.every(..., {name}) in blog_app/jobs.py (step {step})."
    )
    return found[0]


def _add_sessions(blog: Flask, count: int, last_seen: datetime) -> None:
    """``count`` sessions of the author, last seen at ``last_seen``, in one quick insert."""
    with open_session(blog) as db:
        author_id = db.scalars(select(Author.id)).first()
        rows = [
            {"token_hash": secrets.token_hex(32), "author_id": author_id,
             "created_at": last_seen, "last_seen_at": last_seen}
            for _ in range(count)
        ]  # fmt: skip
        db.execute(insert(Session), rows)


def _count(
    blog: Flask, seen_since: datetime | None = None, seen_before: datetime | None = None
) -> int:
    with open_session(blog) as db:
        query = select(func.count()).select_from(Session)
        if seen_since is not None:
            query = query.where(Session.last_seen_at >= seen_since)
        if seen_before is not None:
            query = query.where(Session.last_seen_at < seen_before)
        return db.scalars(query).one()


def _lifetime(config: BlogConfig) -> timedelta:
    return timedelta(seconds=config.session_lifetime)


def test_logging_in_is_fast_and_sweeps_nothing(blog: Flask, browser: Browser) -> None:
    """Logging in with 10,000 expired sessions in the table is quick, and deletes none of them.

    The sweep is the ExpireSessions job's work now, not the login's."""
    long_ago = utcnow() - timedelta(days=365)
    _add_sessions(blog, EXPIRED, long_ago)
    started = time.monotonic()
    Browser(blog.test_client()).log_in("ada@example.com", PASSWORD)
    took = time.monotonic() - started
    left = _count(blog, seen_before=long_ago + timedelta(seconds=1))
    assert left == EXPIRED, (
        f"Logging in deleted {EXPIRED - left:,} expired sessions: the login still sweeps."
        " Take Session.expire_old out of _log_in in blog_app/views/auth.py (step 4): the"
        " ExpireSessions job does it now, on its schedule."
    )
    assert took < LOGIN_LIMIT, f"Logging in took {took:.2f} s: it should take milliseconds."


def test_the_sweep_is_a_recurring_job_on_the_maintenance_queue() -> None:
    """ExpireSessions runs on a schedule, on the maintenance queue, at least once an hour."""
    entry = _schedule_of("ExpireSessions", 3)
    assert entry.queue == "maintenance", (
        f"ExpireSessions goes to the {entry.queue!r} queue: give the class"
        ' queue = "maintenance", so that a worker can put maintenance after the work people'
        " wait for (step 3)."
    )
    assert entry.every is None or entry.every <= 3600, (
        f"ExpireSessions runs every {entry.every:g} s: run it at least once an hour (step 3)."
    )


def test_two_scheduler_loops_enqueue_each_tick_once(jobs_client: Client, raw: redis.Redis) -> None:
    """Two scheduler loops (two workers) enqueue the sweep once per tick, not twice."""
    entry = _schedule_of("ExpireSessions", 3)
    tick = entry.next_tick(int(time.time() * 1000)) / 1000
    now = [tick - 1.0]  # the loops' clock: just before a tick, then just after it
    loops = [
        Scheduler(jobs_client.store, jobs_client.settings, default_schedule, lambda: now[0])
        for _ in range(2)
    ]
    for loop in loops:
        loop.tick()
    now[0] = tick + 0.5
    for loop in loops * 2:
        loop.tick()
    sweeps = [
        job for job in map(json.loads, raw.lrange(QUEUE, 0, -1)) if job["class"] == entry.class_name
    ]
    assert len(sweeps) == 1, (
        f"Two scheduler loops put {len(sweeps)} ExpireSessions jobs on {QUEUE} for one tick;"
        " expected exactly one. Declare the schedule with jobs.schedule.every (step 3), not with"
        " a loop of your own."
    )
    assert sweeps[0]["args"] == [], f"The sweep needs no arguments; it got {sweeps[0]['args']}."


def test_a_worker_deletes_the_expired_sessions_and_spares_the_live_ones(
    blog: Flask, blog_config: BlogConfig, browser: Browser, raw: redis.Redis
) -> None:
    """A real worker runs the sweep: every expired session goes, every live one stays."""
    lifetime = _lifetime(blog_config)
    _add_sessions(blog, 2500, utcnow() - lifetime - timedelta(minutes=1))
    _add_sessions(blog, 3, utcnow() - lifetime + timedelta(minutes=5))  # about to expire
    live_before = _count(blog, seen_since=utcnow() - lifetime)
    jobs.enqueue(_job_class("ExpireSessions", 3))
    output = run_worker(blog_config, "maintenance")
    failures = [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]
    assert not failures, f"The ExpireSessions job failed: {failures[0].get('error')}"
    assert raw.get("resque:stat:processed"), f"The worker ran no job. It said:\n{output}"
    live_after = _count(blog, seen_since=utcnow() - lifetime)
    assert live_after == live_before, (
        f"The sweep deleted {live_before - live_after} live session(s): it must delete only"
        " sessions not seen for the session lifetime (step 2)."
    )
    expired = _count(blog, seen_before=utcnow() - lifetime)
    assert expired == 0, f"{expired:,} expired sessions are still there after the sweep (step 2)."


def test_the_sweep_deletes_a_batch_per_transaction(blog: Flask, browser: Browser) -> None:
    """The sweep deletes at most 1,000 rows per transaction, so it never holds a long lock."""
    _add_sessions(blog, 2500, utcnow() - timedelta(days=365))
    per_transaction = deleted_per_transaction(engine(blog), "sessions")
    jobs.enqueue(_job_class("ExpireSessions", 3))
    with blog.app_context():  # run here, as a worker would, to watch its transactions
        drain(["maintenance"], ["blog_app.jobs"])
    assert sum(per_transaction) == 2500, f"The sweep deleted {sum(per_transaction)} of 2,500."
    assert max(per_transaction) <= 1000, (
        f"The sweep deleted {max(per_transaction):,} sessions in one transaction: delete them in"
        " batches of 1,000, committing after each batch (step 2)."
    )


def _aged(path: Path, hours: float) -> Path:
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))
    return path


def test_old_upload_leftovers_are_swept_and_nothing_else(
    blog: Flask, blog_config: BlogConfig, browser: Browser
) -> None:
    """RemoveOrphanedUploads, on an hourly schedule, removes old leftovers only: a directory
    whose image row is gone, a half-written thumbnail; not a fresh upload's files."""
    _schedule_of("RemoveOrphanedUploads", 6)
    images = Path(blog_config.upload_dir) / "images"
    with open_session(blog) as db:
        image_ids = db.scalars(select(Image.id)).all()
    assert not image_ids  # no image row exists, so every directory here is an orphan
    old, fresh = images / "41", images / "42"
    for directory in (old, fresh):
        directory.mkdir(parents=True)
        (directory / "original.png").write_bytes(b"an orphan")
    _aged(old, 3)
    jobs.enqueue(_job_class("RemoveOrphanedUploads", 6))
    with blog.app_context():
        drain(["maintenance"], ["blog_app.jobs"])
    assert not old.exists(), "A directory whose image row is gone stayed (step 6)."
    assert fresh.exists(), (
        "A directory a minute old was removed: it may belong to an upload still in progress,"
        " whose row is not committed yet. Leave what is younger than an hour (step 6)."
    )
