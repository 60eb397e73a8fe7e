"""Chapter 3's checkpoint: an upload answers before the thumbnails exist, a MakeThumbnails job
carries the image's id, a real worker makes them (twice is harmless), and a broken image fails
visibly."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import PIL.Image
import pytest
import redis
from flask import Flask
from sqlalchemy import create_engine, select

from blog_app.config import BlogConfig
from blog_app.db import open_session
from blog_app.models import Image
from chapters.conftest import run_worker
from jobs.client import Client
from jobs.hooks import EnqueueCall
from jobs.testing import drain
from tests.blog_app.helpers import Browser, broken_png, image_bytes

QUEUE = "resque:queue:images"
SIZES = (400, 160)


@pytest.fixture
def blog_config(blog_config: BlogConfig) -> BlogConfig:
    return blog_config.with_changes(thumbnail_sizes=SIZES)


def _upload(browser: Browser, data: bytes) -> str:
    """Write an article with this image; returns the article's address."""
    fields = {"title": "A photo", "body": "See above.", "image": (io.BytesIO(data), "p.png")}
    response = browser.submit("/articles/new", fields, content_type="multipart/form-data")
    assert response.status_code == 302, (
        f"The upload answered {response.status}: the request should store the original and"
        " answer at once, leaving the decoding to the job."
    )
    return str(response.headers["Location"])


def _image(blog: Flask) -> Image:
    with open_session(blog) as db:
        return db.scalars(select(Image)).one()


def _thumbnails(config: BlogConfig, image: Image) -> dict[int, bytes]:
    paths = {size: image.thumbnail_path(config.upload_dir, size) for size in SIZES}
    return {size: path.read_bytes() for size, path in paths.items() if path.is_file()}


def _failures(raw: redis.Redis) -> list[dict[str, str]]:
    return [json.loads(record) for record in raw.lrange("resque:failed", 0, -1)]


def _make_thumbnails(config: BlogConfig, raw: redis.Redis) -> None:
    assert raw.llen(QUEUE), "No job reached the images queue, so a worker has nothing to run."
    output = run_worker(config, "images")
    failures = _failures(raw)
    assert not failures, (
        f"The MakeThumbnails job failed: {failures[0].get('exception')}: {failures[0].get('error')}"
    )
    assert raw.get("resque:stat:processed"), f"The worker ran no job. It said:\n{output}"


def test_the_upload_answers_before_the_thumbnails_exist(
    blog: Flask, blog_config: BlogConfig, browser: Browser
) -> None:
    """The upload stores the original and answers; the thumbnails do not exist yet."""
    page_address = _upload(browser, image_bytes(900, 600))
    image = _image(blog)
    assert image.original_path(blog_config.upload_dir).is_file(), "The original was not stored."
    assert not _thumbnails(blog_config, image), (
        "The request made the thumbnails itself: enqueue a MakeThumbnails job in the view"
        " instead (step 3 of the lesson)."
    )
    page = browser.text(page_address)
    assert 'class="placeholder"' in page, (
        'The article\'s page should show a placeholder (class="placeholder") until the'
        " thumbnails exist (step 4 of the lesson)."
    )
    assert "data-image-status=" in page and "image_status.js" in page, (
        "The placeholder does not follow the job: give it data-image-status with the address"
        " of the image's status, and load static/image_status.js (step 4 of the lesson)."
    )


def test_the_image_keeps_its_jobs_id_so_the_page_can_follow_it(
    blog: Flask, browser: Browser
) -> None:
    """The image keeps the id enqueue returned; its status endpoint says the job is waiting."""
    _upload(browser, image_bytes(300, 200))
    image = _image(blog)
    assert image.thumbnail_job_id, (
        "The image does not keep its job's id, so the page cannot follow the job: keep the job's"
        " id (image.thumbnail_job_id = jobs.enqueue(...)) and commit again (step 3 of the"
        " lesson)."
    )
    status = browser.get(f"/images/{image.id}/status").get_json()
    assert status == {"state": "waiting"}, f"/images/{image.id}/status answered {status}."


def test_a_make_thumbnails_job_carries_the_image_id(
    blog: Flask, browser: Browser, raw: redis.Redis
) -> None:
    """The upload puts one job on the images queue: MakeThumbnails, with the image's id."""
    _upload(browser, image_bytes(300, 200))
    waiting = [json.loads(job) for job in raw.lrange(QUEUE, 0, -1)]
    assert waiting, (
        f"Nothing waits on {QUEUE}: the view should enqueue MakeThumbnails, a class in"
        ' blog_app/jobs.py with queue = "images" (steps 2 and 3 of the lesson).'
    )
    job, image_id = waiting[0], _image(blog).id
    assert (job["class"], job["args"]) == ("blog_app.jobs.MakeThumbnails", [image_id]), (
        f"The job is {job['class']}{job['args']}; it should be"
        f" blog_app.jobs.MakeThumbnails with the image's id, [{image_id}]: an id, not the image."
    )


