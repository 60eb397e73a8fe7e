"""The blog in a real browser (Playwright driving Debian's chromium): every page works under
its Content-Security-Policy, with no violation reported, and no other site can frame it.

Skips, saying so, without ``pip install playwright`` or ``apt-get install chromium``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from blog_app.config import BlogConfig
from blog_app.models import Author
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser
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
