"""The monitor's browser fixture (Playwright driving Debian's chromium), shared with its tests."""

from tests.jobs.web.test_browser import browser_page  # noqa: F401 (a fixture, used by name)
