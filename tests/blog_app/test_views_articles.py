"""Articles through the browser: write, show, edit, publish (a Sleeper job does it), delete;
image uploads, good and bad (a MakeThumbnails job makes the thumbnails)."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

import blog_app.jobs
import jobs.testing
from blog_app.config import BlogConfig
from blog_app.models import Article, Author, Image
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser, broken_png, image_bytes, png_header_claiming


def _write(web: Browser, **fields: Any) -> Any:
    data = {"title": "On queues", "body": "Workers take jobs.", **fields}
    return web.submit("/articles/new", data, content_type="multipart/form-data")


def _only_article(db: DbSession) -> Article:
    return db.scalars(select(Article)).one()


def test_an_author_writes_a_draft_and_sees_it(logged_in: Browser, db: DbSession) -> None:
    response = _write(logged_in)
    article = _only_article(db)
    assert response.headers["Location"] == f"/articles/{article.id}"
    page = logged_in.text(f"/articles/{article.id}")
    assert "On queues" in page and "Workers take jobs." in page and "draft" in page
    assert "On queues" in logged_in.text("/")


def test_visitors_see_published_articles_only(
    logged_in: Browser, app: Flask, db: DbSession
) -> None:
    _write(logged_in)
    article = _only_article(db)
    visitor = Browser(app.test_client())
    assert visitor.get(f"/articles/{article.id}").status_code == 404
    with jobs.testing.inline():  # the Sleeper job publishes it during the request
        logged_in.submit(f"/articles/{article.id}", {}, action=f"/articles/{article.id}/publish")
    assert "On queues" in visitor.text(f"/articles/{article.id}")
    assert "On queues" in visitor.text("/")


def test_the_article_form_shows_validation_messages(logged_in: Browser, db: DbSession) -> None:
    page = _write(logged_in, title="", body="").get_data(as_text=True)
    assert "Give it a title." in page and "Write something first." in page
    assert db.scalars(select(Article)).all() == []


def test_publishing_enqueues_a_sleeper_job_and_answers_at_once(
    config: BlogConfig, db: DbSession, author: Author, raw: redis.Redis
) -> None:
    from blog_app import create_app

    slow = Browser(create_app(config.with_changes(publish_delay=5.0)).test_client())
    slow.log_in(author.email, PASSWORD)
    _write(slow)
    article = _only_article(db)
    started = time.monotonic()
    slow.submit(f"/articles/{article.id}", {}, action=f"/articles/{article.id}/publish")
    assert time.monotonic() - started < 5.0
    db.refresh(article)
    assert not article.is_published  # not yet: a worker publishes it
    (job,) = [json.loads(payload) for payload in raw.lrange("resque:queue:sleep", 0, -1)]
    assert (job["class"], job["args"]) == ("blog_app.jobs.Sleeper", [article.id])


def test_the_sleeper_job_publishes_after_the_fake_delay(
    app: Flask, config: BlogConfig, db: DbSession, author: Author
) -> None:
    article = Article(author=author, title="Slow", body="zzz")
    db.add(article)
    db.commit()
    with app.app_context(), jobs.testing.inline():
        app.config["BLOG"] = config.with_changes(publish_delay=0.2)
        started = time.monotonic()
        jobs.enqueue(blog_app.jobs.Sleeper, article.id)
        assert time.monotonic() - started >= 0.2
    db.refresh(article)
    assert article.is_published


def test_an_author_edits_their_article(logged_in: Browser, db: DbSession) -> None:
    _write(logged_in)
    article = _only_article(db)
    edit = f"/articles/{article.id}/edit"
    assert 'value="On queues"' in logged_in.text(edit)
    logged_in.submit(edit, {"title": "Renamed", "body": "New text"})
    db.refresh(article)
    assert (article.title, article.body) == ("Renamed", "New text")


def test_only_the_author_may_edit_publish_or_delete(
    logged_in: Browser, app: Flask, db: DbSession, other_author: Author
) -> None:
    with jobs.testing.inline():
        _write(logged_in, publish="y")
    article_id = _only_article(db).id
    other = Browser(app.test_client())
    other.log_in(other_author.email, PASSWORD)
    assert other.get(f"/articles/{article_id}/edit").status_code == 403
    for action in ("publish", "delete"):
        response = other.submit("/", {}, action=f"/articles/{article_id}/{action}")
        assert response.status_code == 403
    assert db.get(Article, article_id) is not None


def test_an_image_shows_a_placeholder_until_its_thumbnails_are_made(
    logged_in: Browser, db: DbSession, config: BlogConfig, raw: redis.Redis
) -> None:
    upload = (io.BytesIO(image_bytes(640, 480, "JPEG")), "photo.jpg")
    page = _write(logged_in, image=upload, publish="y").headers["Location"]
    image = db.scalars(select(Image)).one()
    assert (image.width, image.height, image.format) == (640, 480, "JPEG")
    assert image.original_path(config.upload_dir).is_file()
    assert not image.has_thumbnail(config.upload_dir, 160)
    assert 'class="placeholder"' in logged_in.text(page)
    (job,) = [json.loads(payload) for payload in raw.lrange("resque:queue:images", 0, -1)]
    assert (job["class"], job["args"]) == ("blog_app.jobs.MakeThumbnails", [image.id])


def test_an_article_with_an_image_gets_thumbnails(
    logged_in: Browser, db: DbSession, config: BlogConfig
) -> None:
    upload = (io.BytesIO(image_bytes(640, 480, "JPEG")), "photo.jpg")
    with jobs.testing.inline():
        page = _write(logged_in, image=upload, publish="y").headers["Location"]
    image = db.scalars(select(Image)).one()
    for size in config.thumbnail_sizes:
        assert image.has_thumbnail(config.upload_dir, size)
    assert 'class="placeholder"' not in logged_in.text(page)
    thumbnail = logged_in.get(f"/images/{image.id}/160.jpg")
    assert thumbnail.status_code == 200 and thumbnail.data[:2] == b"\xff\xd8"


def test_a_broken_image_is_accepted_and_its_job_fails(
    logged_in: Browser, app: Flask, db: DbSession, config: BlogConfig, raw: redis.Redis
) -> None:
    page = _write(logged_in, image=(io.BytesIO(broken_png()), "upload.png")).headers["Location"]
    with app.app_context():
        assert jobs.testing.drain(["images"], ["blog_app.jobs"]) == 1
    (failure,) = [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]
    assert failure["exception"].endswith("BrokenImage") and "broken" in failure["error"]
    assert 'class="placeholder"' in logged_in.text(page)  # no thumbnails, ever


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text", "not an image"),
        (png_header_claiming(8000, 8000), "exhaust the server&#39;s memory"),
    ],
    ids=["not-an-image", "bomb"],
)
def test_a_bad_upload_is_a_400_page_and_leaves_nothing_behind(
    logged_in: Browser, db: DbSession, config: BlogConfig, data: bytes, message: str
) -> None:
    response = _write(logged_in, image=(io.BytesIO(data), "upload.png"))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.scalars(select(Article)).all() == []
    assert _files(config.upload_dir) == []


def test_an_upload_over_the_size_limit_is_a_400_page(
    config: BlogConfig, db: DbSession, author: Author
) -> None:
    from blog_app import create_app

    small = Browser(create_app(config.with_changes(max_upload_bytes=10_000)).test_client())
    small.log_in(author.email, PASSWORD)
    response = _write(small, image=(io.BytesIO(b"\x89PNG" + b"0" * 20_000), "big.png"))
    assert response.status_code == 400 and "limit is" in response.get_data(as_text=True)
    far_too_big = _write(small, image=(io.BytesIO(b"0" * 2_000_000), "huge.png"))
    assert far_too_big.status_code == 400 and "larger than" in far_too_big.get_data(as_text=True)
    assert db.scalars(select(Article)).all() == []


def test_deleting_an_article_removes_its_image_files(
    logged_in: Browser, db: DbSession, config: BlogConfig
) -> None:
    _write(logged_in, image=(io.BytesIO(image_bytes()), "a.png"))
    article_id = _only_article(db).id
    assert _files(config.upload_dir)
    response = logged_in.submit("/", {}, action=f"/articles/{article_id}/delete")
    assert response.status_code == 302
    assert db.scalars(select(Article)).all() == [] and _files(config.upload_dir) == []


def _files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


def test_editing_keeps_the_image_unless_a_new_one_is_uploaded(
    logged_in: Browser, db: DbSession, config: BlogConfig
) -> None:
    _write(logged_in, image=(io.BytesIO(image_bytes(300, 200)), "a.png"))
    article = _only_article(db)
    edit = f"/articles/{article.id}/edit"
    response = logged_in.submit(edit, {"title": "Renamed", "body": "b"})
    assert response.status_code == 302
    first = db.scalars(select(Image)).one()
    assert (first.width, first.height) == (300, 200)
    first_dir = first.directory(config.upload_dir)
    upload = (io.BytesIO(image_bytes(120, 90)), "b.png")
    fields = {"title": "Renamed", "body": "b", "image": upload}
    logged_in.submit(edit, fields, content_type="multipart/form-data")
    db.expire_all()
    second = db.scalars(select(Image)).one()
    assert (second.width, second.height) == (120, 90)
    assert not first_dir.exists()
    db.refresh(article)
    assert not article.is_published  # an unticked box never publishes
