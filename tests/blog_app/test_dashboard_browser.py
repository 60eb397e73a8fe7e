"""The dashboard in a real browser (Playwright driving Debian's chromium): first "being
computed", then, once the RecountWords job has run, the numbers and their age.

The screenshot goes to a temporary folder, or to ``$JOBS_WEB_SCREENSHOTS`` (``docs/screenshots``
for chapter 7's lesson). Skips, saying so, without playwright or chromium.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session as DbSession

from blog_app.config import BlogConfig
from blog_app.models import Author
from blog_app.word_counts import KEY
from blog_app.workshop.seed import SeedPlan, seed
from jobs.testing import drain
from tests.blog_app.conftest import PASSWORD
from tests.jobs.helpers import served
from tests.jobs.web.test_browser import browser_page, playwright_api, pytestmark  # noqa: F401


@pytest.fixture
def shots() -> Iterator[Path]:
    chosen = os.environ.get("JOBS_WEB_SCREENSHOTS")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        yield Path(chosen)
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield Path(folder)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_dashboard_says_it_is_counting_then_shows_the_counts_and_their_age(
    browser_page: Any,  # noqa: F811
    app: Flask, db: DbSession, config: BlogConfig, admin: Author, raw: redis.Redis, shots: Path,
) -> None:  # fmt: skip
    seed(db, config, SeedPlan(40, 160, images=False), lambda _rows: None)
    raw.delete(KEY, "resque:queue:counts", *raw.scan_iter("resque:jobs:unique:*"))
    with served(app) as url:
        page = browser_page
        page.goto(f"{url}/login")
        page.fill("input[name=email]", admin.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button")
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}/dashboard")
        assert "being computed" in page.inner_text("#counts-age")
        assert raw.llen("resque:queue:counts") == 1  # the view made sure a recount is queued
        with app.app_context():
            assert drain(["counts"], ["blog_app.jobs"]) == 1
        page.reload()
        assert "Counted" in page.inner_text("#counts-age")
        assert int(page.inner_text("#articles")) >= 40
        assert int(page.inner_text("#article-words")) > 40
        page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
