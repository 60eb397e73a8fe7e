"""Failed logins are counted in Redis, per account and per address; too many and logging in is
refused for a while, even with the right password. Unknown emails cost the same work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask

import blog_app.models.author
from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.login_limiter import account_key, address_key
from blog_app.models import Author
from jobs.dev.local_redis import free_port
from tests.blog_app.conftest import PASSWORD
from tests.blog_app.helpers import Browser

WRONG = "not the password"


def _log_in(web: Browser, email: str, password: str, address: str = "127.0.0.1") -> Any:
    form = {"email": email, "password": password}
    return web.submit("/login", form, environ_base={"REMOTE_ADDR": address})


def _logged_in(response: Any) -> bool:
    return bool(response.status_code == 302)


def test_the_right_password_is_refused_after_too_many_wrong_ones(
    web: Browser, author: Author, config: BlogConfig
) -> None:
    for _ in range(config.login_failures_per_account):
        assert not _logged_in(_log_in(web, author.email, WRONG))
    refused = _log_in(web, author.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.get_data(as_text=True)
    # From another address too: it is the account that is being guessed.
    assert _log_in(web, author.email, PASSWORD, address="10.0.0.9").status_code == 429


def test_the_counter_expires_and_a_success_empties_it(
    web: Browser, author: Author, config: BlogConfig, raw: redis.Redis
) -> None:
    assert not _logged_in(_log_in(web, author.email, WRONG))
    key = account_key(author.email)
    assert raw.get(key) == "1"
    assert 0 < raw.ttl(key) <= config.login_failure_window
    assert _logged_in(_log_in(web, author.email.upper(), PASSWORD))
    assert raw.get(key) is None
    assert raw.get(address_key("127.0.0.1")) == "1"  # an address's count is not forgiven


def test_one_address_trying_many_accounts_is_stopped(
    web: Browser, author: Author, config: BlogConfig
) -> None:
    for number in range(config.login_failures_per_address):
        _log_in(web, f"guess{number}@example.com", WRONG, address="192.0.2.7")
    assert _log_in(web, author.email, PASSWORD, address="192.0.2.7").status_code == 429
    assert _logged_in(_log_in(web, author.email, PASSWORD, address="192.0.2.8"))


def test_unknown_emails_are_counted_like_known_ones(
    web: Browser, author: Author, config: BlogConfig
) -> None:
    answers = []
    for email in (author.email, "nobody@example.com"):
        for _ in range(config.login_failures_per_account):
            _log_in(web, email, WRONG, address=f"198.51.100.{len(answers)}")
        answers.append(_log_in(web, email, WRONG, address="203.0.113.1").status_code)
    assert answers == [429, 429]


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the password checks: the real function still runs, so the work is real."""
    calls: list[str] = []
    real: Callable[[str, str], bool] = blog_app.models.author.check_password_hash

    def counted(stored: str, password: str) -> bool:
        calls.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(blog_app.models.author, "check_password_hash", counted)
    return calls


def test_an_unknown_email_costs_the_same_password_check(
    web: Browser, author: Author, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    _log_in(web, author.email, WRONG)
    known = list(calls)
    calls.clear()
    _log_in(web, "nobody@example.com", WRONG)
    assert known == calls == ["pbkdf2:sha256:1000"]  # one check each, with the same method


def test_a_redis_that_does_not_answer_refuses_logins_instead_of_failing(
    config: BlogConfig, app: Flask, author: Author
) -> None:
    gone = config.with_changes(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    web = Browser(create_app(gone).test_client())
    response = _log_in(web, author.email, PASSWORD)
    assert response.status_code == 503
    assert "cannot reach Redis" in response.get_data(as_text=True)
