"""Who can see what: each author their own mail, admins every mail and the monitor; a draft's
images only its author; and no thumbnail carries the original's metadata."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session as DbSession

from blog_app.config import BlogConfig
from blog_app.models import Author
from tests.blog_app.helpers import Browser, mail_in_outbox


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
