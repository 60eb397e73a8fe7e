"""Signing up, logging in and out, server-side sessions, and the authors-only areas."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from blog_app.models import Author, Session
from blog_app.models._time import utcnow
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser


def test_signing_up_creates_an_author_and_logs_them_in(web: Browser, db: DbSession) -> None:
    form = {"name": "Grace", "email": "grace@example.com", "password": "long enough"}
    response = web.submit("/signup", {**form, "confirm": "long enough"})
    assert response.status_code == 302
    assert Author.find_by_email(db, "grace@example.com") is not None
    assert "Log out (Grace)" in web.text("/")
    assert db.scalars(select(Session)).one().author.name == "Grace"


def test_sign_up_shows_validation_messages(web: Browser, author: Author) -> None:
    bad = {"name": "", "email": "not-an-email", "password": "short", "confirm": "other"}
    page = web.submit("/signup", bad).get_data(as_text=True)
    for message in ("Tell us your name.", "Enter an email address", "At least 8", "differ"):
        assert message in page
    taken = {"name": "A", "email": author.email, "password": PASSWORD, "confirm": PASSWORD}
    assert "already exists" in web.submit("/signup", taken).get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(web: Browser, db: DbSession) -> None:
    response = web.client.post("/signup", data={"name": "X", "email": "x@example.com"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert Author.count(db) == 0


def test_a_wrong_password_is_refused(web: Browser, author: Author) -> None:
    page = web.submit("/login", {"email": author.email, "password": "nope"})
    assert "do not match" in page.get_data(as_text=True)
    assert "Log out" not in web.text("/")


def test_logging_in_leaves_expired_sessions_to_the_sweep_job(
    web: Browser, db: DbSession, author: Author
) -> None:
    """The login does no maintenance (chapter 5): blog_app.jobs.ExpireSessions does, on its
    schedule (tests/blog_app/test_jobs.py)."""
    for _ in range(3):
        stale, _token = Session.start(db, author)
        stale.last_seen_at = utcnow() - timedelta(days=30)
    db.commit()
    web.log_in(author.email, PASSWORD)
    db.expire_all()
    seen = sorted(s.last_seen_at > utcnow() - timedelta(minutes=1) for s in db.query(Session))
    assert seen == [False, False, False, True]  # the three expired ones, and the new one


def test_logging_out_deletes_the_session_row(logged_in: Browser, db: DbSession) -> None:
    assert len(db.scalars(select(Session)).all()) == 1
    response = logged_in.submit("/", {}, action="/logout")
    assert response.status_code == 302
    assert db.scalars(select(Session)).all() == []
    assert "Log in" in logged_in.text("/")


def test_an_expired_session_no_longer_logs_anyone_in(logged_in: Browser, db: DbSession) -> None:
    session = db.scalars(select(Session)).one()
    session.last_seen_at = utcnow() - timedelta(days=30)
    db.commit()
    assert "Log out" not in logged_in.text("/")


def test_next_only_leads_to_paths_on_this_site(web: Browser, author: Author) -> None:
    form = {"email": author.email, "password": PASSWORD}
    response = web.submit("/login?next=/dashboard", form)
    assert response.headers["Location"] == "/dashboard"
    response = web.submit("/login?next=//evil.example/", form)
    assert response.headers["Location"] == "/"


def test_authors_only_pages_send_visitors_to_the_login_page(web: Browser) -> None:
    for path in ("/dashboard", "/outbox/", "/jobs/", "/articles/new"):
        response = web.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_a_request_refreshes_a_session_last_seen_a_while_ago(
    logged_in: Browser, db: DbSession
) -> None:
    session = db.scalars(select(Session)).one()
    session.last_seen_at = utcnow() - timedelta(minutes=10)
    db.commit()
    assert "Log out" in logged_in.text("/")
    db.refresh(session)
    assert session.last_seen_at > utcnow() - timedelta(minutes=1)
