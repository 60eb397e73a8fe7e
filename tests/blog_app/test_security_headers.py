"""Every response of the blog carries the monitor's security headers: a Content-Security-Policy
that also forbids framing, no sniffing, no framing, and no referrer sent to other sites."""

from __future__ import annotations

import io

from sqlalchemy.orm import Session as DbSession

import jobs.testing
from blog_app.config import BlogConfig
from blog_app.models import Article
from blog_app.views.headers import IMAGE_CSP
from jobs.web.security import CSP
from tests.blog_app.helpers import Browser, image_bytes, mail_in_outbox

EXPECTED = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def blog_pages(browser: Browser, db: DbSession, config: BlogConfig, email: str) -> list[str]:
    """Every kind of page of the blog, for a logged-in admin: writes what the pages show."""
    picture = (io.BytesIO(image_bytes(fmt="JPEG")), "p.jpg")
    form = {"title": "Headers", "body": "Hello.", "image": picture, "publish": "y"}
    with jobs.testing.inline():
        browser.submit("/articles/new", form, content_type="multipart/form-data")
    article = db.query(Article).one()
    assert article.image is not None
    mail = mail_in_outbox(config.outbox_dir, email, "Hello")
    return [
        "/", "/login", "/signup", "/articles/new", f"/articles/{article.id}",
        f"/articles/{article.id}/edit", "/dashboard", "/outbox/", f"/outbox/{mail}",
        f"/images/{article.image.id}/160.jpg", "/static/style.css", "/no-such-page",
        "/jobs/", "/jobs/stats",
    ]  # fmt: skip


def test_every_page_carries_the_security_headers(
    logged_in_admin: Browser, db: DbSession, config: BlogConfig
) -> None:
    pages = blog_pages(logged_in_admin, db, config, "root@example.com")
    visitor = Browser(logged_in_admin.client.application.test_client())
    for browser in (logged_in_admin, visitor):
        for page in pages:
            response = browser.get(page)
            expected = (
                {**EXPECTED, "Content-Security-Policy": IMAGE_CSP}
                if "/images/" in page
                else EXPECTED
            )
            for name, value in expected.items():
                assert response.headers.get(name) == value, (page, name, response.status)
