"""The article page follows its thumbnail job: a small JSON endpoint gives the job's state
(waiting, running, failed with its reason, done), and static/image_status.js shows it on the
page, then the picture, without a reload."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

import jobs.testing
from blog_app.models import Image
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser, broken_png, image_bytes
from tests.blog_app.test_browser import blog_url, sqlite_only  # noqa: F401
from tests.jobs.web.test_browser import CHROMIUM, browser_page  # noqa: F401


def _upload(web: Browser, data: bytes, publish: bool = True) -> str:
    fields: dict[str, Any] = {
        "title": "On queues",
        "body": "Workers.",
        "image": (io.BytesIO(data), "a.png"),
    }
    if publish:
        fields["publish"] = "y"
    page = web.submit("/articles/new", fields, content_type="multipart/form-data")
    return page.headers["Location"]


def _image(db: DbSession) -> Image:
    db.expire_all()
    return db.scalars(select(Image)).one()


def _status(web: Browser, image: Image) -> Any:
    response = web.get(f"/images/{image.id}/status")
    assert response.status_code == 200, response.status_code
    return response.get_json()


def _drain(app: Flask) -> None:
    with app.app_context():
        assert jobs.testing.drain(["images", "sleep"], ["blog_app.jobs"]) >= 1


def test_a_new_upload_waits_for_a_worker(logged_in: Browser, db: DbSession) -> None:
    _upload(logged_in, image_bytes(640, 480))
    image = _image(db)

    assert image.thumbnail_job_id is not None
    assert _status(logged_in, image) == {"state": "waiting"}


def test_made_thumbnails_are_done_with_the_picture_to_show(
    logged_in: Browser, db: DbSession, app: Flask
) -> None:
    _upload(logged_in, image_bytes(640, 480))
    _drain(app)
    image = _image(db)

    assert _status(logged_in, image) == {"state": "done", "src": f"/images/{image.id}/800.jpg"}


def test_a_broken_upload_fails_and_its_author_reads_why(
    logged_in: Browser, db: DbSession, app: Flask
) -> None:
    _upload(logged_in, broken_png())
    _drain(app)
    image = _image(db)

    status = _status(logged_in, image)
    assert status["state"] == "failed"
    assert status["error"].startswith("BrokenImage:") and "broken" in status["error"]


def test_visitors_see_that_it_failed_but_not_the_error(
    logged_in: Browser, db: DbSession, app: Flask
) -> None:
    _upload(logged_in, broken_png())
    _drain(app)
    visitor = Browser(app.test_client())

    assert _status(visitor, _image(db)) == {"state": "failed"}


def test_the_status_of_a_drafts_image_is_only_for_its_author(
    logged_in: Browser, db: DbSession, app: Flask
) -> None:
    _upload(logged_in, image_bytes(64, 48), publish=False)
    visitor = Browser(app.test_client())

    assert visitor.get(f"/images/{_image(db).id}/status").status_code == 404
    assert visitor.get("/images/999/status").status_code == 404


# -- in a real browser (Debian's chromium, driven by Playwright; the fixtures of the blog's and
# the monitor's browser tests) -------------------------------------------------------------------
@sqlite_only
def test_the_page_shows_the_jobs_progress_then_the_picture_without_a_reload(
    blog_url: str,  # noqa: F811 (the fixture imported above)
    browser_page: Any,  # noqa: F811
    app: Flask,
    author: Any,
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("apt-get install chromium (the browser test needs it)")
    page = browser_page
    page.goto(f"{blog_url}/login")
    page.fill("input[name=email]", author.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button")
    page.goto(f"{blog_url}/articles/new")
    page.fill("input[name=title]", "On queues")
    page.fill("textarea[name=body]", "Workers.")
    photo = {"name": "a.png", "mimeType": "image/png", "buffer": image_bytes(640, 480)}
    page.set_input_files("input[name=image]", files=[photo])
    page.check("input[name=publish]")
    page.click("main form button")
    page.wait_for_selector(".placeholder[data-state=waiting]")
    assert "waiting for a worker" in page.inner_text(".placeholder")

    _drain(app)

    page.wait_for_selector("img.hero", state="attached", timeout=10_000)
    assert page.query_selector(".placeholder") is None
