"""The blog's jobs: each loads its row by id and calls the model; a missing row is no error;
thumbnails made twice are the same files; a real forking worker runs them on the database
the environment names."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session as DbSession

import blog_app.jobs
import jobs
import jobs.testing
from blog_app.config import BlogConfig
from blog_app.models import Article, Author, Comment, CommentStatus, Image, Session
from blog_app.models._time import utcnow
from blog_app.outside.api_standin import ApiStandin
from blog_app.services.errors import SpamCheckError
from blog_app.services.uploads import attach_image, inspect_upload
from jobs.schedule import default_schedule
from tests.blog_app.helpers import image_bytes
from tests.jobs.helpers import ROOT


def _article(db: DbSession, author: Author) -> Article:
    article = Article(author=author, title="Queues", body="one two three")
    db.add(article)
    db.commit()
    return article


def _image(db: DbSession, author: Author, config: BlogConfig) -> Image:
    article = _article(db, author)
    stream = io.BytesIO(image_bytes(300, 200))
    image = attach_image(db, article, stream, inspect_upload(stream, 10**6, 10**8), config)
    db.commit()
    return image


def test_the_sleeper_publishes_the_article_it_is_given(
    app: Flask, db: DbSession, author: Author
) -> None:
    article = _article(db, author)
    with app.app_context(), jobs.testing.inline():
        jobs.enqueue(blog_app.jobs.Sleeper, article.id)
    db.refresh(article)
    assert article.is_published


def test_jobs_for_rows_that_are_gone_do_nothing(app: Flask) -> None:
    with app.app_context(), jobs.testing.inline() as inline:
        jobs.enqueue(blog_app.jobs.Sleeper, 404)
        jobs.enqueue(blog_app.jobs.MakeThumbnails, 404)
    assert len(inline.performed) == 2


def test_thumbnails_made_twice_are_the_same_files(
    app: Flask, db: DbSession, author: Author, config: BlogConfig
) -> None:
    image = _image(db, author, config)
    paths = [image.thumbnail_path(config.upload_dir, size) for size in config.thumbnail_sizes]
    with app.app_context(), jobs.testing.inline():
        jobs.enqueue(blog_app.jobs.MakeThumbnails, image.id)
        first = [path.read_bytes() for path in paths]
        jobs.enqueue(blog_app.jobs.MakeThumbnails, image.id)
    assert [path.read_bytes() for path in paths] == first
    assert sorted(p.name for p in image.directory(config.upload_dir).iterdir()) == sorted(
        [image.original_path(config.upload_dir).name, *(path.name for path in paths)]
    )


def test_a_forking_worker_runs_the_jobs_on_the_database_the_environment_names(
    db: DbSession, author: Author, config: BlogConfig, raw: redis.Redis, redis_url: str
) -> None:
    article, image = _article(db, author), _image(db, author, config)
    jobs.enqueue(blog_app.jobs.Sleeper, article.id)
    jobs.enqueue(blog_app.jobs.MakeThumbnails, image.id)
    env = {**os.environ, **config.environment(), "REDIS_URL": redis_url}
    command = [sys.executable, "-m", "jobs", "work", "--queue", "sleep,images", "--interval", "0"]
    subprocess.run([*command, "--import", "blog_app.jobs"], cwd=ROOT, env=env, timeout=60)
    assert raw.lrange("resque:failed", 0, -1) == []
    assert raw.get("resque:stat:processed") == "2"
    db.expire_all()
    assert db.get(Article, article.id).is_published  # type: ignore[union-attr]
    assert all(image.has_thumbnail(config.upload_dir, size) for size in config.thumbnail_sizes)


def _age(path: Path, hours: float) -> None:
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def test_expire_sessions_deletes_the_expired_ones_and_spares_the_live(
    app: Flask, db: DbSession, author: Author, config: BlogConfig
) -> None:
    lifetime = timedelta(seconds=config.session_lifetime)
    for last_seen in (lifetime + timedelta(minutes=1), lifetime - timedelta(minutes=1)):
        for _ in range(3):
            session, _token = Session.start(db, author)
            session.last_seen_at = utcnow() - last_seen
    db.commit()
    with app.app_context(), jobs.testing.inline():
        jobs.enqueue(blog_app.jobs.ExpireSessions)
    db.expire_all()
    assert [s.unseen_for(lifetime) for s in db.query(Session)] == [False, False, False]


def test_the_maintenance_jobs_are_on_a_schedule_on_the_maintenance_queue() -> None:
    entries = {e.class_name: e for e in default_schedule.entries.values()}
    sessions = entries["blog_app.jobs.ExpireSessions"]
    uploads = entries["blog_app.jobs.RemoveOrphanedUploads"]
    assert (sessions.queue, sessions.every) == ("maintenance", 60)
    assert (uploads.queue, uploads.every) == ("maintenance", 3600)


def test_remove_orphaned_uploads_removes_old_leftovers_only(
    app: Flask, db: DbSession, author: Author, config: BlogConfig
) -> None:
    image = _image(db, author, config)
    images = Path(config.upload_dir) / "images"
    old_orphan, new_orphan, not_ours = images / "9001", images / "9002", images / "backup"
    for directory in (old_orphan, new_orphan, not_ours):
        (directory / "original.png").parent.mkdir(parents=True)
        (directory / "original.png").write_bytes(b"x")
    old_temp = image.directory(config.upload_dir) / ".tmp-killed"
    new_temp = image.directory(config.upload_dir) / ".tmp-being-written"
    old_temp.write_bytes(b"half")
    new_temp.write_bytes(b"half")
    for path in (old_orphan, not_ours, old_temp):
        _age(path, 2)
    with app.app_context(), jobs.testing.inline():
        jobs.enqueue(blog_app.jobs.RemoveOrphanedUploads)
    assert not old_orphan.exists() and not old_temp.exists()
    assert new_orphan.exists() and new_temp.exists() and not_ours.exists()  # too young; not ours
    assert image.original_path(config.upload_dir).is_file()


def _pending_comment(db: DbSession, author: Author, body: str = "Thank you.") -> Comment:
    comment = Comment(article=_article(db, author), author_name="Grace", body=body)
    db.add(comment)
    db.commit()
    return comment


def test_check_spam_decides_a_pending_comment_once(
    app: Flask, db: DbSession, author: Author, spam_api: ApiStandin
) -> None:
    good, spam = _pending_comment(db, author), _pending_comment(db, author, "cheap casino viagra")
    with app.app_context(), jobs.testing.inline():
        for comment in (good, spam):
            blog_app.jobs.CheckSpam.perform_async(comment.id)
        asked = spam_api.requests
        blog_app.jobs.CheckSpam.perform_async(good.id)  # a second delivery
    assert spam_api.requests == asked  # a decided comment costs no API call
    db.expire_all()
    assert (good.status, spam.status) == (CommentStatus.PUBLISHED, CommentStatus.HELD)


def test_check_spam_retries_a_429_when_the_api_asks_and_holds_when_retries_run_out(
    app: Flask, db: DbSession, author: Author, spam_api: ApiStandin
) -> None:
    comment = _pending_comment(db, author)
    spam_api.configure(next=("429",), retry_after=12.0)
    with app.app_context(), pytest.raises(jobs.Retry) as asked:
        blog_app.jobs.CheckSpam().perform(comment.id)
    assert asked.value.in_seconds == 12.0
    assert blog_app.jobs.CheckSpam.retry_on == (SpamCheckError,)
    with app.app_context():
        blog_app.jobs.CheckSpam.on_retries_exhausted(SpamCheckError("down"), comment.id)
    db.expire_all()
    assert comment.status is CommentStatus.HELD
