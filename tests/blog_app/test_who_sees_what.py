"""Who can see what: each author their own mail, admins every mail and the monitor; a draft's
images only its author; and no thumbnail carries the original's metadata."""

from __future__ import annotations

import io

import PIL.Image
from flask import Flask
from sqlalchemy.orm import Session as DbSession

import jobs.testing
from blog_app.config import BlogConfig
from blog_app.models import Article, Author
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser, image_bytes, mail_in_outbox


def _mail_to(config: BlogConfig, address: str, subject: str) -> str:
    return mail_in_outbox(config.outbox_dir, address, subject)


def test_an_author_reads_only_their_own_mail(
    logged_in: Browser, config: BlogConfig, author: Author, other_author: Author
) -> None:
    mine = _mail_to(config, author.email, "For Ada")
    theirs = _mail_to(config, f"Bob <{other_author.email}>", "For Bob")
    page = logged_in.text("/outbox/")
    assert "For Ada" in page and "For Bob" not in page and theirs not in page
    assert logged_in.get(f"/outbox/{mine}").status_code == 200
    assert logged_in.get(f"/outbox/{theirs}").status_code == 404


def test_an_admin_reads_every_mail(
    logged_in_admin: Browser, config: BlogConfig, author: Author, other_author: Author
) -> None:
    for who in (author, other_author):
        name = _mail_to(config, who.email, f"For {who.name}")
        assert logged_in_admin.get(f"/outbox/{name}").status_code == 200
    page = logged_in_admin.text("/outbox/")
    assert "For Ada" in page and "For Bob" in page


def test_signing_up_never_makes_an_admin(web: Browser, db: DbSession) -> None:
    form = {"name": "Eve", "email": "eve@example.com", "password": "long enough"}
    web.submit("/signup", {**form, "confirm": "long enough", "is_admin": "y"})
    eve = Author.find_by_email(db, "eve@example.com")
    assert eve is not None and not eve.is_admin
    assert web.get("/jobs/").status_code == 403


def test_grant_admin_makes_an_author_an_admin_and_back(app: Flask, author: Author) -> None:
    runner, db = app.test_cli_runner(), app.extensions["blog_db"]
    assert "now an admin" in runner.invoke(args=["grant-admin", author.email]).output
    with db() as session:
        assert Author.find_by_email(session, author.email).is_admin  # type: ignore[union-attr]
    runner.invoke(args=["grant-admin", "--revoke", author.email])
    with db() as session:
        assert not Author.find_by_email(session, author.email).is_admin  # type: ignore[union-attr]
    assert runner.invoke(args=["grant-admin", "nobody@example.com"]).exit_code != 0


def _draft_with_image(browser: Browser, picture: bytes) -> int:
    form = {"title": "Secret", "body": "Not yet.", "image": (io.BytesIO(picture), "p.jpg")}
    with jobs.testing.inline():
        response = browser.submit("/articles/new", form, content_type="multipart/form-data")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_drafts_images_are_only_for_its_author(
    logged_in: Browser, app: Flask, db: DbSession, other_author: Author
) -> None:
    article = db.get(Article, _draft_with_image(logged_in, image_bytes(fmt="JPEG")))
    assert article is not None and article.image is not None
    thumbnail = f"/images/{article.image.id}/160.jpg"
    mine = logged_in.get(thumbnail)
    assert mine.status_code == 200 and "public" not in mine.headers["Cache-Control"]
    visitor, other = Browser(app.test_client()), Browser(app.test_client())
    other.log_in(other_author.email, PASSWORD)
    for stranger in (visitor, other):
        assert stranger.get(thumbnail).status_code == 404
        assert stranger.get(f"/images/{article.image.id}/400.jpg").status_code == 404
    article.publish()
    db.commit()
    assert Browser(app.test_client()).get(thumbnail).status_code == 200


def test_the_original_and_unknown_names_are_never_served(logged_in: Browser, db: DbSession) -> None:
    article = db.get(Article, _draft_with_image(logged_in, image_bytes(fmt="PNG")))
    assert article is not None and article.image is not None
    article.publish()
    db.commit()
    for name in ("original.png", "original.jpg", "1600.jpg", "..", "%2e%2e"):
        assert logged_in.get(f"/images/{article.image.id}/{name}").status_code == 404, name


def _photo_with_metadata() -> bytes:
    exif = PIL.Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (48.0, 51.0, 24.0), 1: "N"}  # GPS: latitude
    out = io.BytesIO()
    picture = PIL.Image.new("RGB", (640, 480), (20, 90, 160))
    picture.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def test_thumbnails_carry_no_metadata_of_the_original(logged_in: Browser, db: DbSession) -> None:
    article = db.get(Article, _draft_with_image(logged_in, _photo_with_metadata()))
    assert article is not None and article.image is not None
    for size in (400, 160):
        served = logged_in.get(f"/images/{article.image.id}/{size}.jpg").data
        with PIL.Image.open(io.BytesIO(served)) as thumbnail:
            assert not thumbnail.getexif(), size
            assert "comment" not in thumbnail.info and "exif" not in thumbnail.info, size
        assert b"SecretCam" not in served and b"taken at home" not in served
