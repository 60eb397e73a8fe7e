"""After logging in, ``next`` leads only to a path on this site, judged as a browser reads it."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest

from blog_app.models import Author
from blog_app.views.redirects import is_local_path
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser

SITE = "http://localhost/login"
C0_AND_SPACE = "".join(map(chr, range(0x21)))

# Each of these once led, or could lead, a browser off the site after logging in.
BYPASSES = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "/\t/evil.example/",  # the browser drops the tab: //evil.example
    "/\t/127.0.0.1:5999/pwned",  # the one found in the probe
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "\x00//evil.example/",
    "/\\evil.example/",  # a backslash is a slash to the browser
    "\\/evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "https:evil.example/",
    "//evil.example@localhost/",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "%2F%2Fevil.example/",  # decoded once by the query string, not again
    "/%2F/evil.example/",
    "/%09/evil.example/",
    "/\u3002/evil.example/",
    "/\x7f/evil.example/",
]


def browser_target(location: str) -> str:
    """Where a browser goes for this Location header, read as the URL standard says: control
    characters and spaces trimmed at both ends, tabs and newlines dropped, backslashes as
    slashes."""
    location = re.sub(r"[\t\n\r]", "", location.strip(C0_AND_SPACE))
    return urljoin(SITE, location.replace("\\", "/"))


@pytest.mark.parametrize("target", BYPASSES, ids=repr)
def test_no_next_leads_off_the_site(target: str) -> None:
    assert not is_local_path(target) or urlsplit(browser_target(target)).netloc == "localhost"


def test_the_login_page_never_redirects_off_the_site(web: Browser, author: Author) -> None:
    form = {"email": author.email, "password": PASSWORD}
    for target in BYPASSES:
        response = web.submit(f"/login?next={quote(target, safe='')}", form)
        assert response.status_code == 302, (target, response.status)  # never a 500
        landing = browser_target(response.headers["Location"])
        assert urlsplit(landing).netloc == "localhost", (target, landing)


def test_paths_on_this_site_are_kept(web: Browser, author: Author) -> None:
    form = {"email": author.email, "password": PASSWORD}
    for target in ("/dashboard", "/articles/3?tab=comments#c2", "/jobs/failed?page=2"):
        response = web.submit(f"/login?next={quote(target, safe='')}", form)
        assert response.headers["Location"] == target


def test_a_refused_next_leads_to_the_front_page(web: Browser, author: Author) -> None:
    form = {"email": author.email, "password": PASSWORD}
    for target in ("/\t/evil.example/", "/\r\nSet-Cookie: x=1", "/\\evil.example"):
        response = web.submit(f"/login?next={quote(target, safe='')}", form)
        assert response.headers["Location"] == "/", target
