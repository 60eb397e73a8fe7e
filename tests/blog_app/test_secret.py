"""The key that signs sessions: made on the first run and kept under var/, the same for every
process; a published default is refused outside tests, so nobody can forge a session."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from blog_app import create_app
from blog_app.config import BlogConfig
from blog_app.db import create_schema, open_session
from blog_app.models import Author
from blog_app.secret import WeakSecretKey, load_or_create, secret_key_file

OLD_DEFAULT = "dev-only-secret-change-me"


@pytest.fixture
def dev_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BlogConfig:
    """Settings as `make demo` builds them, with var/ in a temporary directory."""
    monkeypatch.setenv("JOBS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    environ = {"DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite3'}"}
    return BlogConfig.from_env(environ)


def test_the_published_default_is_refused_outside_tests(dev_config: BlogConfig) -> None:
    with pytest.raises(WeakSecretKey, match="forge"):
        create_app(dev_config.with_changes(secret_key=OLD_DEFAULT))
    assert create_app(dev_config.with_changes(secret_key=OLD_DEFAULT, testing=True))


def test_the_first_run_makes_a_key_that_every_process_shares(dev_config: BlogConfig) -> None:
    first = create_app(dev_config).secret_key
    path = secret_key_file()
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(first, str) and len(first) == 64 and first != OLD_DEFAULT
    assert create_app(dev_config).secret_key == first  # a restart, a worker
    assert create_app(dev_config.with_changes(secret_key="from-the-env" * 4)).secret_key == (
        "from-the-env" * 4
    )


def test_a_key_is_made_once_even_when_asked_twice(tmp_path: Path) -> None:
    path = tmp_path / "blog" / "secret_key"
    assert load_or_create(path) == load_or_create(path) == path.read_text()


def _forged_session_and_token(app: Flask) -> tuple[str, str]:
    """A session cookie and CSRF token minted with the old default key, as an attacker who
    read the source could make them."""
    forger = Flask("forger")
    forger.secret_key = OLD_DEFAULT
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    raw_token = "a" * 40
    cookie = serializer.dumps({"csrf_token": raw_token})
    token = URLSafeTimedSerializer(OLD_DEFAULT, salt="wtf-csrf-token").dumps(raw_token)
    return str(cookie), str(token)


def test_a_session_forged_with_the_old_default_is_refused(dev_config: BlogConfig) -> None:
    app = create_app(dev_config)
    create_schema(app)
    cookie, token = _forged_session_and_token(app)
    client = app.test_client()
    client.set_cookie("session", cookie)
    form = {"name": "Mallory", "email": "m@example.com", "password": "long enough"}
    response = client.post("/signup", data={**form, "confirm": "long enough", "csrf_token": token})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    with open_session(app) as db:
        assert Author.count(db) == 0