@pytest.fixture
def found_at_enqueue(blog_config: BlogConfig, jobs_client: Client) -> Iterator[list[bool]]:
    """For each MakeThumbnails job, whether a worker that took it the moment it was enqueued
    would find its image: looked up, at that moment, through a connection of its own."""
    found: list[bool] = []
    other = create_engine(blog_config.database_url)

    def look(call: EnqueueCall, call_next: Callable[[], str | None]) -> str | None:
        if call.job_class.__name__ == "MakeThumbnails" and isinstance(call.args[0], int):
            with other.connect() as connection:
                row = connection.execute(select(Image.id).where(Image.id == call.args[0]))
                found.append(row.first() is not None)
        return call_next()

    jobs_client.hooks.enqueue_middleware.append(look)
    yield found
    jobs_client.hooks.enqueue_middleware.remove(look)
    other.dispose()


def test_the_job_is_enqueued_after_the_commit(
    browser: Browser, found_at_enqueue: list[bool]
) -> None:
    """The job is enqueued after the commit, so that a worker that takes it at once finds the
    image."""
    _upload(browser, image_bytes(300, 200))
    assert found_at_enqueue, "No MakeThumbnails job was enqueued (step 3 of the lesson)."
    assert all(found_at_enqueue), (
        "The MakeThumbnails job was enqueued before db.commit(). At that moment the image is"
        " not in the database for anyone else yet, so a worker that takes the job at once"
        " finds nothing to resize. Enqueue after the commit (step 3 of the lesson)."
    )


def test_a_worker_makes_the_thumbnails_and_twice_is_harmless(
    blog: Flask, blog_config: BlogConfig, browser: Browser, raw: redis.Redis
) -> None:
    """A worker makes the thumbnails; a second run of the job changes nothing.

    At-least-once delivery means a job may run twice; the second run must leave whole,
    identical files and no temporary ones."""
    page_address = _upload(browser, image_bytes(900, 600))
    once = raw.lrange(QUEUE, 0, -1)
    _make_thumbnails(blog_config, raw)
    image = _image(blog)
    first = _thumbnails(blog_config, image)
    assert set(first) == set(SIZES), f"Thumbnails made: {sorted(first)}; expected {SIZES}."
    for size, data in first.items():
        with PIL.Image.open(io.BytesIO(data)) as thumbnail:
            assert max(thumbnail.size) == size, f"The {size} px thumbnail is {thumbnail.size}."
    assert 'class="placeholder"' not in browser.text(page_address), (
        "The page still shows the placeholder although the thumbnails exist."
    )
    raw.rpush(QUEUE, *once)  # at-least-once delivery: the same job again
    with blog.app_context():  # run here, as a worker would, to save starting another one
        drain(["images"], ["blog_app.jobs"])
    assert not _failures(raw), f"The second run failed: {_failures(raw)[0].get('error')}"
    assert _thumbnails(blog_config, image) == first, "A second run changed the thumbnails."
    leftovers = [p.name for p in Path(image.directory(blog_config.upload_dir)).iterdir()]
    assert not [name for name in leftovers if name.startswith(".tmp")], (
        f"Temporary files are left behind: {leftovers}. Write each thumbnail to a temporary"
        " file, then rename it into place (step 5 of the lesson)."
    )


def test_a_broken_image_fails_visibly(
    blog: Flask, blog_config: BlogConfig, browser: Browser, raw: redis.Redis
) -> None:
    """A broken image (a good header, bad data) makes the job fail, and the monitor shows it."""
    _upload(browser, broken_png())
    run_worker(blog_config, "images")
    failures = _failures(raw)
    assert failures, "The job for a broken image did not fail: it should raise BrokenImage."
    assert failures[0]["exception"].endswith("BrokenImage"), (
        f"The job failed with {failures[0]['exception']}, not BrokenImage."
    )
    assert "BrokenImage" in browser.text("/jobs/failed"), "The monitor's Failed tab is empty."
    image = _image(blog)
    status = browser.get(f"/images/{image.id}/status").get_json()
    assert status.get("state") == "failed" and "BrokenImage" in status.get("error", ""), (
        f"The image's status says {status}: the page cannot tell that the job failed. Keep the"
        " job's id on the image (step 3 of the lesson)."
    )
