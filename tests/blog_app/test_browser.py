"""The blog in a real browser (Playwright driving Debian's chromium): every page works under
its Content-Security-Policy, with no violation reported, and no other site can frame it.

Skips, saying so, without ``pip install playwright`` or ``apt-get install chromium``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session as DbSession

from blog_app.config import BlogConfig
from blog_app.jobs import NotifyAuthor
from blog_app.models import Author, Notification
from jobs.client import Client
from jobs.testing import drain
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser, published_article
from tests.blog_app.test_security_headers import blog_pages
from tests.jobs.helpers import served, wait_for
from tests.jobs.web.test_browser import browser_page, playwright_api, pytestmark  # noqa: F401

# One database is enough for a browser: the pages are the same on both.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def blog_url(app: Flask) -> Iterator[str]:
    """The blog, served by Werkzeug in a thread, on a free loopback port."""
    with served(app) as url:
        yield url


def _violations(page: Any) -> list[str]:
    """Collect what chromium reports about the policy: console errors that name it."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


def _log_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button")
    page.wait_for_url(f"{url}/")


@sqlite_only
def test_every_page_loads_with_no_policy_violation(
    browser_page: Any,  # noqa: F811
    blog_url: str, app: Flask, db: DbSession, config: BlogConfig, admin: Author,
) -> None:  # fmt: skip
    web = Browser(app.test_client())
    web.log_in(admin.email, PASSWORD)
    pages = blog_pages(web, db, config, admin.email)
    violations = _violations(browser_page)
    _log_in(browser_page, blog_url, admin.email)
    for path in pages:
        response = browser_page.goto(f"{blog_url}{path}")
        assert response is not None and response.status in (200, 404), (path, response)
        assert response.headers.get("content-security-policy"), path
    assert violations == []


@sqlite_only
def test_no_other_site_can_frame_a_page(
    browser_page: Any,  # noqa: F811
    blog_url: str,
) -> None:
    violations = _violations(browser_page)
    browser_page.set_content(f'<iframe src="{blog_url}/login"></iframe>')
    # Each poll calls into the browser, which is also when Playwright delivers console events.
    wait_for(lambda: browser_page.frames[-1].content() and violations, what="the framing refused")
    assert "frame-ancestors" in violations[0], violations
    assert "Log in" not in browser_page.frames[-1].content()


@sqlite_only
def test_the_outbox_shows_a_duplicate_plainly(
    browser_page: Any,  # noqa: F811
    blog_url: str, app: Flask, db: DbSession, admin: Author, client: Client, tmp_path: Path,
) -> None:  # fmt: skip
    """A mail sent twice (its job run again after the record was lost) is marked in the
    outbox, as chapter 6 shows it. The screenshot goes to ``$BLOG_SCREENSHOTS`` if set
    (``docs/screenshots`` for the lesson)."""
    article = published_article(db, admin)
    Browser(app.test_client()).submit(
        f"/articles/{article.id}", {"author_name": "Grace", "body": "Mail me once."},
        f"/articles/{article.id}/comments",
    )  # fmt: skip
    [job] = client.peek("mail")
    with app.app_context():
        drain(["mail"], ["blog_app.jobs"])
        # Run again with the record gone, as if the first run had died before writing it.
        db.execute(update(Notification).values(sent_at=None, claimed_until=None))
        db.commit()
        client.enqueue(NotifyAuthor, *job["args"])
        drain(["mail"], ["blog_app.jobs"])
    _log_in(browser_page, blog_url, admin.email)
    browser_page.goto(f"{blog_url}/outbox/")
    badges = browser_page.locator(".badge.duplicate")
    assert badges.count() == 2 and badges.first.inner_text() == "2 times: duplicate"
    assert "1 duplicate:" in browser_page.inner_text("#duplicates")
    folder = Path(os.environ.get("BLOG_SCREENSHOTS") or tmp_path)
    browser_page.screenshot(path=str(folder / "outbox-duplicates.png"), full_page=True)
